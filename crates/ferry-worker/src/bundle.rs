//! The stored zip of a multi-file transfer: the same bytes `/{token}.zip` would stream
//! live (layout from `ferry-archive`), written once into the blob store so downloads
//! are served without recomputation.

use apalis::prelude::BoxDynError;
use ferry_archive::ZipPlan;
use ferry_state::State;
use futures::StreamExt;
use uuid::Uuid;

/// Builds and attaches the zip of transfer `id`, unless it is gone, has one file, or
/// already has one.
pub async fn run(state: &State, id: Uuid) -> Result<(), BoxDynError> {
    let Some(transfer) = state.live_transfer_by_id(id).await? else {
        return Ok(());
    };
    if transfer.bundle_blob_id.is_some() || transfer.files.len() < 2 {
        return Ok(());
    }
    let entries: Vec<(String, u64)> = transfer
        .files
        .iter()
        .map(|f| (f.name.clone(), f.size as u64))
        .collect();
    let plan = ZipPlan::new(&entries, transfer.created_at);
    let mut writer = state.blob_writer().await?;
    let written: Result<(), BoxDynError> = async {
        let mut crcs = Vec::with_capacity(transfer.files.len());
        for (i, file) in transfer.files.iter().enumerate() {
            writer.write(&plan.local_header(i)).await?;
            let mut crc = crc32fast::Hasher::new();
            let body = state.read_blob(file.blob_id, 0, file.size);
            futures::pin_mut!(body);
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                crc.update(&chunk);
                writer.write(&chunk).await?;
            }
            let crc = crc.finalize();
            crcs.push(crc);
            writer.write(&plan.descriptor(i, crc)).await?;
        }
        writer.write(&plan.central_directory(&crcs)).await?;
        Ok(())
    }
    .await;
    if let Err(e) = written {
        let _ = writer.abandon().await;
        return Err(e);
    }
    let (blob, size, _) = writer.finish().await?;
    if size as u64 != plan.len() {
        state.delete_blob(blob).await?;
        return Err(format!("zip of {id} is {size} bytes, planned {}", plan.len()).into());
    }
    if state.attach_bundle(id, blob).await? {
        tracing::info!(transfer = %id, bytes = size, "zip stored");
    }
    Ok(())
}

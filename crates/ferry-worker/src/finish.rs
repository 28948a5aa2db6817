//! Finishing a file after upload: verify its SHA-256 against what the upload computed,
//! sniff its real type from its first bytes, make a thumbnail for images, mark it ready.
//!
//! Reading the whole blob back proves the stored bytes are the uploaded bytes. The first
//! [`HEADER_BYTES`] are read on their own: they give the real type and, for an image, the
//! header that says what a thumbnail takes. An image's bytes are kept only up to
//! `THUMBNAIL_MAX_BYTES`, and only once that memory is reserved from the process's
//! thumbnail budget (`thumbnail`), so a hostile "image" cannot exhaust the worker; one
//! that cannot be thumbnailed within the budget is finished without a thumbnail.

use apalis::prelude::BoxDynError;
use ferry_core::Service;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Limits,
    thumbnail::{HEADER_BYTES, Reservation},
};

/// Bytes inspected for the real type.
const SNIFF_BYTES: usize = 8192;

/// Finishes file `id`; a file already finished or gone is left alone.
pub async fn run(service: &Service, limits: &Limits, id: Uuid) -> Result<(), BoxDynError> {
    let state = service.state();
    let Some(file) = state.file_by_id(id).await? else {
        return Ok(());
    };
    if file.ready {
        return Ok(());
    }
    let size = u64::try_from(file.size)?;
    let mut hasher = Sha256::new();
    let head_end = file.size.min(HEADER_BYTES as i64);
    let mut head = Vec::with_capacity(head_end as usize);
    read(
        service,
        file.blob_id,
        0,
        head_end,
        &mut hasher,
        Some(&mut head),
    )
    .await?;
    let sniffed = infer::get(&head[..head.len().min(SNIFF_BYTES)]).map(|kind| kind.mime_type());
    let content_type = sniffed.unwrap_or(&file.content_type).to_owned();

    // An image gets its memory before its bytes are kept; waiting for it holds nothing.
    let thumbnails = &limits.thumbnails;
    let mut reservation = None;
    if let Some(sniffed) = sniffed
        && thumbnails.wanted(sniffed, size)
    {
        match thumbnails.plan(&head, size) {
            Ok(plan) => reservation = Some(thumbnails.reserve(plan).await),
            Err(skip) => tracing::info!(file = %id, reason = %skip, "no thumbnail"),
        }
    }
    let mut whole = reservation.is_some().then(|| {
        let mut whole = head;
        whole.reserve_exact(file.size as usize - whole.len());
        whole
    });
    read(
        service,
        file.blob_id,
        head_end,
        file.size,
        &mut hasher,
        whole.as_mut(),
    )
    .await?;
    if hasher.finalize().as_slice() != file.sha256.as_slice() {
        return Err(format!("file {id}: stored bytes do not match the uploaded SHA-256").into());
    }

    let thumbnail = match reservation.zip(whole) {
        Some((reservation, whole)) => match thumbnail(reservation, whole).await? {
            Ok(jpeg) => Some(service.store_bytes(jpeg).await?),
            Err(e) => {
                tracing::info!(file = %id, error = %e, "no thumbnail: image could not be decoded within its reservation");
                None
            }
        },
        None => None,
    };
    let made = thumbnail.as_ref().map(|(blob, _)| *blob);
    let recorded = state.mark_file_ready(id, &content_type, made).await?;
    if let Some((_, guard)) = thumbnail
        && recorded
    {
        // Kept. (Otherwise another run of this job got there first, and dropping the
        // guard deletes our copy.)
        guard.disarm();
    }
    tracing::info!(file = %id, %content_type, thumbnail = made.is_some(), "file finished");
    Ok(())
}

/// Streams bytes `[start, end)` of a blob into `hasher`, and into `keep` when given.
async fn read(
    service: &Service,
    blob: Uuid,
    start: i64,
    end: i64,
    hasher: &mut Sha256,
    mut keep: Option<&mut Vec<u8>>,
) -> Result<(), BoxDynError> {
    let body = service.blobs().read(blob, start, end);
    futures::pin_mut!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        if let Some(keep) = keep.as_mut() {
            keep.extend_from_slice(&chunk);
        }
    }
    Ok(())
}

/// Makes the thumbnail on a blocking thread. The reservation goes with the bytes, so the
/// memory is given back only when the decoder is done, even if this job is dropped first.
async fn thumbnail(
    reservation: Reservation,
    whole: Vec<u8>,
) -> Result<Result<Vec<u8>, image::ImageError>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || reservation.make(whole)).await
}

//! Finishing a file after upload: verify its SHA-256 against what the upload computed,
//! sniff its real type from its first bytes, make a thumbnail for images, mark it ready.
//!
//! Reading the whole blob back proves the stored bytes are the uploaded bytes. Images
//! are decoded only up to `THUMBNAIL_MAX_BYTES` and with decoder memory limits, so a
//! hostile "image" cannot exhaust the worker.

use std::io::Cursor;

use apalis::prelude::BoxDynError;
use ferry_core::Service;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Limits;

/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_SIDE: u32 = 320;
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
    let small_enough = file.size as u64 <= limits.thumbnail_max_bytes;
    let mut keep_whole = None; // decided on the first chunk, from its sniffed type
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut whole = Vec::new();
    let body = service.blobs().read(file.blob_id, 0, file.size);
    futures::pin_mut!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        let keep = *keep_whole.get_or_insert_with(|| {
            small_enough && infer::get(&head).is_some_and(|k| is_thumbnailable(k.mime_type()))
        });
        if keep {
            whole.extend_from_slice(&chunk);
        }
    }
    if hasher.finalize().as_slice() != file.sha256.as_slice() {
        return Err(format!("file {id}: stored bytes do not match the uploaded SHA-256").into());
    }
    let content_type = infer::get(&head)
        .map(|kind| kind.mime_type().to_owned())
        .unwrap_or(file.content_type.clone());

    let thumbnail = if keep_whole == Some(true) && is_thumbnailable(&content_type) {
        match tokio::task::spawn_blocking(move || thumbnail(&whole)).await? {
            Ok(jpeg) => Some(service.store_bytes(jpeg).await?),
            Err(e) => {
                tracing::info!(file = %id, error = %e, "no thumbnail: image could not be decoded");
                None
            }
        }
    } else {
        None
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

fn is_thumbnailable(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// Decodes an image (with memory limits) and encodes a JPEG of at most 320×320.
fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, image::ImageError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode()?;
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
    encoder.encode_image(&small)?;
    Ok(out)
}

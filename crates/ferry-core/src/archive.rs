//! Whole transfers as one archive, streamed: `.zip` (stored, so its exact length is
//! known before the first byte and sent as `Content-Length`) and `.tar.gz`.
//!
//! Both are generated while the files stream out of the blob store, one chunk at a
//! time; nothing is buffered whole and nothing is written to disk. Deflating (the one
//! CPU-heavy step) runs off the async worker threads, so a `.tar.gz` never delays
//! another request on the same thread. The byte layouts live in `ferry-archive`; the
//! one zip loop is here, for the web (streaming `/{token}.zip` live) and the worker
//! (storing the same bytes once, see [`crate::Service::build_bundle`]).

use std::{io::Write, sync::Arc};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ferry_archive::{TAR_END, ZipPlan, tar_headers, tar_padding};
use ferry_state::{BlobStore, transfer::StoredFile};
use futures::{Stream, StreamExt};

/// The zip layout of `files`.
pub fn zip_plan(files: &[StoredFile], when: DateTime<Utc>) -> ZipPlan {
    let entries: Vec<(String, u64)> = files
        .iter()
        .map(|f| (f.name.clone(), f.size as u64))
        .collect();
    ZipPlan::new(&entries, when)
}

/// Streams the zip laid out by `plan` for `files`.
pub fn zip_stream(
    blobs: Arc<dyn BlobStore>,
    files: Vec<StoredFile>,
    plan: ZipPlan,
) -> impl Stream<Item = Result<Bytes, ferry_state::Error>> {
    async_stream::try_stream! {
        let mut crcs = Vec::with_capacity(files.len());
        for (i, file) in files.iter().enumerate() {
            yield Bytes::from(plan.local_header(i));
            let mut crc = crc32fast::Hasher::new();
            let body = blobs.read(file.blob_id, 0, file.size);
            futures::pin_mut!(body);
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                crc.update(&chunk);
                yield chunk;
            }
            let crc = crc.finalize();
            crcs.push(crc);
            yield Bytes::from(plan.descriptor(i, crc));
        }
        yield Bytes::from(plan.central_directory(&crcs));
    }
}

/// Streams a gzip-compressed tar of `files`, dated `when`.
///
/// Reading the blobs is I/O and stays on the async workers; deflating is CPU work and
/// runs on tokio's blocking pool, one piece (≤ 1 MiB read from the store) at a time:
/// the encoder moves into the blocking task and back. So memory per download is one
/// piece in and its compressed bytes out, and backpressure is the stream's own: the
/// next piece is read only when the client has taken the previous output. At most
/// [`compressors`] pieces are deflated at once in the process, whatever the number of
/// downloads (the rest wait their turn), so compression cannot take every core.
pub fn tar_gz_stream(
    blobs: Arc<dyn BlobStore>,
    files: Vec<StoredFile>,
    when: DateTime<Utc>,
) -> impl Stream<Item = Result<Bytes, ferry_state::Error>> {
    async_stream::try_stream! {
        let mut gz = Some(GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        let mtime = when.timestamp().max(0) as u64;
        for file in &files {
            let header = Bytes::from(tar_headers(&file.name, file.size as u64, mtime));
            let out = deflate(&mut gz, header).await?;
            if !out.is_empty() {
                yield out;
            }
            let body = blobs.read(file.blob_id, 0, file.size);
            futures::pin_mut!(body);
            while let Some(chunk) = body.next().await {
                let out = deflate(&mut gz, chunk?).await?;
                if !out.is_empty() {
                    yield out;
                }
            }
            let padding = Bytes::from(vec![0u8; tar_padding(file.size as u64)]);
            let out = deflate(&mut gz, padding).await?;
            if !out.is_empty() {
                yield out;
            }
        }
        let encoder = gz.take().ok_or_else(|| gzip_error("encoder lost"))?;
        let rest = off_reactor(move || {
            let mut encoder = encoder;
            encoder.write_all(&TAR_END)?;
            encoder.finish()
        })
        .await?;
        yield Bytes::from(rest);
    }
}

type GzEncoder = flate2::write::GzEncoder<Vec<u8>>;

/// How many pieces the process deflates at once: half the cores (at least one), so
/// archives never take the cores the HTTP threads and Postgres need to answer
/// everyone else; further downloads wait their turn.
pub fn compressors() -> usize {
    (std::thread::available_parallelism().map_or(2, usize::from) / 2).max(1)
}

static COMPRESSING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(compressors()));

/// Feeds `data` to the encoder on the blocking pool; returns the compressed bytes it
/// produced so far (often none: deflate keeps a window).
async fn deflate(gz: &mut Option<GzEncoder>, data: Bytes) -> Result<Bytes, ferry_state::Error> {
    let encoder = gz.take().ok_or_else(|| gzip_error("encoder lost"))?;
    let (encoder, out) = off_reactor(move || {
        let mut encoder = encoder;
        encoder.write_all(&data)?;
        let out = std::mem::take(encoder.get_mut());
        Ok((encoder, out))
    })
    .await?;
    *gz = Some(encoder);
    Ok(Bytes::from(out))
}

/// Runs CPU-heavy `work` on tokio's blocking pool, at most [`compressors`] at once.
async fn off_reactor<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ferry_state::Error> {
    let _permit = COMPRESSING
        .acquire()
        .await
        .map_err(|_| gzip_error("compressor pool closed"))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| gzip_error(&e.to_string()))?
        .map_err(|e| gzip_error(&e.to_string()))
}

fn gzip_error(message: &str) -> ferry_state::Error {
    ferry_state::Error::Corrupt(format!("gzip: {message}"))
}

//! Whole transfers as one archive, streamed: `.zip` (stored, so its exact length is
//! known before the first byte and sent as `Content-Length`) and `.tar.gz`.
//!
//! Both are generated while the files stream out of the blob store, one chunk at a
//! time; nothing is buffered whole and nothing is written to disk. The byte layouts
//! live in `ferry-archive`, shared with the worker that stores zips of transfers.

use std::io::Write;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ferry_archive::{TAR_END, ZipPlan, tar_headers, tar_padding};
use ferry_state::{State, transfer::StoredFile};
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
    state: State,
    files: Vec<StoredFile>,
    plan: ZipPlan,
) -> impl Stream<Item = Result<Bytes, ferry_state::Error>> {
    async_stream::try_stream! {
        let mut crcs = Vec::with_capacity(files.len());
        for (i, file) in files.iter().enumerate() {
            yield Bytes::from(plan.local_header(i));
            let mut crc = crc32fast::Hasher::new();
            let body = state.read_blob(file.blob_id, 0, file.size);
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
pub fn tar_gz_stream(
    state: State,
    files: Vec<StoredFile>,
    when: DateTime<Utc>,
) -> impl Stream<Item = Result<Bytes, ferry_state::Error>> {
    async_stream::try_stream! {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mtime = when.timestamp().max(0) as u64;
        for file in &files {
            write_all(&mut gz, &tar_headers(&file.name, file.size as u64, mtime))?;
            let body = state.read_blob(file.blob_id, 0, file.size);
            futures::pin_mut!(body);
            while let Some(chunk) = body.next().await {
                write_all(&mut gz, &chunk?)?;
                if gz.get_ref().len() >= 64 * 1024 {
                    yield Bytes::from(std::mem::take(gz.get_mut()));
                }
            }
            write_all(&mut gz, &vec![0u8; tar_padding(file.size as u64)])?;
        }
        write_all(&mut gz, &TAR_END)?;
        let rest = gz.finish().map_err(|e| ferry_state::Error::Corrupt(format!("gzip: {e}")))?;
        yield Bytes::from(rest);
    }
}

fn write_all(
    gz: &mut flate2::write::GzEncoder<Vec<u8>>,
    data: &[u8],
) -> Result<(), ferry_state::Error> {
    gz.write_all(data)
        .map_err(|e| ferry_state::Error::Corrupt(format!("gzip: {e}")))
}

//! Streaming bytes into a blob, whatever the store: chunk by chunk, hashed on the way,
//! bounded — and never leaving half-written blobs behind.
//!
//! A write is a two-stage pipeline: while the store writes chunk N, chunk N+1 is
//! received and hashed. So memory per write is at most two chunks (`BLOB_CHUNK_SIZE`,
//! 1 MiB; on S3 one `S3_PART_SIZE` part, 5 MiB), the second grown only as bytes
//! arrive. Once the next chunk is full the body is not read until the store has taken
//! the one before, so a fast client is slowed to the store's pace instead of filling
//! memory. Chunks reach the store one at a time and in order, each appended at the
//! committed size by the store's conditional append ([`BlobStore::append`]), so the
//! committed size is the durable, resumable offset: a request that ends reports only
//! what the store committed.

use std::{sync::Arc, time::Duration};

use base64::Engine;
use bytes::Bytes;
use ferry_state::{BlobStore, stream_hash::StreamHash};
use futures::{
    Stream, StreamExt,
    future::{BoxFuture, Either},
};
use sha1::Digest as _;
use uuid::Uuid;

use crate::{Error, Result};

/// Blobs written for an operation that must not outlive its failure: unless
/// [`BlobGuard::disarm`]ed, dropping the guard deletes them in the background. It is
/// dropped on every error path, and also when the caller's future is dropped (an HTTP
/// client went away, a job was cancelled), where code after an `.await` would never
/// run. A deletion that fails is left to the retention sweep's orphan pass.
pub struct BlobGuard {
    blobs: Arc<dyn BlobStore>,
    ids: Vec<Uuid>,
}

impl BlobGuard {
    /// Guards nothing yet.
    pub fn new(blobs: Arc<dyn BlobStore>) -> BlobGuard {
        BlobGuard {
            blobs,
            ids: Vec::new(),
        }
    }

    /// Creates a blob that is deleted unless this guard is disarmed.
    pub async fn create(&mut self) -> Result<Uuid> {
        let id = self.blobs.create().await?;
        self.ids.push(id);
        Ok(id)
    }

    /// The operation succeeded: keep every guarded blob.
    pub fn disarm(mut self) {
        self.ids.clear();
    }
}

impl Drop for BlobGuard {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.ids);
        let blobs = self.blobs.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                count = ids.len(),
                "no runtime to delete abandoned blobs; the orphan sweep will"
            );
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = blobs.delete(&ids).await {
                tracing::warn!(count = ids.len(), error = %e, "could not delete abandoned blobs; the orphan sweep will");
            }
        });
    }
}

/// A checksum the client sent for the bytes of one request (tus `Upload-Checksum`).
pub enum Checksum {
    /// SHA-1 and the expected digest.
    Sha1(sha1::Sha1, Vec<u8>),
    /// SHA-256 and the expected digest.
    Sha256(sha2::Sha256, Vec<u8>),
}

impl Checksum {
    /// Parses `<algorithm> <base64 digest>` (`sha1` or `sha256`); the digest must have
    /// the algorithm's length.
    pub fn parse(value: &str) -> Result<Checksum> {
        let (algorithm, encoded) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| Error::invalid("Upload-Checksum must be `algorithm base64digest`"))?;
        let expected = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| Error::invalid("Upload-Checksum digest is not base64"))?;
        let (checksum, length) = match algorithm {
            "sha1" => (Checksum::Sha1(sha1::Sha1::new(), expected), 20),
            "sha256" => (Checksum::Sha256(sha2::Sha256::new(), expected), 32),
            _ => {
                return Err(Error::invalid(format!(
                    "checksum algorithm `{}` is not supported (sha1, sha256)",
                    algorithm.escape_debug()
                )));
            }
        };
        if checksum.expected_len() != length {
            return Err(Error::invalid(format!(
                "Upload-Checksum digest of {algorithm} must be {length} bytes"
            )));
        }
        Ok(checksum)
    }

    /// Length in bytes of the digest the client sent.
    pub fn expected_len(&self) -> usize {
        match self {
            Checksum::Sha1(_, expected) | Checksum::Sha256(_, expected) => expected.len(),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Sha1(h, _) => h.update(data),
            Checksum::Sha256(h, _) => h.update(data),
        }
    }

    fn matches(self) -> bool {
        match self {
            Checksum::Sha1(h, expected) => h.finalize().as_slice() == expected.as_slice(),
            Checksum::Sha256(h, expected) => h.finalize().as_slice() == expected.as_slice(),
        }
    }
}

/// Where and how to write.
pub struct Target<'a> {
    /// The store.
    pub blobs: &'a dyn BlobStore,
    /// The blob.
    pub blob: Uuid,
    /// Its committed size when the write started (where the body's bytes begin).
    pub start: i64,
    /// Hash over `[0, start)`.
    pub hash: StreamHash,
    /// The committed size may not exceed this.
    pub limit: i64,
    /// Bytes per stored chunk.
    pub chunk_size: usize,
    /// When given, nothing is committed unless the whole body matches it.
    pub checksum: Option<Checksum>,
    /// When the body breaks off, stalls or runs over, commit what was received so far
    /// (tus semantics: the client resumes from there).
    pub keep_partial: bool,
    /// Longest wait for the next bytes of the body.
    pub idle: Duration,
}

/// What was committed.
pub struct Written {
    /// New committed size of the blob.
    pub size: i64,
    /// Hash over `[0, size)`.
    pub hash: StreamHash,
}

/// Streams `body` into the blob. On error, the committed size is whatever was committed
/// before the error (with `keep_partial`, including the bytes received).
pub async fn write_body<S, E>(target: Target<'_>, body: S) -> Result<Written>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let Target {
        blobs,
        blob,
        start,
        mut hash,
        limit,
        chunk_size,
        mut checksum,
        keep_partial,
        idle,
    } = target;
    // A store that wants bigger writes (S3: whole parts) gets them.
    let chunk_size = blobs.append_size().unwrap_or(chunk_size);
    let mut body = Box::pin(body);
    let mut buffer: Vec<u8> = Vec::new();
    let mut progress = Progress {
        received: start, // bytes [start, received) are written or being written
        committed: start,
    };
    // The chunk the store is writing while the next one is received (at most one).
    let mut in_flight: Option<InFlight<'_>> = None;

    let failure = loop {
        let next = loop {
            let read = tokio::time::timeout(idle, body.next());
            let event = match in_flight.as_mut() {
                None => Either::Right(read.await),
                Some(write) => tokio::select! {
                    done = write => Either::Left(done),
                    next = read => Either::Right(next),
                },
            };
            match event {
                Either::Left(done) => {
                    in_flight = None;
                    progress.settle(done?);
                }
                Either::Right(next) => break next,
            }
        };
        let next = match next {
            Ok(next) => next,
            Err(_) => break Some(Error::BodyTimeout),
        };
        match next {
            Some(Ok(bytes)) => {
                if progress.received + (buffer.len() + bytes.len()) as i64 > limit {
                    break Some(Error::TooLarge);
                }
                let mut data = &bytes[..];
                while !data.is_empty() {
                    let take = (chunk_size - buffer.len()).min(data.len());
                    grow_within(&mut buffer, take, chunk_size);
                    buffer.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if buffer.len() == chunk_size {
                        // One write at a time, in order: the store appends at the
                        // committed size, so chunk N+1 starts once chunk N is in.
                        if let Some(write) = in_flight.take() {
                            progress.settle(write.await?);
                        }
                        // Handed to the store without a copy; the next chunk gets a
                        // buffer of its own (this client has proven it fills one).
                        let chunk = Bytes::from(std::mem::take(&mut buffer));
                        in_flight =
                            Some(progress.start(blobs, blob, chunk, &mut hash, checksum.as_mut()));
                        buffer = Vec::with_capacity(chunk_size);
                    }
                }
            }
            Some(Err(e)) => break Some(Error::BrokenBody(e.to_string())),
            None => break None,
        }
    };
    // Let go of the body before waiting for the store. Found by the storage suite: a
    // body dropped only after the in-flight write finished left actix's connection
    // paused on its full request buffer, the unread rest of a refused body was never
    // drained, and the next request on that keep-alive connection hung.
    drop(body);
    // What was handed to the store is finished whatever happened to the body.
    if let Some(write) = in_flight.take() {
        progress.settle(write.await?);
    }
    let flush = match &failure {
        None => true,
        Some(Error::BrokenBody(_) | Error::TooLarge | Error::BodyTimeout) => {
            keep_partial && checksum.is_none()
        }
        Some(_) => false,
    };
    if flush && !buffer.is_empty() {
        let write = progress.start(
            blobs,
            blob,
            Bytes::from(buffer),
            &mut hash,
            checksum.as_mut(),
        );
        progress.settle(write.await?);
    }
    if let Some(error) = failure {
        if checksum.is_some() {
            blobs.discard_uncommitted(blob, start).await?;
        }
        return Err(error);
    }
    if let Some(checksum) = checksum {
        if !checksum.matches() {
            blobs.discard_uncommitted(blob, start).await?;
            return Err(Error::ChecksumMismatch);
        }
        if progress.received > start
            && !blobs
                .commit_staged(blob, start, progress.received, &hash.snapshot())
                .await?
        {
            blobs.discard_uncommitted(blob, start).await?;
            return Err(Error::Conflict);
        }
        progress.committed = progress.received;
    }
    Ok(Written {
        size: progress.committed,
        hash,
    })
}

/// Writes a whole stream into a new blob and seals it: for bytes the system made
/// itself (stored zips, thumbnails), so no limit and a generous idle wait. Returns the
/// blob, its size and SHA-256. The blob is guarded by `guard`.
pub async fn store_stream<S, E>(
    blobs: &Arc<dyn BlobStore>,
    guard: &mut BlobGuard,
    body: S,
    chunk_size: usize,
) -> Result<(Uuid, i64, [u8; 32])>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let blob = guard.create().await?;
    let target = Target {
        blobs: blobs.as_ref(),
        blob,
        start: 0,
        hash: StreamHash::default(),
        limit: i64::MAX,
        chunk_size,
        checksum: None,
        keep_partial: false,
        idle: Duration::from_secs(3600),
    };
    let written = write_body(target, body).await?;
    let sha256 = written.hash.finish();
    blobs.seal(blob, &sha256).await?;
    Ok((blob, written.size, sha256))
}

struct Progress {
    received: i64,
    committed: i64,
}

/// A chunk's write to the store, started and not yet finished. It resolves to the new
/// committed size for an append, `None` for a staged piece.
type InFlight<'a> = BoxFuture<'a, Result<Option<i64>>>;

impl Progress {
    /// Hashes `chunk` and starts writing it after the bytes received so far. The
    /// caller finishes the previous write first ([`Progress::settle`]), so appends
    /// reach the store in order, each at the committed size.
    fn start<'a>(
        &mut self,
        blobs: &'a dyn BlobStore,
        blob: Uuid,
        chunk: Bytes,
        hash: &mut StreamHash,
        checksum: Option<&mut Checksum>,
    ) -> InFlight<'a> {
        hash.update(&chunk);
        let offset = self.received;
        let end = offset + chunk.len() as i64;
        self.received = end;
        metrics::counter!(ferry_telemetry::UPLOAD_BYTES).increment(chunk.len() as u64);
        match checksum {
            Some(checksum) => {
                checksum.update(&chunk);
                Box::pin(async move {
                    blobs.stage(blob, offset, chunk).await?;
                    Ok(None)
                })
            }
            None => {
                let snapshot = hash.snapshot();
                Box::pin(async move {
                    if !blobs.append(blob, offset, chunk, &snapshot).await? {
                        return Err(Error::Conflict);
                    }
                    Ok(Some(end))
                })
            }
        }
    }

    /// Records a finished write.
    fn settle(&mut self, committed: Option<i64>) {
        if let Some(end) = committed {
            self.committed = end;
        }
    }
}

/// Makes room for `more` bytes, doubling like a `Vec` would but never past one chunk:
/// a client that sends a little and stalls holds what it sent, not a whole chunk, and
/// no write ever holds more than one.
fn grow_within(buffer: &mut Vec<u8>, more: usize, chunk_size: usize) {
    let needed = buffer.len() + more;
    if needed <= buffer.capacity() {
        return;
    }
    let target = (buffer.capacity() * 2).max(needed).min(chunk_size);
    buffer.reserve_exact(target - buffer.len());
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use proptest::prelude::*;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn checksum_digests_must_have_the_algorithms_length() {
        assert!(Checksum::parse(&format!("sha1 {}", b64(&[0; 20]))).is_ok());
        assert!(Checksum::parse(&format!("sha256 {}", b64(&[0; 32]))).is_ok());
        assert!(Checksum::parse(&format!("sha256 {}", b64(&[0; 20]))).is_err());
        assert!(Checksum::parse("md5 AAAA").is_err());
        assert!(Checksum::parse("sha1").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// However the body is cut into pieces, the buffer never holds more than one
        /// chunk of capacity.
        #[test]
        fn the_buffer_never_grows_past_one_chunk(
            pieces in proptest::collection::vec(1usize..100_000, 1..20),
            chunk_size in 65_536usize..1_100_000,
        ) {
            let mut buffer: Vec<u8> = Vec::new();
            for piece in pieces {
                let mut left = piece;
                while left > 0 {
                    let take = (chunk_size - buffer.len()).min(left);
                    grow_within(&mut buffer, take, chunk_size);
                    buffer.resize(buffer.len() + take, 0);
                    left -= take;
                    prop_assert!(buffer.capacity() <= chunk_size);
                    if buffer.len() == chunk_size {
                        buffer.clear();
                    }
                }
            }
        }

        /// No `Upload-Checksum` value makes the parser panic; what it accepts names a
        /// supported algorithm with a digest of the right length.
        #[test]
        fn any_checksum_header_parses_or_is_refused(raw in any::<String>()) {
            if let Ok(checksum) = Checksum::parse(&raw) {
                let expected = if raw.trim_start().starts_with("sha1 ") { 20 } else { 32 };
                prop_assert_eq!(checksum.expected_len(), expected);
            }
        }

        /// Every well-formed checksum of either algorithm is accepted.
        #[test]
        fn valid_checksums_parse(sha1 in any::<bool>(), digest in any::<[u8; 32]>()) {
            let (algorithm, length) = if sha1 { ("sha1", 20) } else { ("sha256", 32) };
            let raw = format!("{algorithm} {}", b64(&digest[..length]));
            prop_assert_eq!(Checksum::parse(&raw).unwrap().expected_len(), length);
        }
    }
}

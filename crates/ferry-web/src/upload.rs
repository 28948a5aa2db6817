//! Streaming a request body into a blob: chunk by chunk, hashed on the way, bounded.
//!
//! Memory per upload is at most one chunk (`BLOB_CHUNK_SIZE`, 1 MiB), grown only as
//! bytes arrive, plus what the socket has buffered; nothing touches local disk. While a
//! chunk is written to Postgres the body is not read, so a fast client is slowed to the
//! database's pace instead of filling memory.
//!
//! What one process spends on uploads is bounded by two settings, so that slow or
//! stalled clients cannot pile up: `MAX_CONCURRENT_UPLOADS` slots (an upload takes one
//! before its body is read, or gets 503 with `Retry-After`), each holding at most one
//! chunk; and `UPLOAD_IDLE_TIMEOUT`, after which a body that sends nothing is dropped
//! and its slot freed. Blobs a request wrote are deleted unless it succeeds, also when
//! actix drops the handler because the client went away ([`BlobCleanup`]).

use std::{
    cell::Cell,
    collections::HashMap,
    net::IpAddr,
    rc::Rc,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{HttpRequest, error::PayloadError, web};
use bytes::Bytes;
use ferry_state::{State, blob::StreamHash};
use futures::{Stream, StreamExt};
use sha1::Digest as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::{Config, public_url};

/// Seconds a client is asked to wait (`Retry-After`) when every upload slot is taken.
pub const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// The per-process cap on uploads being received (`MAX_CONCURRENT_UPLOADS`), shared by
/// the curl PUT, multipart POST and tus handlers of every worker thread, and within it
/// the cap per client address (`MAX_UPLOADS_PER_CLIENT`), so that one client cannot
/// take every slot.
#[derive(Clone)]
pub struct UploadSlots {
    free: Arc<Semaphore>,
    max: usize,
    per_client: usize,
    /// Slots held per client address; an entry lives only while its count is above
    /// zero, so the map never has more entries than slots.
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One upload's place under the caps; the place is free again when this is dropped.
pub struct UploadSlot {
    _share: Option<ClientShare>,
    _permit: OwnedSemaphorePermit,
}

/// One slot counted against a client address; uncounted on drop.
struct ClientShare {
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for ClientShare {
    fn drop(&mut self) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = clients.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                clients.remove(&self.ip);
            }
        }
    }
}

impl UploadSlots {
    /// A cap of `max` uploads at once, at most `per_client` of them per client address.
    pub fn new(max: usize, per_client: usize) -> UploadSlots {
        UploadSlots {
            free: Arc::new(Semaphore::new(max)),
            max,
            per_client: per_client.max(1),
            clients: Arc::default(),
        }
    }

    /// Takes a free slot for `client` without waiting, or `None` when all are taken or
    /// `client` already holds its share.
    pub fn try_take(&self, client: Option<IpAddr>) -> Option<UploadSlot> {
        let share = match client {
            Some(ip) => {
                let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
                let held = clients.entry(ip).or_insert(0);
                if *held >= self.per_client {
                    return None;
                }
                *held += 1;
                Some(ClientShare {
                    clients: self.clients.clone(),
                    ip,
                })
            }
            None => None,
        };
        // Without a free permit `share` is dropped here, which uncounts it again.
        let permit = self.free.clone().try_acquire_owned().ok()?;
        Some(UploadSlot {
            _share: share,
            _permit: permit,
        })
    }

    /// Slots taken right now.
    pub fn in_use(&self) -> usize {
        self.max.saturating_sub(self.free.available_permits())
    }
}

/// Takes an upload slot for `request` before its body is read. `None` means the process
/// is at `MAX_CONCURRENT_UPLOADS`, or this client at `MAX_UPLOADS_PER_CLIENT` (answer
/// 503 with `Retry-After`).
pub fn take_slot(request: &HttpRequest) -> Option<UploadSlot> {
    let slots = request.app_data::<web::Data<UploadSlots>>()?;
    let client = request
        .app_data::<web::Data<Config>>()
        .and_then(|config| public_url::client_addr(request, config));
    let slot = slots.try_take(client);
    if slot.is_none() {
        tracing::warn!(
            in_use = slots.in_use(),
            "upload refused: every upload slot, or this client's share, is taken"
        );
    }
    slot
}

/// Most bytes a body parser may hold that its caller has not received yet: part
/// headers, boundaries and the parser's read-ahead. actix-multipart buffers a part's
/// headers until their blank line, without a limit of its own.
pub const MAX_UNPARSED_BYTES: u64 = 1024 * 1024;

/// Why a guarded request body ended early (see [`guard_body`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyStop {
    /// Nothing arrived for the idle timeout.
    Idle,
    /// The body grew past its limit.
    TooLarge,
    /// The parser held more than [`MAX_UNPARSED_BYTES`] that it had not handed on
    /// (e.g. a part header that never ends).
    Unparsed,
}

/// What a guarded body has read, and since when the parser handed nothing on.
#[derive(Default)]
pub struct BodyMeter {
    stopped: Cell<Option<BodyStop>>,
    read: Cell<u64>,
    since_progress: Cell<u64>,
}

impl BodyMeter {
    /// Why the body ended early, if it did.
    pub fn stopped(&self) -> Option<BodyStop> {
        self.stopped.get()
    }

    /// The parser handed something on (a new part, or content of one): what it read
    /// so far is accounted for.
    pub fn progress(&self) {
        self.since_progress.set(0);
    }
}

/// The request body with the upload limits applied while it is read, for parsers that
/// read it themselves (multipart): a wait longer than `idle` for the next bytes ends
/// it, and so does a total past `limit` bytes (chunked or not), or more than
/// [`MAX_UNPARSED_BYTES`] read while the parser handed nothing on
/// ([`BodyMeter::progress`]).
/// The parser only passes on a generic payload error, so why the body ended is kept in
/// the returned meter.
pub fn guard_body(
    body: web::Payload,
    idle: Duration,
    limit: u64,
) -> (
    impl Stream<Item = Result<Bytes, PayloadError>> + 'static,
    Rc<BodyMeter>,
) {
    let meter = Rc::new(BodyMeter::default());
    let seen = meter.clone();
    let stream = async_stream::stream! {
        let mut body = body;
        loop {
            let stop = match tokio::time::timeout(idle, body.next()).await {
                Err(_) => BodyStop::Idle,
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    yield Err(e);
                    break;
                }
                Ok(Some(Ok(bytes))) => {
                    let read = seen.read.get().saturating_add(bytes.len() as u64);
                    seen.read.set(read);
                    let unparsed = seen.since_progress.get().saturating_add(bytes.len() as u64);
                    seen.since_progress.set(unparsed);
                    if read > limit {
                        BodyStop::TooLarge
                    } else if unparsed > MAX_UNPARSED_BYTES {
                        BodyStop::Unparsed
                    } else {
                        yield Ok(bytes);
                        continue;
                    }
                }
            };
            seen.stopped.set(Some(stop));
            yield Err(match stop {
                BodyStop::TooLarge => PayloadError::Overflow,
                _ => PayloadError::Io(std::io::Error::other("request body stopped")),
            });
            break;
        }
    };
    (stream, meter)
}

/// Blobs written for a request that must not outlive its failure: unless
/// [`BlobCleanup::disarm`]ed, dropping it deletes them in the background. It is dropped
/// on every error path, and also when actix drops the handler because the client went
/// away, where code after an `.await` would never run.
pub struct BlobCleanup {
    state: State,
    blobs: Vec<Uuid>,
}

impl BlobCleanup {
    /// Nothing to clean up yet.
    pub fn new(state: &State) -> BlobCleanup {
        BlobCleanup {
            state: state.clone(),
            blobs: Vec::new(),
        }
    }

    /// Deletes `blob` too unless disarmed.
    pub fn track(&mut self, blob: Uuid) {
        self.blobs.push(blob);
    }

    /// The request succeeded: keep every tracked blob.
    pub fn disarm(mut self) {
        self.blobs.clear();
    }
}

impl Drop for BlobCleanup {
    fn drop(&mut self) {
        if self.blobs.is_empty() {
            return;
        }
        let blobs = std::mem::take(&mut self.blobs);
        let state = self.state.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                count = blobs.len(),
                "no runtime to delete abandoned blobs; the orphan sweep will"
            );
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = state.delete_blobs(&blobs).await {
                tracing::warn!(count = blobs.len(), error = %e, "could not delete abandoned blobs; the orphan sweep will");
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

/// Why writing a body stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// More bytes arrived than allowed; nothing past the limit was stored.
    #[error("body exceeds the allowed size")]
    TooLarge,
    /// Nothing arrived for the idle timeout (`UPLOAD_IDLE_TIMEOUT`).
    #[error("the request body stalled")]
    Idle,
    /// The client went away or sent a broken body.
    #[error("request body: {0}")]
    Client(String),
    /// Another writer moved the blob's committed size.
    #[error("the upload offset changed under this request")]
    Conflict,
    /// The bytes did not match the client's checksum; they were discarded.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// Postgres failed.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
}

/// How to write.
pub struct Target<'a> {
    /// Where the bytes go.
    pub state: &'a State,
    /// The blob.
    pub blob: Uuid,
    /// Its committed size when the request started (where the body's bytes begin).
    pub start: i64,
    /// Hash over `[0, start)`.
    pub hash: StreamHash,
    /// The committed size may not exceed this.
    pub limit: i64,
    /// Bytes per stored chunk.
    pub chunk_size: usize,
    /// When given, nothing is committed unless the whole body matches it.
    pub checksum: Option<Checksum>,
    /// On a client error, commit what was received so far (tus semantics).
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
pub async fn write_body<S, E>(target: Target<'_>, body: S) -> Result<Written, WriteError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let Target {
        state,
        blob,
        start,
        mut hash,
        limit,
        chunk_size,
        mut checksum,
        keep_partial,
        idle,
    } = target;
    futures::pin_mut!(body);
    let mut buffer: Vec<u8> = Vec::new();
    let mut received = start; // bytes [start, received) are written (staged or committed)
    let mut committed = start;

    let failure = loop {
        let next = match tokio::time::timeout(idle, body.next()).await {
            Ok(next) => next,
            Err(_) => break Some(WriteError::Idle),
        };
        match next {
            Some(Ok(bytes)) => {
                if received + (buffer.len() + bytes.len()) as i64 > limit {
                    break Some(WriteError::TooLarge);
                }
                let mut data = &bytes[..];
                while !data.is_empty() {
                    let take = (chunk_size - buffer.len()).min(data.len());
                    grow_within(&mut buffer, take, chunk_size);
                    buffer.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if buffer.len() == chunk_size {
                        write_chunk(
                            state,
                            blob,
                            &buffer,
                            &mut received,
                            &mut committed,
                            &mut hash,
                            checksum.as_mut(),
                        )
                        .await?;
                        buffer.clear();
                    }
                }
            }
            Some(Err(e)) => break Some(WriteError::Client(e.to_string())),
            None => break None,
        }
    };
    let flush = match &failure {
        None => true,
        Some(WriteError::Client(_)) | Some(WriteError::TooLarge) | Some(WriteError::Idle) => {
            keep_partial && checksum.is_none()
        }
        Some(_) => false,
    };
    if flush && !buffer.is_empty() {
        write_chunk(
            state,
            blob,
            &buffer,
            &mut received,
            &mut committed,
            &mut hash,
            checksum.as_mut(),
        )
        .await?;
    }
    if let Some(error) = failure {
        if checksum.is_some() {
            state.discard_uncommitted(blob, start).await?;
        }
        return Err(error);
    }
    if let Some(checksum) = checksum {
        if !checksum.matches() {
            state.discard_uncommitted(blob, start).await?;
            return Err(WriteError::ChecksumMismatch);
        }
        if received > start
            && !state
                .commit_staged(blob, start, received, &hash.snapshot())
                .await?
        {
            state.discard_uncommitted(blob, start).await?;
            return Err(WriteError::Conflict);
        }
        committed = received;
    }
    Ok(Written {
        size: committed,
        hash,
    })
}

/// Makes room for `more` bytes, doubling like a `Vec` would but never past one chunk:
/// a client that sends a little and stalls holds what it sent, not a whole chunk, and
/// no upload ever holds more than one.
fn grow_within(buffer: &mut Vec<u8>, more: usize, chunk_size: usize) {
    let needed = buffer.len() + more;
    if needed <= buffer.capacity() {
        return;
    }
    let target = (buffer.capacity() * 2).max(needed).min(chunk_size);
    buffer.reserve_exact(target - buffer.len());
}

async fn write_chunk(
    state: &State,
    blob: Uuid,
    chunk: &[u8],
    received: &mut i64,
    committed: &mut i64,
    hash: &mut StreamHash,
    checksum: Option<&mut Checksum>,
) -> Result<(), WriteError> {
    hash.update(chunk);
    match checksum {
        Some(checksum) => {
            checksum.update(chunk);
            state.stage_chunk(blob, *received, chunk).await?;
        }
        None => {
            if !state
                .append_chunk(blob, *committed, chunk, &hash.snapshot())
                .await?
            {
                return Err(WriteError::Conflict);
            }
            *committed += chunk.len() as i64;
        }
    }
    *received += chunk.len() as i64;
    metrics::counter!(ferry_telemetry::UPLOAD_BYTES).increment(chunk.len() as u64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn slots_are_capped_and_come_back_when_dropped() {
        let slots = UploadSlots::new(2, 2);
        let a = slots.try_take(None).unwrap();
        let _b = slots.try_take(None).unwrap();
        assert!(slots.try_take(None).is_none());
        assert_eq!(slots.in_use(), 2);
        drop(a);
        assert!(slots.try_take(None).is_some());
    }

    #[test]
    fn one_client_cannot_take_more_than_its_share_and_gets_it_back() {
        let slots = UploadSlots::new(4, 2);
        let greedy: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        let a = slots.try_take(Some(greedy)).unwrap();
        let _b = slots.try_take(Some(greedy)).unwrap();
        assert!(slots.try_take(Some(greedy)).is_none());
        let _c = slots.try_take(Some(other)).unwrap();
        let _d = slots.try_take(Some(other)).unwrap();
        // The process is full: a refused permit must not leave the share counted.
        assert!(slots.try_take(Some("192.0.2.1".parse().unwrap())).is_none());
        assert!(slots.clients.lock().unwrap().len() == 2);
        drop(a);
        assert!(slots.try_take(Some(greedy)).is_some());
    }

    proptest! {
        // Each case fills real buffers: fewer cases.
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
    }
}

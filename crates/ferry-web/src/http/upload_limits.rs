//! What the web spends on receiving uploads, bounded. (Streaming a body into a blob —
//! one chunk of memory, hashed on the way, never leaving half-written blobs — is the
//! service layer's: `ferry_core::blob`.)
//!
//! What one process spends on uploads is bounded by two settings, so that slow or
//! stalled clients cannot pile up: `MAX_CONCURRENT_UPLOADS` slots (an upload takes one
//! before its body is read, or gets 503 with `Retry-After`), each holding at most one
//! chunk; and `UPLOAD_IDLE_TIMEOUT`, after which a body that sends nothing is dropped
//! and its slot freed. Blobs a request wrote are deleted unless it succeeds, also when
//! actix drops the handler because the client went away (`ferry_core::blob::BlobGuard`).

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
use futures::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Config, http::request};

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
        .and_then(|config| request::client_net(request, config));
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

#[cfg(test)]
mod tests {
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
}

//! Resumable uploads (what tus drives): create one, write bytes at its offset, finish
//! it into a transfer (or into a draft), terminate it.
//!
//! No state lives in the process: an upload's offset is its blob's committed size, and
//! writes to one upload are serialised by a lock in Redis every web process sees
//! (`ferry_state::tus`), refreshed while a write runs and expiring by itself, so a
//! killed process cannot leave it stuck. The store's conditional append is the second
//! line of defence: even a writer that lost its lock cannot commit bytes at the wrong
//! offset.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::Utc;
use ferry_state::{
    stream_hash::StreamHash,
    transfer::Transfer,
    tus::{NewUpload, PARTIAL, Upload},
};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use crate::{
    Error, FileName, MaxDownloads, Result, Service,
    blob::{Checksum, Target, write_body},
};

/// Lock TTL; refreshed every third of it while a write runs.
const LOCK_TTL_MS: u64 = 10_000;
/// How long a write waits for another write on the same upload to finish.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// What a client asks for when it creates a resumable upload.
#[derive(Clone, Debug)]
pub struct NewUploadRequest {
    /// Total length in bytes; `None` to declare it on a later write (tus
    /// `creation-defer-length`).
    pub length: Option<u64>,
    /// `Upload-Metadata` as sent (echoed back on HEAD).
    pub metadata: Option<String>,
    /// File name.
    pub filename: FileName,
    /// MIME type the client declared, if any (else guessed from the name).
    pub filetype: Option<String>,
    /// Download limit of the transfer it becomes.
    pub max_downloads: Option<MaxDownloads>,
    /// Lifetime in days of the transfer it becomes, as the client sent it (validated
    /// against the deployment's [`crate::Lifetimes`]; absent: the default).
    pub max_days: Option<String>,
    /// For a draft: once complete it waits to be sent with the draft's other files.
    pub draft: bool,
    /// A piece of a parallel upload (tus `Upload-Concat: partial`): once complete it
    /// waits to be concatenated, and never becomes a transfer of its own.
    pub partial: bool,
    /// The account it is made for (an API token's or a session's): the transfer it
    /// becomes is theirs, and may live as long as a signed-in user's may.
    pub owner: Option<Uuid>,
}

/// Most partial uploads one final upload may concatenate.
pub const MAX_CONCAT_PARTS: usize = 64;

/// The decoded value of `key` in a tus `Upload-Metadata` header (`key base64,…`).
pub fn metadata_value(raw: &str, key: &str) -> Option<String> {
    raw.split(',').find_map(|pair| {
        let (k, v) = pair.trim().split_once(' ')?;
        (k == key)
            .then(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()
            })
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    })
}

impl Service {
    /// Refuses a length over `MAX_UPLOAD_SIZE`, and empty files.
    pub fn check_upload_length(&self, length: u64) -> Result<()> {
        if length > self.policy.max_upload_size {
            return Err(Error::TooLarge);
        }
        if length == 0 {
            return Err(Error::invalid("empty files cannot be shared"));
        }
        Ok(())
    }

    /// Creates a resumable upload (and its empty blob). Everything it says is checked
    /// before anything is stored.
    pub async fn create_upload(&self, request: NewUploadRequest) -> Result<Upload> {
        let concat = request.partial.then(|| PARTIAL.to_owned());
        self.create_upload_as(request, concat).await
    }

    async fn create_upload_as(
        &self,
        request: NewUploadRequest,
        concat: Option<String>,
    ) -> Result<Upload> {
        if let Some(length) = request.length {
            self.check_upload_length(length)?;
        }
        let lifetimes = match request.owner {
            Some(_) => &self.policy.lifetimes,
            None => &self.policy.anonymous_lifetimes,
        };
        let max_days = lifetimes
            .parse_or_default(request.max_days.as_deref())
            .map_err(|e| Error::invalid(format!("Upload-Metadata `max_days` {e}")))?;
        let content_type = request
            .filetype
            .unwrap_or_else(|| request.filename.guess_type());
        let expires_at = Utc::now()
            + chrono::Duration::from_std(self.policy.upload_expiry)
                .unwrap_or(chrono::Duration::hours(24));
        Ok(self
            .state
            .create_upload(&NewUpload {
                length: request.length.map(|l| l as i64),
                metadata: request.metadata,
                filename: request.filename.into(),
                content_type,
                max_downloads: request.max_downloads.map(MaxDownloads::get),
                max_days: i32::from(max_days.get()),
                expires_at,
                draft: request.draft,
                concat,
                owner_id: request.owner,
            })
            .await?)
    }

    /// tus concatenation: a final upload made of the complete partial uploads `parts`
    /// (ids, in order), described by `request` (its length is theirs summed). The bytes
    /// are copied into a blob of its own through the blob store — hashing them is a
    /// read of every byte anyway — one chunk in memory at a time; the partial uploads
    /// are removed once it is complete. `concat` is the `Upload-Concat` value to echo.
    /// Until it is complete nothing is removed, so a failed or interrupted
    /// concatenation can simply be retried (the half-built final upload expires).
    pub async fn concatenate_uploads(
        &self,
        request: NewUploadRequest,
        parts: &[String],
        concat: String,
    ) -> Result<(Upload, Option<Transfer>)> {
        if parts.is_empty() || parts.len() > MAX_CONCAT_PARTS {
            return Err(Error::invalid(format!(
                "Upload-Concat: final needs 1 to {MAX_CONCAT_PARTS} partial uploads"
            )));
        }
        if let Some(twice) = parts
            .iter()
            .enumerate()
            .find_map(|(i, id)| parts[..i].contains(id).then_some(id))
        {
            return Err(Error::invalid(format!(
                "Upload-Concat lists /files/{twice} twice"
            )));
        }
        // Held until the pieces are gone: no write or termination changes them
        // meanwhile, and a second final upload of the same pieces waits, then finds
        // them gone, instead of copying them again.
        let held = self.lock_uploads(parts).await?;
        let result = self
            .concatenate_under_lock(request, parts, concat, &held)
            .await;
        held.release().await;
        result
    }

    async fn concatenate_under_lock(
        &self,
        mut request: NewUploadRequest,
        parts: &[String],
        concat: String,
        held: &Held,
    ) -> Result<(Upload, Option<Transfer>)> {
        let found = self.state.complete_partial_uploads(parts).await?;
        if let Some(missing) = parts.iter().find(|id| !found.iter().any(|u| &u.id == *id)) {
            return Err(Error::invalid(format!(
                "/files/{missing} is not a complete partial upload (Upload-Concat: partial)"
            )));
        }
        let mut length: i64 = 0;
        for part in &found {
            length = length.saturating_add(part.offset);
        }
        request.length = Some(length as u64);
        let upload = self.create_upload_as(request, Some(concat)).await?;
        let store = self.blobs.clone();
        let pieces: Vec<_> = found.iter().map(|p| (p.blob_id, p.offset)).collect();
        // A failed read is the store's fault, not a broken request body: the first
        // one is kept and reported as itself.
        let failure = std::sync::Arc::new(std::sync::Mutex::new(None::<ferry_state::Error>));
        let bytes = {
            let failure = failure.clone();
            futures::stream::iter(pieces)
                .map(move |(blob, size)| store.read(blob, 0, size))
                .flatten()
                .map(move |item| {
                    item.map_err(|e| {
                        let said = e.to_string();
                        if let Ok(mut slot) = failure.lock() {
                            slot.get_or_insert(e);
                        }
                        said
                    })
                })
        };
        let written = self.write_upload(&upload, 0, None, None, bytes).await;
        let read_failure = failure.lock().ok().and_then(|mut slot| slot.take());
        let transfer = match (written, read_failure) {
            (Ok((size, transfer)), _) if size == length => transfer,
            (Ok((size, _)), _) => {
                self.abandon_upload(&upload.id).await;
                return Err(ferry_state::Error::Corrupt(format!(
                    "concatenation wrote {size} of {length} bytes"
                ))
                .into());
            }
            (Err(_), Some(e)) => {
                self.abandon_upload(&upload.id).await;
                return Err(e.into());
            }
            (Err(e), None) => {
                self.abandon_upload(&upload.id).await;
                return Err(e);
            }
        };
        // The pieces go only while this request still holds them; if a lock was lost
        // (it expired under a stall), the pieces are left to expire instead.
        if !held.still_held().await? {
            tracing::warn!(
                "lost a partial upload's lock during a concatenation; its pieces expire"
            );
            let upload = self
                .state
                .find_upload(&upload.id)
                .await?
                .ok_or(Error::NotFound)?;
            return Ok((upload, transfer));
        }
        for part in &found {
            if let Err(e) = self.state.terminate_upload(&part.id).await {
                tracing::warn!(error = %e, "could not remove a concatenated partial upload; it expires");
            }
        }
        let upload = self
            .state
            .find_upload(&upload.id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((upload, transfer))
    }

    /// Removes an upload whose first bytes failed at creation: its client never learnt
    /// where it is, so it could not resume it anyway. A failure is logged (it expires).
    pub async fn abandon_upload(&self, id: &str) {
        if let Err(e) = self.state.terminate_upload(id).await {
            tracing::warn!(error = %e, "could not remove a failed new upload; it expires");
        }
    }

    /// Writes `body` to `upload` at `offset`, under the upload's lock, first declaring
    /// its `length` if it was created without one; when its last byte is in, finishes it — into a transfer with one file (returned, its finishing
    /// enqueued) or, for a draft upload, into the waiting draft. Returns the new offset.
    /// A retried final write finds the same transfer.
    pub async fn write_upload<S, E>(
        &self,
        upload: &Upload,
        offset: i64,
        checksum: Option<Checksum>,
        length: Option<i64>,
        body: S,
    ) -> Result<(i64, Option<Transfer>)>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let held = self.lock_uploads(std::slice::from_ref(&upload.id)).await?;
        let result = self
            .write_under_lock(upload, offset, checksum, length, body)
            .await;
        held.release().await;
        let (offset, transfer) = result?;
        if let Some(transfer) = &transfer {
            self.enqueue_finishing(transfer).await;
        }
        Ok((offset, transfer))
    }

    async fn write_under_lock<S, E>(
        &self,
        upload: &Upload,
        offset: i64,
        checksum: Option<Checksum>,
        length: Option<i64>,
        body: S,
    ) -> Result<(i64, Option<Transfer>)>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        // Another write may have finished while we waited for the lock.
        let current = self
            .state
            .find_upload(&upload.id)
            .await?
            .ok_or(Error::NotFound)?;
        if current.offset != offset {
            return Err(Error::Conflict);
        }
        // Closing a file request stops the uploads into it at once, begun or not.
        self.check_request_open(&current).await?;
        let mut current = current;
        match (current.length, length) {
            (None, Some(declared)) => {
                if declared < current.offset {
                    return Err(Error::invalid(format!(
                        "Upload-Length {declared} is less than the {} bytes already received",
                        current.offset
                    )));
                }
                self.check_upload_length(declared as u64)?;
                self.state.set_upload_length(&current.id, declared).await?;
                current.length = Some(declared);
            }
            (Some(known), Some(declared)) if known != declared => {
                return Err(Error::invalid(format!(
                    "Upload-Length is already {known} and cannot change"
                )));
            }
            _ => {}
        }
        // A deferred length: anything up to the largest upload allowed, for now.
        let limit = current.length.unwrap_or(self.policy.max_upload_size as i64);
        if current.length.is_none_or(|length| current.offset < length) {
            self.blobs
                .discard_uncommitted(current.blob_id, current.offset)
                .await?;
            let target = Target {
                blobs: self.blobs.as_ref(),
                blob: current.blob_id,
                start: current.offset,
                hash: StreamHash::resume(current.hash_state.as_deref())?,
                limit,
                chunk_size: self.policy.chunk_size,
                checksum,
                keep_partial: true,
                idle: self.policy.idle_timeout,
            };
            let written = write_body(target, body).await?;
            if current.length.is_none_or(|length| written.size < length) {
                return Ok((written.size, None));
            }
            let sha256 = written.hash.finish();
            self.blobs.seal(current.blob_id, &sha256).await?;
            let transfer = self.complete(&current.id, &sha256).await?;
            return Ok((written.size, transfer));
        }
        // All bytes are in but the upload was not finished yet (its writer died in
        // between), or it already was (a retried final write): sealing and completing
        // are idempotent and return the same transfer either way. A blob sealed
        // before the writer died has its digest already (and no hash state).
        let sealed = self
            .blobs
            .state(current.blob_id)
            .await?
            .and_then(|blob| blob.sha256);
        let sha256 = match sealed {
            Some(sha256) => sha256,
            None => {
                let sha256 = StreamHash::resume(current.hash_state.as_deref())?.finish();
                self.blobs.seal(current.blob_id, &sha256).await?;
                sha256.to_vec()
            }
        };
        let transfer = self.complete(&current.id, &sha256).await?;
        Ok((current.offset, transfer))
    }

    /// Completes upload `id` (under its lock). One its owner's quota has no room for is
    /// removed, bytes and all: it can never fit as it is, and keeping it would hold
    /// the bytes until the idle sweep.
    async fn complete(&self, id: &str, sha256: &[u8]) -> Result<Option<Transfer>> {
        match self.state.complete_upload(id, sha256).await {
            Err(refused @ ferry_state::Error::QuotaExceeded { .. }) => {
                if let Err(e) = self.state.terminate_upload(id).await {
                    tracing::warn!(error = %e, "could not remove an upload over quota; it expires");
                }
                Err(refused.into())
            }
            done => Ok(done?),
        }
    }

    /// Terminates upload `id`: an unfinished one loses its bytes; a finished one only
    /// its upload record (its transfer has a deletion token of its own).
    pub async fn terminate_upload(&self, id: &str) -> Result<()> {
        let held = self.lock_uploads(&[id.to_owned()]).await?;
        let existed = self.state.terminate_upload(id).await;
        held.release().await;
        if existed? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Takes the locks of uploads `ids` (in sorted order, so two callers never wait
    /// for each other), waiting up to [`LOCK_WAIT`] for each, and keeps them alive
    /// until released; on failure releases those it took.
    async fn lock_uploads(&self, ids: &[String]) -> Result<Held> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let holder = lock_holder();
        // Refreshed from the first lock taken: waiting for a later one (up to
        // LOCK_WAIT) must not let an earlier one expire.
        let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::with_capacity(ids.len())));
        let refresher = {
            let (state, taken, holder) = (self.state.clone(), taken.clone(), holder.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(LOCK_TTL_MS / 3));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let ids: Vec<String> = taken.lock().map(|t| t.clone()).unwrap_or_default();
                    for id in &ids {
                        if !matches!(
                            state.refresh_upload_lock(id, &holder, LOCK_TTL_MS).await,
                            Ok(true)
                        ) {
                            tracing::warn!("lost an upload lock during a write");
                        }
                    }
                }
            })
        };
        let mut held = Held {
            state: self.state.clone(),
            taken,
            holder,
            // Aborted on drop too: when the client goes away the web drops the
            // future holding this, and a refresher left running would hold the
            // locks forever. Without a release they expire after LOCK_TTL_MS.
            _refresher: Some(AbortOnDrop(refresher)),
        };
        for id in ids {
            match self
                .state
                .lock_upload(&id, &held.holder, LOCK_TTL_MS, LOCK_WAIT)
                .await
            {
                Ok(()) => held.push(id),
                Err(e) => {
                    held.release().await;
                    return Err(match e {
                        ferry_state::Error::Locked => Error::Locked,
                        e => e.into(),
                    });
                }
            }
        }
        Ok(held)
    }
}

/// Upload locks held by one caller (see [`Service::lock_uploads`]).
struct Held {
    state: ferry_state::State,
    taken: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    holder: String,
    _refresher: Option<AbortOnDrop>,
}

impl Held {
    fn push(&mut self, id: String) {
        if let Ok(mut taken) = self.taken.lock() {
            taken.push(id);
        }
    }

    fn ids(&self) -> Vec<String> {
        self.taken.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Whether every lock is still this holder's (each one's TTL restarted on the way).
    async fn still_held(&self) -> Result<bool> {
        for id in self.ids() {
            if !self
                .state
                .refresh_upload_lock(&id, &self.holder, LOCK_TTL_MS)
                .await?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Stops refreshing and releases every lock (a failure is logged: it expires).
    async fn release(mut self) {
        self._refresher.take();
        for id in self.ids() {
            if let Err(e) = self.state.unlock_upload(&id, &self.holder).await {
                tracing::warn!(error = %e, "could not release an upload lock; it will expire");
            }
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lock_holder() -> String {
    format!("{}:{}", std::process::id(), uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_values_are_found_by_key_and_decoded() {
        let raw = "filename YS50eHQ=,ferry_draft MQ==,ferry_draft_token YWJj";
        assert_eq!(
            metadata_value(raw, "ferry_draft_token").as_deref(),
            Some("abc")
        );
        assert_eq!(metadata_value(raw, "filename").as_deref(), Some("a.txt"));
        assert_eq!(metadata_value(raw, "missing"), None);
        assert_eq!(
            metadata_value("ferry_draft_token", "ferry_draft_token"),
            None
        );
        assert_eq!(
            metadata_value("ferry_draft_token !!!", "ferry_draft_token"),
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn metadata_values_round_trip_and_garbage_never_panics(
            value in ".{1,64}",
            other in "[a-z_]{1,12}",
            garbage in "\\PC{0,200}",
        ) {
            let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
            let raw = format!("{other} {},ferry_draft_token {}", encode("x"), encode(&value));
            let found = metadata_value(&raw, "ferry_draft_token");
            proptest::prop_assert_eq!(found.as_deref(), Some(value.as_str()));
            let _ = metadata_value(&garbage, "ferry_draft_token");
        }
    }
}

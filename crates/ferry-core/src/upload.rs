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
    blob::StreamHash,
    transfer::Transfer,
    tus::{NewUpload, Upload},
};
use futures::Stream;

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
    /// Total length in bytes.
    pub length: u64,
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
}

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
        self.check_upload_length(request.length)?;
        let max_days = self
            .policy
            .lifetimes
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
                length: request.length as i64,
                metadata: request.metadata,
                filename: request.filename.into(),
                content_type,
                max_downloads: request.max_downloads.map(MaxDownloads::get),
                max_days: i32::from(max_days.get()),
                expires_at,
                draft: request.draft,
            })
            .await?)
    }

    /// Removes an upload whose first bytes failed at creation: its client never learnt
    /// where it is, so it could not resume it anyway. A failure is logged (it expires).
    pub async fn abandon_upload(&self, id: &str) {
        if let Err(e) = self.state.terminate_upload(id).await {
            tracing::warn!(error = %e, "could not remove a failed new upload; it expires");
        }
    }

    /// Writes `body` to `upload` at `offset`, under the upload's lock; when its last
    /// byte is in, finishes it — into a transfer with one file (returned, its finishing
    /// enqueued) or, for a draft upload, into the waiting draft. Returns the new offset.
    /// A retried final write finds the same transfer.
    pub async fn write_upload<S, E>(
        &self,
        upload: &Upload,
        offset: i64,
        checksum: Option<Checksum>,
        body: S,
    ) -> Result<(i64, Option<Transfer>)>
    where
        S: Stream<Item = std::result::Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let holder = lock_holder();
        self.lock(&upload.id, &holder).await?;
        let refresher = {
            let (state, id, holder) = (self.state.clone(), upload.id.clone(), holder.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(LOCK_TTL_MS / 3));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if !matches!(
                        state.refresh_upload_lock(&id, &holder, LOCK_TTL_MS).await,
                        Ok(true)
                    ) {
                        tracing::warn!("lost the upload lock during a write");
                    }
                }
            })
        };
        // Aborted on drop too: when the client goes away the web drops this future,
        // and a refresher left running would hold the upload's lock forever.
        let refresher = AbortOnDrop(refresher);
        let result = self.write_under_lock(upload, offset, checksum, body).await;
        drop(refresher);
        if let Err(e) = self.state.unlock_upload(&upload.id, &holder).await {
            tracing::warn!(error = %e, "could not release the upload lock; it will expire");
        }
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
        if current.offset < current.length {
            self.blobs
                .discard_uncommitted(current.blob_id, current.offset)
                .await?;
            let target = Target {
                blobs: self.blobs.as_ref(),
                blob: current.blob_id,
                start: current.offset,
                hash: StreamHash::resume(current.hash_state.as_deref())?,
                limit: current.length,
                chunk_size: self.policy.chunk_size,
                checksum,
                keep_partial: true,
                idle: self.policy.idle_timeout,
            };
            let written = write_body(target, body).await?;
            if written.size < current.length {
                return Ok((written.size, None));
            }
            let sha256 = written.hash.finish();
            self.blobs.seal(current.blob_id, &sha256).await?;
            let transfer = self.state.complete_upload(&current.id, &sha256).await?;
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
        let transfer = self.state.complete_upload(&current.id, &sha256).await?;
        Ok((current.length, transfer))
    }

    /// Terminates upload `id`: an unfinished one loses its bytes; a finished one only
    /// its upload record (its transfer has a deletion token of its own).
    pub async fn terminate_upload(&self, id: &str) -> Result<()> {
        let holder = lock_holder();
        self.lock(id, &holder).await?;
        let existed = self.state.terminate_upload(id).await;
        if let Err(e) = self.state.unlock_upload(id, &holder).await {
            tracing::warn!(error = %e, "could not release the upload lock; it will expire");
        }
        if existed? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    async fn lock(&self, id: &str, holder: &str) -> Result<()> {
        match self
            .state
            .lock_upload(id, holder, LOCK_TTL_MS, LOCK_WAIT)
            .await
        {
            Ok(()) => Ok(()),
            Err(ferry_state::Error::Locked) => Err(Error::Locked),
            Err(e) => Err(e.into()),
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

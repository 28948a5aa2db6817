//! The use cases on transfers and drafts, and the worker's periodic and per-item work.

use std::{sync::Arc, time::Duration};

use chrono::{DurationRound, TimeDelta, Utc};
use ferry_state::{
    BlobStore, State,
    retention::RetentionPolicy,
    stream_hash::StreamHash,
    transfer::{NewFile, Transfer, TransferOptions},
    tus::Upload,
};
use futures::Stream;
use uuid::Uuid;

use crate::{
    Error, FileName, Lifetimes, Limits, MaxDownloads, Result, Schedule, UniqueNames, archive,
    blob::{BlobGuard, Target, store_stream, write_body},
};

/// The deployment's rules for uploads and transfers (from the web's configuration).
#[derive(Clone, Debug)]
pub struct Policy {
    /// Default and longest lifetime of a transfer made by a signed-in user.
    pub lifetimes: Lifetimes,
    /// Default and longest lifetime of a transfer made without an account (the curl
    /// API, tus, the upload page when not signed in): `MAX_DAYS_ANONYMOUS`.
    pub anonymous_lifetimes: Lifetimes,
    /// Attempts every job enqueued by a use case gets.
    pub job_max_attempts: usize,
    /// Largest file, in bytes.
    pub max_upload_size: u64,
    /// Bytes per stored chunk.
    pub chunk_size: usize,
    /// A body that sends nothing for this long is dropped.
    pub idle_timeout: Duration,
    /// Most files in one transfer (and one draft).
    pub max_files: usize,
    /// How long a draft is kept after its last change.
    pub draft_ttl: Duration,
    /// How long an unfinished resumable upload is kept.
    pub upload_expiry: Duration,
    /// How long a password-reset link works (`PASSWORD_RESET_TTL`).
    pub password_reset_ttl: Duration,
    /// How long an address-verification link works (`VERIFICATION_LINK_TTL`).
    pub verification_ttl: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            lifetimes: Lifetimes::new(14, 365),
            anonymous_lifetimes: Lifetimes::new(7, 7),
            job_max_attempts: 5,
            max_upload_size: 10 << 30,
            chunk_size: ferry_state::blob::CHUNK_SIZE,
            idle_timeout: Duration::from_secs(30),
            max_files: 1000,
            draft_ttl: Duration::from_secs(7 * 86_400),
            upload_expiry: Duration::from_secs(86_400),
            password_reset_ttl: Duration::from_secs(3600),
            verification_ttl: Duration::from_secs(2 * 86_400),
        }
    }
}

/// How the worker's housekeeping runs (from the worker's configuration).
#[derive(Clone, Debug)]
pub struct Housekeeping {
    /// Chunks deleted per statement when purging.
    pub purge_batch: i64,
    /// How long after a download last started its transfer's bytes are kept.
    pub purge_grace: Duration,
    /// What the retention sweep keeps.
    pub retention: RetentionPolicy,
}

/// The options of sending a draft.
#[derive(Clone, Debug)]
pub struct SendDraft {
    /// Lifetime and download limit.
    pub limits: Limits,
    /// argon2id hash of the share password, if any (hashing is the web's: it owns the
    /// memory budget for it).
    pub password_hash: Option<String>,
    /// The signed-in sender, if any.
    pub owner_id: Option<Uuid>,
}

/// The use cases, over one deployment's state. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(crate) state: State,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) policy: Arc<Policy>,
    housekeeping: Option<Arc<Housekeeping>>,
}

impl Service {
    /// The use cases of a web process.
    pub fn new(state: State, policy: Policy) -> Service {
        Service {
            blobs: state.blob_store(),
            state,
            policy: Arc::new(policy),
            housekeeping: None,
        }
    }

    /// The use cases of a worker process (which also does the housekeeping).
    pub fn with_housekeeping(state: State, policy: Policy, housekeeping: Housekeeping) -> Service {
        Service {
            housekeeping: Some(Arc::new(housekeeping)),
            ..Service::new(state, policy)
        }
    }

    /// The state layer, for reads (finding a transfer, an upload, a user).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The blob store, for reading bytes out.
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The rules this service applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A guard for blobs written by one operation (see [`BlobGuard`]).
    pub fn blob_guard(&self) -> BlobGuard {
        BlobGuard::new(self.blobs.clone())
    }

    /// Parses a client's `Max-Downloads` and `Max-Days` (absent: no limit, the default
    /// lifetime).
    pub fn limits(&self, max_downloads: Option<&str>, max_days: Option<&str>) -> Result<Limits> {
        Limits::parse(&self.policy.anonymous_lifetimes, max_downloads, max_days)
    }

    /// [`Service::limits`] for a transfer a signed-in user makes: up to
    /// `MAX_DAYS_LIMIT` days instead of `MAX_DAYS_ANONYMOUS`.
    pub fn account_limits(
        &self,
        max_downloads: Option<&str>,
        max_days: Option<&str>,
    ) -> Result<Limits> {
        Limits::parse(&self.policy.lifetimes, max_downloads, max_days)
    }

    /// Refuses the `n`th file of one transfer when it is one too many.
    pub fn check_file_count(&self, n: usize) -> Result<()> {
        if n > self.policy.max_files {
            return Err(Error::invalid(format!(
                "too many files: a transfer holds at most {}",
                self.policy.max_files
            )));
        }
        Ok(())
    }

    /// Streams one file's bytes (at most `limit`) into a new sealed blob, guarded by
    /// `guard`. Empty files are refused.
    pub async fn store_file<S, E>(
        &self,
        guard: &mut BlobGuard,
        name: FileName,
        body: S,
        limit: u64,
    ) -> Result<NewFile>
    where
        S: Stream<Item = std::result::Result<bytes::Bytes, E>>,
        E: std::fmt::Display,
    {
        let blob = guard.create().await?;
        let target = Target {
            blobs: self.blobs.as_ref(),
            blob,
            start: 0,
            hash: StreamHash::default(),
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            chunk_size: self.policy.chunk_size,
            checksum: None,
            keep_partial: false,
            idle: self.policy.idle_timeout,
        };
        let written = write_body(target, body).await?;
        if written.size == 0 {
            return Err(Error::invalid(format!("`{name}` is empty")));
        }
        let sha256 = written.hash.finish();
        self.blobs.seal(blob, &sha256).await?;
        Ok(NewFile {
            content_type: name.guess_type(),
            name: name.into(),
            blob_id: blob,
            size: written.size,
            sha256: sha256.to_vec(),
        })
    }

    /// Makes a transfer of `files` (written under `guard`, which it disarms once the
    /// transfer holds them) and enqueues their finishing. Names are made unique within
    /// the transfer, in order (`a.txt`, `a (2).txt`, …). `owner`: the account it is
    /// made for (an API token's), whose "my transfers" lists it.
    pub async fn create_transfer(
        &self,
        guard: BlobGuard,
        mut files: Vec<NewFile>,
        limits: Limits,
        owner: Option<Uuid>,
    ) -> Result<Transfer> {
        if files.is_empty() {
            return Err(Error::invalid(
                "no file parts in the form (use -F filedata=@file)",
            ));
        }
        self.check_file_count(files.len())?;
        let mut names = UniqueNames::default();
        for file in &mut files {
            file.name = names.claim(std::mem::take(&mut file.name));
        }
        let options = TransferOptions {
            owner_id: owner,
            ..TransferOptions::new(
                limits.max_days.expires_at(Utc::now()),
                limits.max_downloads.map(MaxDownloads::get),
            )
        };
        let transfer = self.state.create_transfer(&files, &options).await?;
        guard.disarm();
        self.enqueue_finishing(&transfer).await;
        Ok(transfer)
    }

    /// Deletes the transfer `token` for whoever holds its deletion token (and, when
    /// given, names one of its files). Readers see it gone at once; the purge job frees
    /// the bytes.
    pub async fn delete_transfer(
        &self,
        token: &str,
        file_name: Option<&str>,
        deletion_token: &str,
    ) -> Result<()> {
        if let Some(name) = file_name {
            let transfer = self.state.find_transfer(token).await?;
            if transfer.as_ref().is_some_and(|t| t.file(name).is_none()) {
                return Err(Error::NotFound);
            }
        }
        let id = self
            .state
            .delete_transfer(token, deletion_token)
            .await?
            .ok_or(Error::NotFound)?;
        self.enqueue_purge(id).await;
        Ok(())
    }

    /// Deletes the transfer `token` if `owner` made it.
    pub async fn delete_owned_transfer(&self, token: &str, owner: Uuid) -> Result<()> {
        let id = self
            .state
            .delete_owned_transfer(token, owner)
            .await?
            .ok_or(Error::NotFound)?;
        self.enqueue_purge(id).await;
        Ok(())
    }

    /// The finished uploads in draft `draft`, in the order they were added.
    pub async fn draft(&self, draft: &str) -> Result<Vec<Upload>> {
        let items = self.state.draft_items(draft).await?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.state.draft_uploads(&items).await?)
    }

    /// Adds the finished draft upload `upload_id` to draft `draft`, if it was started
    /// for that draft: its metadata carries `draft_token` (knowing an upload id is not
    /// enough). Returns the number of files in the draft.
    pub async fn add_to_draft(
        &self,
        draft: &str,
        upload_id: &str,
        draft_token: &str,
    ) -> Result<usize> {
        let found = self.state.draft_uploads(&[upload_id.to_owned()]).await?;
        let Some(upload) = found.first() else {
            return Err(Error::invalid("that upload is not a finished draft upload"));
        };
        let carried = upload
            .metadata
            .as_deref()
            .and_then(|raw| crate::metadata_value(raw, DRAFT_TOKEN_KEY));
        let matches = carried.is_some_and(|token| {
            subtle::ConstantTimeEq::ct_eq(token.as_bytes(), draft_token.as_bytes()).into()
        });
        if !matches {
            return Err(Error::Forbidden("not_your_upload"));
        }
        // One atomic Redis command per addition: uploads finishing at once all land.
        self.state
            .draft_add(
                draft,
                upload_id,
                self.policy.max_files,
                self.policy.draft_ttl.as_secs(),
            )
            .await?
            .ok_or_else(|| {
                Error::invalid(format!(
                    "a draft holds at most {} files (MAX_FILES_PER_TRANSFER)",
                    self.policy.max_files
                ))
            })
    }

    /// Moves the items of draft `from` into draft `to` (at sign-in: what the visitor
    /// drafted before follows them into their account's draft, and the cookie-derived
    /// draft, which whoever planted that cookie could read, is left empty).
    pub async fn adopt_draft(&self, from: &str, to: &str) -> Result<()> {
        if from == to {
            return Ok(());
        }
        let ttl = self.policy.draft_ttl.as_secs().max(1);
        for item in self.state.draft_items(from).await? {
            // A full draft keeps what it has; the rest stays behind in `from`, which
            // expires like any draft.
            if self
                .state
                .draft_add(to, &item, self.policy.max_files, ttl)
                .await?
                .is_none()
            {
                return Ok(());
            }
            self.state.draft_remove(from, &item).await?;
        }
        Ok(())
    }

    /// Takes upload `upload_id` out of draft `draft`.
    pub async fn remove_from_draft(&self, draft: &str, upload_id: &str) -> Result<()> {
        Ok(self.state.draft_remove(draft, upload_id).await?)
    }

    /// Sends draft `draft`: its finished uploads become the files of one new transfer
    /// (names made unique within it), the draft is emptied and the files' finishing is
    /// enqueued. `None` when the draft holds nothing to send.
    pub async fn send_draft(&self, draft: &str, send: SendDraft) -> Result<Option<Transfer>> {
        let options = TransferOptions {
            expires_at: send.limits.max_days.expires_at(Utc::now()),
            max_downloads: send.limits.max_downloads.map(MaxDownloads::get),
            password_hash: send.password_hash,
            owner_id: send.owner_id,
            file_request_id: None,
        };
        self.send_draft_as(draft, &options).await
    }

    /// Sends draft `draft` as a transfer with `options`: only its uploads into
    /// `options.file_request_id` (none: its uploads into no request) are taken.
    pub(crate) async fn send_draft_as(
        &self,
        draft: &str,
        options: &TransferOptions,
    ) -> Result<Option<Transfer>> {
        let items = self.state.draft_items(draft).await?;
        let mut names = UniqueNames::default();
        let Some(transfer) = self
            .state
            .create_transfer_from_uploads(&items, options, options.file_request_id, |name| {
                names.claim_name(FileName::parse(&name)).into()
            })
            .await?
        else {
            return Ok(None);
        };
        self.state.draft_clear(draft).await?;
        self.enqueue_finishing(&transfer).await;
        Ok(Some(transfer))
    }

    /// Enqueues finishing (and bundling) of a new transfer. A failure is logged, not
    /// returned: the files are safe, and the `purge-expired` sweep enqueues what is
    /// missing.
    pub(crate) async fn enqueue_finishing(&self, transfer: &Transfer) {
        if let Err(e) = self
            .state
            .enqueue_transfer_jobs(transfer, self.policy.job_max_attempts)
            .await
        {
            tracing::warn!(error = %e, transfer = %transfer.id, "could not enqueue finishing jobs; the sweep will");
        }
    }

    /// Enqueues the purge of a deleted transfer; a failure is logged (the sweep will).
    pub(crate) async fn enqueue_purge(&self, id: Uuid) {
        if let Err(e) = self
            .state
            .enqueue_purge(id, self.policy.job_max_attempts)
            .await
        {
            tracing::warn!(error = %e, "could not enqueue the purge; the sweep will");
        }
    }

    fn housekeeping(&self) -> Result<&Housekeeping> {
        self.housekeeping.as_deref().ok_or_else(|| {
            Error::State(ferry_state::Error::Config(
                "housekeeping runs only in a worker".into(),
            ))
        })
    }

    /// Runs the work of one slot of `schedule` (a clock enqueued it; a worker runs it).
    /// Idempotent: a slot run twice does its work twice, harmlessly.
    pub async fn run_schedule(
        &self,
        schedule: Schedule,
        slot: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let housekeeping = self.housekeeping()?;
        let attempts = self.policy.job_max_attempts;
        match schedule {
            Schedule::PurgeExpired => {
                let mut purges = 0;
                for id in self
                    .state
                    .purgeable_transfers(1000, housekeeping.purge_grace)
                    .await?
                {
                    purges += usize::from(self.state.enqueue_purge(id, attempts).await?);
                }
                // Files whose finishing job was never enqueued (web lost Postgres right
                // after the upload) are picked up here.
                let mut finishes = 0;
                for id in self
                    .state
                    .unfinished_files(TimeDelta::minutes(1), 1000)
                    .await?
                {
                    finishes += usize::from(self.state.enqueue_finish(id, attempts).await?);
                }
                // Scans likewise (their job is enqueued beside the finishing one).
                let mut scans = 0;
                for id in self
                    .state
                    .pending_scans(TimeDelta::minutes(1), 1000)
                    .await?
                {
                    scans += usize::from(self.state.enqueue_scan(id).await?);
                }
                tracing::info!(purges, finishes, scans, "purge sweep enqueued jobs");
            }
            Schedule::AbortIdleUploads => {
                let aborted = self
                    .state
                    .abort_idle_uploads(housekeeping.purge_batch)
                    .await?;
                // Requests ended long ago, once the sweep above gave back their
                // unfinished uploads (what arrived stays, as the owner's transfers).
                let requests = self
                    .state
                    .purge_file_requests(crate::file_request::KEEP_ENDED_DAYS)
                    .await?;
                tracing::info!(aborted, requests, "idle resumable uploads aborted");
            }
            Schedule::StatsRollup => {
                let hour = slot
                    .duration_trunc(TimeDelta::hours(1))
                    .map_err(|e| Error::invalid(format!("slot {slot}: {e}")))?
                    - TimeDelta::hours(1);
                self.state.roll_up_usage(hour).await?;
                tracing::info!(%hour, "usage rolled up");
            }
            Schedule::RetentionSweep => {
                let swept = self.state.sweep_retention(&housekeeping.retention).await?;
                tracing::info!(
                    jobs = swept.jobs,
                    workers = swept.workers,
                    cron_slots = swept.cron_slots,
                    job_effects = swept.job_effects,
                    mail = swept.mail,
                    audit = swept.audit,
                    orphan_blobs = swept.orphan_blobs,
                    orphan_chunks = swept.orphan_chunks,
                    "retention sweep done"
                );
            }
        }
        Ok(())
    }

    /// Frees one dead transfer's bytes in bounded batches, then its rows. Returns
    /// `false` (doing nothing) while it is live or in its download grace period.
    pub async fn purge(&self, transfer: Uuid) -> Result<bool> {
        let housekeeping = self.housekeeping()?;
        Ok(self
            .state
            .purge_transfer(transfer, housekeeping.purge_batch, housekeeping.purge_grace)
            .await?)
    }

    /// Builds and attaches the stored zip of transfer `id` — the same bytes
    /// `/{token}.zip` streams live — unless it is gone, has one file, or has one.
    pub async fn build_bundle(&self, id: Uuid) -> Result<()> {
        let Some(transfer) = self.state.live_transfer_by_id(id).await? else {
            return Ok(());
        };
        if transfer.bundle_blob_id.is_some() || transfer.files.len() < 2 {
            return Ok(());
        }
        let plan = archive::zip_plan(&transfer.files, transfer.created_at);
        let zip = archive::zip_stream(self.blobs.clone(), transfer.files.clone(), plan.clone());
        let mut guard = self.blob_guard();
        let (blob, size, _) =
            store_stream(&self.blobs, &mut guard, zip, self.policy.chunk_size).await?;
        if size as u64 != plan.len() {
            return Err(Error::State(ferry_state::Error::Corrupt(format!(
                "zip of {id} is {size} bytes, planned {}",
                plan.len()
            ))));
        }
        // Not attached when another run of this job got there first: then
        // `attach_bundle` has deleted ours already.
        let attached = self.state.attach_bundle(id, blob).await?;
        guard.disarm();
        if attached {
            tracing::info!(transfer = %id, bytes = size, "zip stored");
        }
        Ok(())
    }

    /// Stores bytes the system made (a thumbnail) as a new sealed blob, deleted again
    /// unless the returned guard is disarmed.
    pub async fn store_bytes(&self, bytes: Vec<u8>) -> Result<(Uuid, BlobGuard)> {
        let mut guard = self.blob_guard();
        let body =
            futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(bytes))]);
        let (blob, _, _) =
            store_stream(&self.blobs, &mut guard, body, self.policy.chunk_size).await?;
        Ok((blob, guard))
    }
}

/// The `Upload-Metadata` key that carries the draft token of the page that started an
/// upload.
pub const DRAFT_TOKEN_KEY: &str = "ferry_draft_token";

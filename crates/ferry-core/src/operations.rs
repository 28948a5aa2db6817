//! The operator's use cases: the demonstration job (for drills and benchmarks),
//! giving a dead job another set of attempts, moving blobs between stores, abuse
//! takedowns that purge at once, account removal and password resets, and freeing
//! orphaned bytes on demand. Shared by the admin CLI, the admin page and the
//! test-only web endpoint.
//!
//! Why a takedown purges at once when every other deletion leaves the bytes to the
//! purge job: it is for content that must not stay stored, and the operator running
//! it wants to know it is gone when the command returns. Downloads already streaming
//! it are cut (the purge grace is zero); that is the point.

use std::time::Duration;

use ferry_state::{jobs::DemoJob, transfer::TransferStatus, user::UserSummary};
use uuid::Uuid;

use crate::{Error, Result, Service};

/// Longest a demonstration job may "work".
const MAX_DEMO_WORK_MS: u64 = 600_000;

impl Service {
    /// Queues one demonstration job that works `work_ms`, fails its first
    /// `fail_attempts` attempts, then records its effect under `key`; returns its id
    /// once it is durably queued.
    pub async fn enqueue_demo(
        &self,
        key: String,
        work_ms: u64,
        fail_attempts: u32,
    ) -> Result<String> {
        if key.is_empty() || key.len() > 200 {
            return Err(Error::invalid("key must be 1 to 200 bytes"));
        }
        if work_ms > MAX_DEMO_WORK_MS {
            return Err(Error::invalid(format!(
                "work_ms must be at most {MAX_DEMO_WORK_MS}"
            )));
        }
        let job = DemoJob {
            key,
            work_ms,
            fail_attempts,
            noop: false,
        };
        Ok(self
            .state
            .enqueue_demo(job, self.policy.job_max_attempts)
            .await?)
    }

    /// Gives the dead job `id` a fresh set of attempts; not found when it is not dead.
    /// Audited as `actor`'s.
    pub async fn retry_dead_job(&self, actor: &str, id: &str) -> Result<()> {
        if self.state.retry_dead_job(id).await? {
            self.audit(actor, "jobs.retry", id, serde_json::json!({}))
                .await
        } else {
            Err(Error::NotFound)
        }
    }

    /// Records an admin action in the audit log (`actor`: an admin's e-mail address,
    /// or `cli:` and the operating-system user). Written after the action: an action
    /// that failed is not in it; one whose record fails says so to its caller.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        Ok(self
            .state
            .record_audit(actor, action, target, &details)
            .await?)
    }

    /// Grants (or takes away) the admin role. `false` if there is no such user.
    pub async fn set_admin(&self, actor: &str, email: &str, admin: bool) -> Result<bool> {
        if !self.state.set_admin(email, admin).await? {
            return Ok(false);
        }
        let action = if admin {
            "users.make_admin"
        } else {
            "users.revoke_admin"
        };
        self.audit(actor, action, email, serde_json::json!({}))
            .await?;
        Ok(true)
    }
}

/// Progress of moving blobs between stores.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BlobMigration {
    /// Blobs moved by this run.
    pub moved: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Blobs that changed under the move and were left for the next run.
    pub skipped: u64,
    /// Sealed blobs still outside the target store.
    pub left: i64,
}

impl Service {
    /// Moves every sealed blob into store `to`, `batch` at a time, calling `progress`
    /// after each batch; the old copies are kept for `grace` (downloads reading them
    /// finish) and then freed by the retention sweep. Resumable and idempotent: a
    /// blob already in `to` is skipped, a copy interrupted by a kill is redone.
    pub async fn migrate_blobs(
        &self,
        to: ferry_state::StoreKind,
        batch: i64,
        grace: std::time::Duration,
        mut progress: impl FnMut(&BlobMigration),
    ) -> Result<BlobMigration> {
        let mut total = BlobMigration::default();
        let mut after = uuid::Uuid::nil();
        loop {
            let (moved, last) = self
                .state
                .move_blobs(to, after, batch.max(1), grace)
                .await?;
            total.moved += moved.blobs;
            total.bytes += moved.bytes;
            total.skipped += moved.skipped;
            let Some(last) = last else { break };
            after = last;
            total.left = self.state.blobs_outside(to).await?.0;
            progress(&total);
        }
        total.left = self.state.blobs_outside(to).await?.0;
        // Old copies whose grace period is over (from earlier runs).
        self.state.empty_tombstones(1000).await?;
        Ok(total)
    }
}

/// Chunks deleted per statement while a takedown purges.
const PURGE_BATCH: i64 = 1000;

impl Service {
    /// Transfer `token` in whatever state it is, for an operator to judge.
    pub async fn transfer_status(&self, token: &str) -> Result<Option<TransferStatus>> {
        Ok(self.state.transfer_status(token).await?)
    }

    /// Takes transfer `token` down: its links are 404 at once and its bytes are freed
    /// before this returns. `false` if there is no such transfer.
    pub async fn take_down(&self, actor: &str, token: &str) -> Result<bool> {
        let Some(id) = self.state.take_down_transfer(token).await? else {
            return Ok(false);
        };
        self.audit(actor, "transfers.take_down", token, serde_json::json!({}))
            .await?;
        self.purge_now(id).await?;
        Ok(true)
    }

    /// Gives the user with this e-mail address a storage quota of their own (`None`:
    /// `DEFAULT_USER_QUOTA` again). `false` if there is no such user. Lowering it
    /// below what they use deletes nothing; it refuses their next transfers.
    pub async fn set_user_quota(
        &self,
        actor: &str,
        email: &str,
        quota: Option<u64>,
    ) -> Result<bool> {
        let bytes = quota.map(|q| i64::try_from(q).unwrap_or(i64::MAX));
        if !self.state.set_user_quota(email, bytes).await? {
            return Ok(false);
        }
        self.audit(
            actor,
            "users.set_quota",
            email,
            serde_json::json!({ "quota_bytes": bytes }),
        )
        .await?;
        Ok(true)
    }

    /// Disables (or enables again) an account: disabled, it cannot sign in, its
    /// sessions end and its API tokens fail; what it shared stays. `false` if there is
    /// no such user.
    pub async fn set_user_disabled(
        &self,
        actor: &str,
        email: &str,
        disabled: bool,
    ) -> Result<bool> {
        if !self.state.set_user_disabled(email, disabled).await? {
            return Ok(false);
        }
        let action = if disabled {
            "users.disable"
        } else {
            "users.enable"
        };
        self.audit(actor, action, email, serde_json::json!({}))
            .await?;
        Ok(true)
    }

    /// Makes an account for `email` with `password_hash` (argon2id, made by the caller):
    /// how accounts arrive when `SIGNUP=closed`. `false` if the address is taken.
    pub async fn create_user(&self, actor: &str, email: &str, password_hash: &str) -> Result<bool> {
        if self
            .state
            .create_user(email, password_hash)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        self.audit(actor, "users.create", email, serde_json::json!({}))
            .await?;
        Ok(true)
    }

    /// Every user (at most `limit`), oldest first.
    pub async fn users(&self, limit: i64) -> Result<Vec<UserSummary>> {
        Ok(self.state.users(limit).await?)
    }

    /// Deletes the user with this e-mail address and takes down every transfer they
    /// own. Returns how many transfers went, or `None` if there is no such user.
    pub async fn delete_user(&self, actor: &str, email: &str) -> Result<Option<usize>> {
        let Some(transfers) = self.state.delete_user(email).await? else {
            return Ok(None);
        };
        self.audit(
            actor,
            "users.delete",
            email,
            serde_json::json!({ "transfers_taken_down": transfers.len() }),
        )
        .await?;
        for &id in &transfers {
            self.purge_now(id).await?;
        }
        Ok(Some(transfers.len()))
    }

    /// Replaces a user's password hash (argon2id, made by the caller). `false` if
    /// there is no such user.
    pub async fn reset_password(
        &self,
        actor: &str,
        email: &str,
        password_hash: &str,
    ) -> Result<bool> {
        if !self.state.set_password_hash(email, password_hash).await? {
            return Ok(false);
        }
        self.audit(actor, "users.reset_password", email, serde_json::json!({}))
            .await?;
        Ok(true)
    }

    /// Frees every blob nothing refers to whose bytes have not changed for `age` (the
    /// retention sweep's orphan pass, now), `batch` at a time. A blob that gains a
    /// reference meanwhile stays (see `State::reclaim_orphan_blob`). Returns how many
    /// were freed.
    pub async fn sweep_orphan_blobs(&self, age: Duration, batch: i64) -> Result<u64> {
        let (blobs, _chunks) = self.state.reclaim_orphan_blobs(age, batch).await?;
        Ok(blobs)
    }

    /// Frees a deleted transfer's bytes and rows now; if that fails midway, the purge
    /// job (enqueued) finishes it.
    async fn purge_now(&self, id: Uuid) -> Result<()> {
        match self
            .state
            .purge_transfer(id, PURGE_BATCH, Duration::ZERO)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                self.enqueue_purge(id).await;
                Err(e.into())
            }
        }
    }
}

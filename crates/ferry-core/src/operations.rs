//! The operator's use cases: the demonstration job (for drills and benchmarks) and
//! giving a dead job another set of attempts. Shared by the admin CLI, the admin page
//! and the test-only web endpoint.

use ferry_state::jobs::DemoJob;

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
        };
        Ok(self
            .state
            .enqueue_demo(job, self.policy.job_max_attempts)
            .await?)
    }

    /// Gives the dead job `id` a fresh set of attempts; not found when it is not dead.
    pub async fn retry_dead_job(&self, id: &str) -> Result<()> {
        if self.state.retry_dead_job(id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
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

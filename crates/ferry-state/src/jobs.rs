//! Background jobs, stored in Postgres by apalis (`apalis.jobs`).
//!
//! Why Postgres and not Redis for jobs: a job is durable data (losing one loses a
//! user's file processing), and Postgres gives us row locks with `SKIP LOCKED`,
//! unique idempotency keys and transactions. Redis stays the home of short-lived data.
//!
//! Delivery is at-least-once. Each worker process registers under a name that is never
//! reused, heartbeats every `heartbeat`, and any worker's heartbeat re-queues the jobs
//! held by workers silent for `heartbeat × missed_heartbeats` (apalis' orphan recovery).
//! So handlers must be idempotent: the demo handler records its effect with an upsert.
//!
//! A job that keeps failing is retried in-process with exponential backoff until it
//! has used `max_attempts`; it then stays in the table with status `Failed` and
//! `attempts >= max_attempts` — the dead-letter state — until an admin retries it.

use std::time::Duration;

use apalis_core::{
    backend::{TaskSink, TaskSinkError},
    task::{builder::TaskBuilder, task_id::TaskId},
};
use apalis_postgres::{Config as QueueConfig, PostgresStorage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, State};

/// Queue of [`DemoJob`]s.
pub const DEMO_QUEUE: &str = "ferry.demo";
/// Queue of [`CronTick`]s.
pub const CRON_QUEUE: &str = "ferry.cron";

/// Queue of [`FinishFile`] jobs.
pub const FINISH_QUEUE: &str = "ferry.finish";
/// Queue of [`BuildBundle`] jobs.
pub const BUNDLE_QUEUE: &str = "ferry.bundle";
/// Queue of [`PurgeTransfer`] jobs.
pub const PURGE_QUEUE: &str = "ferry.purge";
/// Queue of [`crate::mail::SendMail`] jobs (run only by workers with `SMTP_URL`).
pub const MAIL_QUEUE: &str = "ferry.mail";
/// Queue of [`ScanFile`] jobs (run only by workers with `CLAMAV_URL`).
pub const SCAN_QUEUE: &str = "ferry.scan";

/// Attempts of a scan job. A scan fails while clamd is down, and must still run
/// when clamd returns: with the default `RETRY_BACKOFF_MAX` of 60 s, this many
/// attempts outlast an outage of about 16 hours (after that the job is dead, the
/// file stays pending, and `ferry admin jobs retry` brings the job back).
pub const SCAN_ATTEMPTS: usize = 1000;

/// All queues a worker consumes, for listings.
pub const QUEUES: &[&str] = &[
    DEMO_QUEUE,
    CRON_QUEUE,
    FINISH_QUEUE,
    BUNDLE_QUEUE,
    PURGE_QUEUE,
    MAIL_QUEUE,
    SCAN_QUEUE,
];

/// Every status apalis gives a job, for gauges that must exist at zero.
pub const JOB_STATUSES: &[&str] = &["Pending", "Queued", "Running", "Done", "Failed", "Killed"];

/// Verify a file's SHA-256, sniff its real type, make a thumbnail, mark it ready.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FinishFile {
    /// The file.
    pub file_id: uuid::Uuid,
}

/// Scan a file for malware (clamd) and record the verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanFile {
    /// The file.
    pub file_id: uuid::Uuid,
}

/// Build the stored zip of a multi-file transfer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildBundle {
    /// The transfer.
    pub transfer_id: uuid::Uuid,
}

/// Free the bytes and rows of an expired or deleted transfer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PurgeTransfer {
    /// The transfer.
    pub transfer_id: uuid::Uuid,
}

/// A demonstration job: does `work_ms` of work, fails its first `fail_attempts`
/// attempts, then records its effect under `key`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DemoJob {
    /// Identifies the logical job; its effect is recorded under this key.
    pub key: String,
    /// How long the job "works", in milliseconds.
    #[serde(default)]
    pub work_ms: u64,
    /// How many attempts fail before one succeeds (to exercise retries).
    #[serde(default)]
    pub fail_attempts: u32,
    /// Does nothing at all, not even record its effect: a job that measures the queue
    /// itself (`benches/jobs.sh` enqueues these next to Sidekiq's no-op jobs).
    #[serde(default)]
    pub noop: bool,
}

/// A job enqueued by the clock for one slot of one schedule.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CronTick {
    /// Schedule name, e.g. `purge-expired`.
    pub schedule: String,
    /// The slot time this tick stands for.
    pub slot: DateTime<Utc>,
}

/// How workers poll and how fast orphans are detected.
#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// Interval between a worker's heartbeats (and orphan sweeps).
    pub heartbeat: Duration,
    /// A worker silent for this many heartbeats is dead; its jobs are re-queued.
    pub missed_heartbeats: usize,
    /// How many jobs a worker claims per fetch.
    pub batch_size: usize,
}

/// A job that used all its attempts.
#[derive(Clone, Debug, Serialize)]
pub struct DeadJob {
    /// apalis task id.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// Attempts used.
    pub attempts: i32,
    /// The last error recorded by a handler.
    pub last_error: Option<String>,
    /// When it last ran.
    pub done_at: Option<DateTime<Utc>>,
}

/// Number of jobs per queue and status.
#[derive(Clone, Debug, Serialize)]
pub struct QueueDepth {
    /// Queue name.
    pub queue: String,
    /// apalis status (`Pending`, `Queued`, `Running`, `Done`, `Failed`, `Killed`).
    pub status: String,
    /// Jobs in that state.
    pub count: i64,
}

impl State {
    /// The backend a worker consumes `queue` through (`crate::queue`): batched
    /// rounds, woken by `wakeups` (one per process: `JobWakeups::listen`).
    pub fn queue_backend<Args>(
        &self,
        queue: &str,
        settings: &QueueSettings,
        wakeups: &crate::queue::JobWakeups,
    ) -> crate::queue::JobQueue<Args> {
        let config = QueueConfig::default()
            .queue(queue)
            .heartbeat_interval(settings.heartbeat)
            .missed_heartbeats(settings.missed_heartbeats)
            .batch_size(settings.batch_size);
        crate::queue::JobQueue::new(self.pg(), config, wakeups)
    }

    /// Starts this process's listener for new jobs (see `crate::queue::JobWakeups`).
    pub fn job_wakeups(&self) -> crate::queue::JobWakeups {
        crate::queue::JobWakeups::listen(self.pg())
    }

    /// Enqueues a demo job; returns its task id. It is attempted at most `max_attempts` times.
    pub async fn enqueue_demo(&self, job: DemoJob, max_attempts: usize) -> Result<String> {
        let id = TaskId::from_ulid(ulid::Ulid::generate());
        let task = TaskBuilder::new(job)
            .task_id(id.clone())
            .max_attempts(max_attempts)
            .build();
        let mut storage = PostgresStorage::<DemoJob>::new(self.pg())
            .with_config(QueueConfig::default().queue(DEMO_QUEUE));
        storage.push_task(task).await.map_err(queue_error)?;
        Ok(id.to_string())
    }

    /// Pushes a task carrying a unique idempotency key. Returns `false` when a task with
    /// that key already exists in the queue (nothing is pushed then).
    pub async fn enqueue_unique<Args>(
        &self,
        queue: &str,
        args: Args,
        idempotency_key: &str,
        max_attempts: usize,
    ) -> Result<Option<String>>
    where
        Args: Serialize + serde::de::DeserializeOwned + Unpin + Send + Sync + 'static,
    {
        let id = TaskId::from_ulid(ulid::Ulid::generate());
        let task = TaskBuilder::new(args)
            .task_id(id.clone())
            .idempotency_key(idempotency_key)
            .max_attempts(max_attempts)
            .build();
        let mut storage = PostgresStorage::<Args>::new(self.pg())
            .with_config(QueueConfig::default().queue(queue));
        match storage.push_task(task).await {
            Ok(()) => Ok(Some(id.to_string())),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(queue_error(e)),
        }
    }

    /// Enqueues the jobs every new transfer needs: finish each file, and build the
    /// stored zip when there are several. Deduplicated by idempotency keys, so calling
    /// it twice (or from a sweep) enqueues nothing new.
    pub async fn enqueue_transfer_jobs(
        &self,
        transfer: &crate::transfer::Transfer,
        max_attempts: usize,
    ) -> Result<()> {
        for file in &transfer.files {
            self.enqueue_finish(file.id, max_attempts).await?;
            if file.scan == crate::transfer::Scan::Pending {
                self.enqueue_scan(file.id).await?;
            }
        }
        if transfer.files.len() > 1 {
            let job = BuildBundle {
                transfer_id: transfer.id,
            };
            self.enqueue_unique(
                BUNDLE_QUEUE,
                job,
                &format!("bundle:{}", transfer.id),
                max_attempts,
            )
            .await?;
        }
        Ok(())
    }

    /// Enqueues finishing of file `id` unless already enqueued.
    pub async fn enqueue_finish(&self, id: uuid::Uuid, max_attempts: usize) -> Result<bool> {
        let job = FinishFile { file_id: id };
        Ok(self
            .enqueue_unique(FINISH_QUEUE, job, &format!("finish:{id}"), max_attempts)
            .await?
            .is_some())
    }

    /// Enqueues the malware scan of file `id` unless already enqueued (it gets
    /// [`SCAN_ATTEMPTS`]).
    pub async fn enqueue_scan(&self, id: uuid::Uuid) -> Result<bool> {
        let job = ScanFile { file_id: id };
        Ok(self
            .enqueue_unique(SCAN_QUEUE, job, &format!("scan:{id}"), SCAN_ATTEMPTS)
            .await?
            .is_some())
    }

    /// Enqueues purging of transfer `id` unless already enqueued.
    pub async fn enqueue_purge(&self, id: uuid::Uuid, max_attempts: usize) -> Result<bool> {
        let job = PurgeTransfer { transfer_id: id };
        Ok(self
            .enqueue_unique(PURGE_QUEUE, job, &format!("purge:{id}"), max_attempts)
            .await?
            .is_some())
    }

    /// Records that a handler completed the job `key`; returns how many times it has
    /// been completed so far (1 unless the job was delivered more than once).
    pub async fn record_job_effect(&self, queue: &str, key: &str, worker: &str) -> Result<i32> {
        let runs = sqlx::query_scalar!(
            "INSERT INTO job_effects (job_key, queue, last_worker) VALUES ($1, $2, $3)
             ON CONFLICT (job_key) DO UPDATE
               SET runs = job_effects.runs + 1, last_worker = $3, last_done = now()
             RETURNING runs",
            key,
            queue,
            worker
        )
        .fetch_one(self.pg())
        .await?;
        Ok(runs)
    }

    /// Number of dead jobs per queue (queues with none are absent): one grouped count,
    /// cheap enough for every metrics refresh.
    pub async fn dead_job_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query!(
            r#"SELECT job_type, count(*) AS "count!" FROM apalis.jobs
               WHERE (status = 'Failed' AND attempts >= max_attempts) OR status = 'Killed'
               GROUP BY job_type"#
        )
        .fetch_all(self.pg())
        .await?;
        Ok(rows.into_iter().map(|r| (r.job_type, r.count)).collect())
    }

    /// Jobs that used all their attempts, newest first.
    pub async fn dead_jobs(&self) -> Result<Vec<DeadJob>> {
        let rows = sqlx::query!(
            "SELECT id, job_type, attempts, last_result, done_at FROM apalis.jobs
             WHERE (status = 'Failed' AND attempts >= max_attempts) OR status = 'Killed'
             ORDER BY done_at DESC NULLS LAST LIMIT 500"
        )
        .fetch_all(self.pg())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| DeadJob {
                id: row.id,
                queue: row.job_type,
                attempts: row.attempts,
                last_error: row.last_result.map(|v| match v.get("Err") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    _ => v.to_string(),
                }),
                done_at: row.done_at,
            })
            .collect())
    }

    /// Gives a dead job a fresh set of attempts. Returns `false` if `id` is not dead.
    pub async fn retry_dead_job(&self, id: &str) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE apalis.jobs
               SET status = 'Pending', attempts = 0, run_at = now(), lock_by = NULL,
                   lock_at = NULL, done_at = NULL
             WHERE id = $1 AND ((status = 'Failed' AND attempts >= max_attempts) OR status = 'Killed')",
            id
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Hands back every job still claimed by the worker process `identity` (its queue
    /// workers are named `{identity}/…`): they become `Pending` for any other worker.
    /// Call after the process's workers have stopped; returns how many were handed back.
    pub async fn release_jobs_of(&self, identity: &str) -> Result<u64> {
        let pattern = format!("{}/%", identity.replace('%', "\\%").replace('_', "\\_"));
        let done = sqlx::query!(
            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL
             WHERE lock_by LIKE $1 AND status IN ('Queued', 'Running')",
            pattern
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected())
    }

    /// Re-queues jobs held by workers whose heartbeat is older than `dead_after` (the
    /// same rule apalis applies on every heartbeat; whichever sweep gets there first
    /// recovers a job). Returns how many this call recovered, for the metrics.
    pub async fn recover_orphans(&self, dead_after: Duration) -> Result<u64> {
        let done = sqlx::query!(
            r#"WITH stale AS (
                   SELECT jobs.id FROM apalis.jobs jobs JOIN apalis.workers w ON jobs.lock_by = w.id
                   WHERE jobs.status IN ('Running', 'Queued') AND now() - w.last_seen >= $1::interval
                   FOR UPDATE OF jobs SKIP LOCKED)
               UPDATE apalis.jobs SET status = 'Pending', done_at = NULL, lock_by = NULL, lock_at = NULL,
                      attempts = attempts + 1,
                      last_result = '{"Err": "Re-enqueued due to worker heartbeat timeout."}'
               FROM stale WHERE apalis.jobs.id = stale.id"#,
            // An interval: encoded as `std::time::Duration` is, exactly as before.
            dead_after as _
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected())
    }

    /// Job counts per queue and status.
    pub async fn queue_depths(&self) -> Result<Vec<QueueDepth>> {
        Ok(sqlx::query_as!(
            QueueDepth,
            r#"SELECT job_type AS queue, status, count(*) AS "count!" FROM apalis.jobs
               GROUP BY job_type, status ORDER BY job_type, status"#
        )
        .fetch_all(self.pg())
        .await?)
    }
}

/// Keeps the backend error (so callers can tell "Postgres is down" from a bug).
fn queue_error(error: TaskSinkError<apalis_postgres::Error>) -> Error {
    match error {
        TaskSinkError::PushError(e) => Error::Queue(e),
        other => Error::QueueSend(other.to_string()),
    }
}

/// True when `error` (or anything in its source chain) is a Postgres unique violation.
fn is_unique_violation(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(sqlx::Error::Database(db)) = e.downcast_ref::<sqlx::Error>()
            && db.is_unique_violation()
        {
            return true;
        }
        if let Some(apalis_postgres::Error::Database(sqlx::Error::Database(db))) =
            e.downcast_ref::<apalis_postgres::Error>()
            && db.is_unique_violation()
        {
            return true;
        }
        current = e.source();
    }
    false
}

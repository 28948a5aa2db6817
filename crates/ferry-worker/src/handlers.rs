//! Job handlers. Each is idempotent: running it twice has the effect of running it once
//! (delivery is at-least-once). Failures are returned as errors so apalis records the
//! attempt and its error, retries with backoff, and finally leaves the job dead.

use std::time::Duration;

use apalis::prelude::*;
use chrono::{DurationRound, TimeDelta};
use ferry_state::{
    State,
    jobs::{BuildBundle, CRON_QUEUE, CronTick, DEMO_QUEUE, DemoJob, FinishFile, PurgeTransfer},
};

use crate::{Limits, bundle, finish};

/// Works for `work_ms`, fails while `attempt <= fail_attempts`, then records its effect.
pub async fn demo(
    job: DemoJob,
    attempt: Attempt,
    worker: WorkerContext,
    state: Data<State>,
) -> Result<(), BoxDynError> {
    tracing::info!(key = %job.key, attempt = attempt.current(), "demo job started");
    if job.work_ms > 0 {
        tokio::time::sleep(Duration::from_millis(job.work_ms)).await;
    }
    if attempt.current() <= job.fail_attempts as usize {
        return Err(format!(
            "demo job {} failing on attempt {} as asked",
            job.key,
            attempt.current()
        )
        .into());
    }
    let runs = state
        .record_job_effect(DEMO_QUEUE, &job.key, worker.name())
        .await?;
    tracing::info!(key = %job.key, runs, "demo job done");
    Ok(())
}

/// Runs the work of one schedule slot. The clock only enqueues; this is where the
/// schedule's work happens (usually by enqueueing one job per item, so each item is
/// retried on its own).
pub async fn cron_tick(
    tick: CronTick,
    worker: WorkerContext,
    state: Data<State>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    match tick.schedule.as_str() {
        "purge-expired" => {
            let mut purges = 0;
            for id in state.purgeable_transfers(1000).await? {
                purges += usize::from(state.enqueue_purge(id, limits.max_attempts).await?);
            }
            // Files whose finishing job was never enqueued (web lost Postgres right
            // after the upload) are picked up here.
            let mut finishes = 0;
            for id in state.unfinished_files(TimeDelta::minutes(1), 1000).await? {
                finishes += usize::from(state.enqueue_finish(id, limits.max_attempts).await?);
            }
            tracing::info!(purges, finishes, "purge sweep enqueued jobs");
        }
        "abort-idle-uploads" => {
            let aborted = state.abort_idle_uploads(limits.purge_batch).await?;
            tracing::info!(aborted, "idle resumable uploads aborted");
        }
        "stats-rollup" => {
            let hour = tick.slot.duration_trunc(TimeDelta::hours(1))? - TimeDelta::hours(1);
            state.roll_up_usage(hour).await?;
            tracing::info!(%hour, "usage rolled up");
        }
        other => tracing::info!(schedule = other, "tick with no work attached"),
    }
    let key = format!("{}@{}", tick.schedule, tick.slot.to_rfc3339());
    state
        .record_job_effect(CRON_QUEUE, &key, worker.name())
        .await?;
    Ok(())
}

/// Verifies, sniffs and thumbnails one file (see `finish`).
pub async fn finish_file(
    job: FinishFile,
    state: Data<State>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    finish::run(&state, &limits, job.file_id).await
}

/// Builds the stored zip of one transfer (see `bundle`).
pub async fn build_bundle(job: BuildBundle, state: Data<State>) -> Result<(), BoxDynError> {
    bundle::run(&state, job.transfer_id).await
}

/// Frees one dead transfer's bytes in bounded batches, then its rows.
pub async fn purge_transfer(
    job: PurgeTransfer,
    state: Data<State>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    if state
        .purge_transfer(job.transfer_id, limits.purge_batch)
        .await?
    {
        tracing::info!(transfer = %job.transfer_id, "transfer purged");
    } else {
        tracing::info!(transfer = %job.transfer_id, "transfer is live again; not purged");
    }
    Ok(())
}

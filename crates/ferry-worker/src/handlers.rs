//! Job handlers. Each is idempotent: running it twice has the effect of running it once
//! (delivery is at-least-once), which the recorded effects let tests verify.

use std::time::Duration;

use apalis::prelude::*;
use ferry_state::{
    State,
    jobs::{CRON_QUEUE, CronTick, DEMO_QUEUE, DemoJob},
};

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

/// Records that the slot's tick ran. Real schedules hang their work off this later.
pub async fn cron_tick(
    tick: CronTick,
    worker: WorkerContext,
    state: Data<State>,
) -> Result<(), BoxDynError> {
    let key = format!("{}@{}", tick.schedule, tick.slot.to_rfc3339());
    state
        .record_job_effect(CRON_QUEUE, &key, worker.name())
        .await?;
    tracing::info!(schedule = %tick.schedule, slot = %tick.slot, "cron tick handled");
    Ok(())
}

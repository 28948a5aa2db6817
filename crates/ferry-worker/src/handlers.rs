//! Job handlers. Each is idempotent: running it twice has the effect of running it once
//! (delivery is at-least-once). Failures are returned as errors so apalis records the
//! attempt and its error, retries with backoff, and finally leaves the job dead.

use std::time::Duration;

use apalis::prelude::*;
use ferry_core::{Schedule, Service};
use ferry_state::{
    State,
    jobs::{
        BUNDLE_QUEUE, BuildBundle, CRON_QUEUE, CronTick, DEMO_QUEUE, DemoJob, FINISH_QUEUE,
        FinishFile, MAIL_QUEUE, PURGE_QUEUE, PurgeTransfer, SCAN_QUEUE, ScanFile,
    },
    mail::SendMail,
};

use crate::{Limits, finish, mail::Mailer, scan::Scanner};

/// Runs one attempt of a job and records it in the job metrics: wait from enqueue to
/// first start (from the task id's ULID timestamp), run time, outcome, retries, and
/// deaths (a failure on the last allowed attempt).
async fn observed(
    queue: &'static str,
    attempt: &Attempt,
    task: &TaskId,
    limits: &Limits,
    work: impl Future<Output = Result<(), BoxDynError>>,
) -> Result<(), BoxDynError> {
    use ferry_telemetry::{JOB_RETRIES, JOB_RUN, JOB_RUNS, JOB_WAIT, JOBS_DIED};
    use metrics::{counter, histogram};
    if attempt.current() <= 1 {
        if let Some(enqueued) = task.as_ulid().map(|id| id.datetime())
            && let Ok(waited) = std::time::SystemTime::now().duration_since(enqueued)
        {
            histogram!(JOB_WAIT, "queue" => queue).record(waited.as_secs_f64());
        }
    } else {
        counter!(JOB_RETRIES, "queue" => queue).increment(1);
    }
    let started = std::time::Instant::now();
    let result = work.await;
    histogram!(JOB_RUN, "queue" => queue).record(started.elapsed().as_secs_f64());
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    counter!(JOB_RUNS, "queue" => queue, "outcome" => outcome).increment(1);
    if result.is_err() && attempt.current() >= limits.max_attempts {
        counter!(JOBS_DIED, "queue" => queue).increment(1);
    }
    result
}

/// Works for `work_ms`, fails while `attempt <= fail_attempts`, then records its effect.
pub async fn demo(
    job: DemoJob,
    attempt: Attempt,
    task: TaskId,
    worker: WorkerContext,
    state: Data<State>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    observed(
        DEMO_QUEUE,
        &attempt,
        &task,
        &limits,
        demo_work(job, &attempt, &worker, &state),
    )
    .await
}

async fn demo_work(
    job: DemoJob,
    attempt: &Attempt,
    worker: &WorkerContext,
    state: &State,
) -> Result<(), BoxDynError> {
    if job.noop {
        return Ok(());
    }
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
/// schedule's work happens (`Service::run_schedule`, usually by enqueueing one job per
/// item, so each item is retried on its own). A tick naming a schedule nobody knows
/// fails (and, after its attempts, stays dead for an operator to see).
pub async fn cron_tick(
    tick: CronTick,
    attempt: Attempt,
    task: TaskId,
    worker: WorkerContext,
    service: Data<Service>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = async {
        let schedule: Schedule = tick.schedule.parse()?;
        service.run_schedule(schedule, tick.slot).await?;
        let key = format!("{}@{}", tick.schedule, tick.slot.to_rfc3339());
        service
            .state()
            .record_job_effect(CRON_QUEUE, &key, worker.name())
            .await?;
        Ok(())
    };
    observed(CRON_QUEUE, &attempt, &task, &limits, work).await
}

/// Verifies, sniffs and thumbnails one file (see `finish`).
pub async fn finish_file(
    job: FinishFile,
    attempt: Attempt,
    task: TaskId,
    service: Data<Service>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = finish::run(&service, &limits, job.file_id);
    observed(FINISH_QUEUE, &attempt, &task, &limits, work).await
}

/// Scans one file for malware and records the verdict (see `scan`).
pub async fn scan_file(
    job: ScanFile,
    attempt: Attempt,
    task: TaskId,
    service: Data<Service>,
    scanner: Data<Scanner>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = scanner.run(&service, job.file_id);
    observed(SCAN_QUEUE, &attempt, &task, &limits, work).await
}

/// Builds the stored zip of one transfer (`Service::build_bundle`).
pub async fn build_bundle(
    job: BuildBundle,
    attempt: Attempt,
    task: TaskId,
    service: Data<Service>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = async { Ok(service.build_bundle(job.transfer_id).await?) };
    observed(BUNDLE_QUEUE, &attempt, &task, &limits, work).await
}

/// Frees one dead transfer's bytes in bounded batches, then its rows.
pub async fn purge_transfer(
    job: PurgeTransfer,
    attempt: Attempt,
    task: TaskId,
    service: Data<Service>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = async {
        if service.purge(job.transfer_id).await? {
            tracing::info!(transfer = %job.transfer_id, "transfer purged");
        } else {
            tracing::info!(transfer = %job.transfer_id, "transfer is live or in its download grace period; not purged");
        }
        Ok(())
    };
    observed(PURGE_QUEUE, &attempt, &task, &limits, work).await
}

/// Sends the message of one outbox row, at most once: a row already sent (or
/// skipped) is left alone, and a row is marked sent as soon as the server accepted
/// it. A failure to send is the job's failure (retried with backoff, then dead).
pub async fn send_mail(
    job: SendMail,
    attempt: Attempt,
    task: TaskId,
    service: Data<Service>,
    mailer: Data<Mailer>,
    limits: Data<Limits>,
) -> Result<(), BoxDynError> {
    let work = async {
        let Some(row) = service.state().outbox_mail(job.outbox_id).await? else {
            return Ok(());
        };
        let Some(composed) = service.prepare_mail(&row).await? else {
            if row.sent_at.is_none() && row.skipped_at.is_none() {
                service.state().mark_mail_skipped(row.id).await?;
                tracing::info!(mail = %row.id, kind = %row.kind, "mail not sent: nothing to send it for");
            }
            return Ok(());
        };
        mailer.send(row.id, &row.recipient, composed).await?;
        service.state().mark_mail_sent(row.id).await?;
        tracing::info!(mail = %row.id, kind = %row.kind, "mail sent");
        Ok(())
    };
    observed(MAIL_QUEUE, &attempt, &task, &limits, work).await
}

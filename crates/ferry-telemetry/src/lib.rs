//! Prometheus metrics. Each process installs one recorder; code everywhere records
//! through the `metrics` facade. The web process renders the text format at
//! `/metrics`; worker and clock serve it on `METRICS_PORT` when set.
//!
//! Every metric Ferry emits is named and described here, so this file is the metric
//! reference (docs/operations.md mirrors it).

use std::{net::SocketAddr, time::SystemTime};

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// HTTP requests by route, method and status.
pub const HTTP_REQUESTS: &str = "ferry_http_requests_total";
/// HTTP request latency by route and method.
pub const HTTP_DURATION: &str = "ferry_http_request_duration_seconds";
/// Bytes received into the blob store by upload APIs.
pub const UPLOAD_BYTES: &str = "ferry_upload_bytes_total";
/// Bytes sent by downloads (files and archives).
pub const DOWNLOAD_BYTES: &str = "ferry_download_bytes_total";
/// Jobs per queue and status, as stored in Postgres.
pub const QUEUE_JOBS: &str = "ferry_queue_jobs";
/// Jobs that used all their attempts, per queue.
pub const DEAD_JOBS: &str = "ferry_dead_jobs";
/// Job runs by queue and outcome (`ok`, `failed`).
pub const JOB_RUNS: &str = "ferry_job_runs_total";
/// Job runs that were retries (attempt > 1), by queue.
pub const JOB_RETRIES: &str = "ferry_job_retries_total";
/// Job failures on the last allowed attempt (the job is now dead), by queue.
pub const JOBS_DIED: &str = "ferry_jobs_died_total";
/// Time from enqueue to first start, by queue.
pub const JOB_WAIT: &str = "ferry_job_wait_seconds";
/// Run time of one attempt, by queue.
pub const JOB_RUN: &str = "ferry_job_run_seconds";
/// Jobs of dead workers re-queued by this worker's orphan sweep.
pub const ORPHANS_RECOVERED: &str = "ferry_orphans_recovered_total";
/// Schedule slots offered by this clock, by schedule and outcome (`enqueued`, `duplicate`).
pub const CRON_SLOTS: &str = "ferry_cron_slots_total";
/// Unix time the process started.
pub const START_TIME: &str = "process_start_time_seconds";

const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .expect("bucket list is not empty")
}

/// Installs the recorder for a process that renders metrics itself (web).
pub fn install_recorder(process: &str) -> Option<PrometheusHandle> {
    match builder().install_recorder() {
        Ok(handle) => {
            describe(process);
            Some(handle)
        }
        Err(e) => {
            // Only possible if a recorder is installed already (several apps in one test
            // binary); metrics then go to the first one.
            tracing::warn!(error = %e, "metrics recorder not installed");
            None
        }
    }
}

/// Installs the recorder and serves `/metrics` on `port` (worker, clock).
pub fn serve(process: &str, port: u16) -> Result<(), String> {
    builder()
        .with_http_listener(SocketAddr::from(([0, 0, 0, 0], port)))
        .install()
        .map_err(|e| format!("METRICS_PORT={port}: {e}"))?;
    describe(process);
    Ok(())
}

/// Sets the queue-depth gauge for one queue and status (web and worker both report it).
pub fn set_queue_depth(queue: String, status: String, count: i64) {
    gauge!(QUEUE_JOBS, "queue" => queue, "status" => status).set(count as f64);
}

fn describe(process: &str) {
    describe_counter!(HTTP_REQUESTS, "HTTP requests by route, method and status");
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request latency by route and method"
    );
    describe_counter!(
        UPLOAD_BYTES,
        Unit::Bytes,
        "Bytes received into the blob store by upload APIs"
    );
    describe_counter!(DOWNLOAD_BYTES, Unit::Bytes, "Bytes sent by downloads");
    describe_gauge!(QUEUE_JOBS, "Jobs per queue and status");
    describe_gauge!(DEAD_JOBS, "Jobs that used all their attempts, per queue");
    describe_counter!(JOB_RUNS, "Job runs by queue and outcome");
    describe_counter!(JOB_RETRIES, "Job runs that were retries, by queue");
    describe_counter!(JOBS_DIED, "Jobs that failed their last attempt, by queue");
    describe_histogram!(JOB_WAIT, Unit::Seconds, "Enqueue to first start, by queue");
    describe_histogram!(JOB_RUN, Unit::Seconds, "Run time of one attempt, by queue");
    describe_counter!(
        ORPHANS_RECOVERED,
        "Jobs of dead workers re-queued by this worker's sweep"
    );
    describe_counter!(
        CRON_SLOTS,
        "Schedule slots offered by this clock, by outcome"
    );
    describe_gauge!(START_TIME, Unit::Seconds, "Unix time the process started");
    let started = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    gauge!(START_TIME, "process" => process.to_owned()).set(started);
}

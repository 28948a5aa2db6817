//! Configuration of the `worker` process type (all from the environment).

use std::time::Duration;

use ferry_state::{Settings, jobs::QueueSettings, parse_duration, parse_size};

/// Everything `ferry worker` reads from its environment.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    #[command(flatten)]
    pub state: Settings,
    /// Jobs run at once per queue in this process.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub worker_concurrency: u16,
    /// Interval between heartbeats; also how often orphaned jobs are swept.
    #[arg(long, env = "WORKER_HEARTBEAT", default_value = "5s", value_parser = parse_duration)]
    pub worker_heartbeat: Duration,
    /// A worker that missed this many heartbeats is dead and its jobs are re-queued.
    #[arg(long, env = "MISSED_HEARTBEATS", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(2..=100))]
    pub missed_heartbeats: u16,
    /// Attempts per job (first run included) before it is dead.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub job_max_attempts: u16,
    /// First retry delay; doubles per attempt (with jitter) up to RETRY_BACKOFF_MAX.
    #[arg(long, env = "RETRY_BACKOFF_MIN", default_value = "1s", value_parser = parse_duration)]
    pub retry_backoff_min: Duration,
    /// Longest delay between retries.
    #[arg(long, env = "RETRY_BACKOFF_MAX", default_value = "60s", value_parser = parse_duration)]
    pub retry_backoff_max: Duration,
    /// Chunks deleted per statement when purging (keeps each transaction short).
    #[arg(long, env = "PURGE_BATCH", default_value_t = 256,
          value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub purge_batch: i64,
    /// Images up to this size get a thumbnail (they are decoded in memory).
    #[arg(long, env = "THUMBNAIL_MAX_BYTES", default_value = "20MiB", value_parser = parse_size)]
    pub thumbnail_max_bytes: u64,
    /// Serve Prometheus metrics at `http://0.0.0.0:METRICS_PORT/metrics` when set.
    #[arg(long, env = "METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// An expired or used-up transfer keeps its bytes this long after a download of it
    /// last started (counted or resumed), so the download can finish streaming: at
    /// least as long as the longest download. (A used-up transfer also stays while a
    /// resume is still allowed, whatever this is.)
    #[arg(long, env = "PURGE_GRACE", default_value = "1h", value_parser = parse_duration)]
    pub purge_grace: Duration,
    /// Grace period for running jobs after SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "25", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

impl Config {
    /// Queue polling and orphan-detection settings.
    pub fn queue_settings(&self) -> QueueSettings {
        QueueSettings {
            heartbeat: self.worker_heartbeat,
            missed_heartbeats: usize::from(self.missed_heartbeats),
            batch_size: usize::from(self.worker_concurrency),
        }
    }
}

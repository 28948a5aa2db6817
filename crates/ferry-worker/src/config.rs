//! Configuration of the `worker` process type (all from the environment).

use std::time::Duration;

use ferry_process::{CommonArgs, MailArgs, parse_duration, parse_size};
use ferry_state::{jobs::QueueSettings, retention::RetentionPolicy};

/// Everything `ferry worker` reads from its environment.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Longest an SMTP connection and conversation may take before the send fails
    /// (and the mail job is retried).
    #[arg(long, env = "SMTP_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub smtp_timeout: Duration,
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
    /// Memory this process spends on thumbnails at once (whole MiB): each image's file,
    /// its decoded picture and the decoder's own buffers, estimated from its header and
    /// reserved before decoding. An image that needs more than all of it gets no
    /// thumbnail; one that fits waits its turn. Under 1MiB: no thumbnails.
    #[arg(long, env = "THUMBNAIL_MEMORY", default_value = "128MiB", value_parser = parse_size)]
    pub thumbnail_memory: u64,
    /// Images of more pixels than this get no thumbnail, whatever memory is free.
    #[arg(long, env = "THUMBNAIL_MAX_PIXELS", default_value_t = 40_000_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub thumbnail_max_pixels: u64,
    /// The retention sweep deletes jobs done longer ago than this.
    #[arg(long, env = "RETAIN_DONE_JOBS", default_value = "7d", value_parser = parse_duration)]
    pub retain_done_jobs: Duration,
    /// The retention sweep deletes dead jobs (all attempts used, or killed) older than this.
    #[arg(long, env = "RETAIN_DEAD_JOBS", default_value = "30d", value_parser = parse_duration)]
    pub retain_dead_jobs: Duration,
    /// The retention sweep deletes worker rows not seen for this long (and holding no job).
    #[arg(long, env = "RETAIN_WORKERS", default_value = "1d", value_parser = parse_duration)]
    pub retain_workers: Duration,
    /// The retention sweep deletes schedule slots older than this (never a schedule's newest).
    #[arg(long, env = "RETAIN_CRON_SLOTS", default_value = "30d", value_parser = parse_duration)]
    pub retain_cron_slots: Duration,
    /// The retention sweep deletes job effect records older than this.
    #[arg(long, env = "RETAIN_JOB_EFFECTS", default_value = "7d", value_parser = parse_duration)]
    pub retain_job_effects: Duration,
    /// A blob no row refers to whose bytes have not moved for this long is freed by the
    /// retention sweep. Must be longer than any live upload or bundle goes between two
    /// committed chunks (1 MiB each).
    #[arg(long, env = "ORPHAN_BLOB_AGE", default_value = "24h", value_parser = parse_duration)]
    pub orphan_blob_age: Duration,
    /// The retention sweep deletes audit-log entries (admin actions) older than this.
    #[arg(long, env = "AUDIT_RETENTION", default_value = "365d", value_parser = parse_duration)]
    pub audit_retention: Duration,
    /// Rows per statement of the retention sweep (keeps each transaction short).
    #[arg(long, env = "RETENTION_BATCH", default_value_t = 1000,
          value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub retention_batch: i64,
    /// An expired or used-up transfer keeps its bytes this long after a download of it
    /// last started (counted or resumed), so the download can finish streaming: at
    /// least as long as the longest download. (A used-up transfer also stays while a
    /// resume is still allowed, whatever this is.)
    #[arg(long, env = "PURGE_GRACE", default_value = "1h", value_parser = parse_duration)]
    pub purge_grace: Duration,
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

    /// What the retention sweep keeps.
    pub fn retention_policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            done_jobs: self.retain_done_jobs,
            dead_jobs: self.retain_dead_jobs,
            workers: self.retain_workers,
            cron_slots: self.retain_cron_slots,
            job_effects: self.retain_job_effects,
            orphan_blob_age: self.orphan_blob_age,
            audit: self.audit_retention,
            batch: self.retention_batch,
        }
    }
}

//! Configuration of the `clock` process type (all from the environment).

use std::time::Duration;

use ferry_state::{Settings, parse_duration};

use crate::CronSchedule;

/// Everything `ferry clock` reads from its environment.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    #[command(flatten)]
    pub state: Settings,
    /// Schedules as `name=cron` separated by `;` (cron with optional seconds field).
    /// The worker knows `purge-expired`, `abort-idle-uploads`, `stats-rollup` and
    /// `retention-sweep`.
    #[arg(long, env = "CLOCK_SCHEDULES",
          default_value = "purge-expired=0 * * * * *;abort-idle-uploads=0 */10 * * * *;stats-rollup=0 5 * * * *;retention-sweep=0 35 * * * *",
          value_parser = CronSchedule::parse, value_delimiter = ';')]
    pub clock_schedules: Vec<CronSchedule>,
    /// After downtime, at most this many missed slots per schedule are enqueued.
    #[arg(long, env = "CLOCK_CATCHUP_LIMIT", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(0..=10_000))]
    pub clock_catchup_limit: u16,
    /// Attempts per enqueued tick job before it is dead.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub job_max_attempts: u16,
    /// Serve Prometheus metrics at `http://0.0.0.0:METRICS_PORT/metrics` when set.
    #[arg(long, env = "METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// Grace period for an enqueue in progress after SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "25", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

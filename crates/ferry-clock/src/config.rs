//! Configuration of the `clock` process type (all from the environment).

use ferry_process::CommonArgs;

use crate::CronSchedule;

/// Everything `ferry clock` reads from its environment.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Schedules as `name=cron` separated by `;` (cron with optional seconds field).
    /// Names are the work the worker knows (`purge-expired`, `abort-idle-uploads`,
    /// `stats-rollup`, `retention-sweep`); any other name is refused at start-up.
    #[arg(long, env = "CLOCK_SCHEDULES",
          default_value = "purge-expired=0 * * * * *;abort-idle-uploads=0 */10 * * * *;stats-rollup=0 5 * * * *;retention-sweep=0 35 * * * *",
          value_parser = CronSchedule::parse, value_delimiter = ';')]
    pub clock_schedules: Vec<CronSchedule>,
    /// After downtime, at most this many missed slots per schedule are enqueued.
    #[arg(long, env = "CLOCK_CATCHUP_LIMIT", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(0..=10_000))]
    pub clock_catchup_limit: u16,
}

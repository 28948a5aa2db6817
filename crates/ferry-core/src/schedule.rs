//! The schedules the clock can enqueue and the worker knows how to run. One enum for
//! both, so a name the worker has no work for is refused when the clock starts (with
//! the list of names it knows), instead of ticking forever with nothing attached.

use std::{fmt, str::FromStr};

/// A named piece of periodic work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Schedule {
    /// Enqueue purges of transfers whose bytes may go, and finishing of files whose
    /// job was never enqueued.
    PurgeExpired,
    /// Free resumable uploads abandoned unfinished, and drafts never sent.
    AbortIdleUploads,
    /// Recompute the usage row of the previous hour.
    StatsRollup,
    /// Trim Ferry's own bookkeeping and free orphaned blobs.
    RetentionSweep,
}

impl Schedule {
    /// Every schedule, in the order of the default configuration.
    pub const ALL: [Schedule; 4] = [
        Schedule::PurgeExpired,
        Schedule::AbortIdleUploads,
        Schedule::StatsRollup,
        Schedule::RetentionSweep,
    ];

    /// The name used in `CLOCK_SCHEDULES`, in tick jobs and in `cron_slots`.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::PurgeExpired => "purge-expired",
            Schedule::AbortIdleUploads => "abort-idle-uploads",
            Schedule::StatsRollup => "stats-rollup",
            Schedule::RetentionSweep => "retention-sweep",
        }
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(name: &str) -> Result<Schedule, String> {
        Schedule::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Schedule::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "no work is attached to a schedule called `{name}` (known: {})",
                    known.join(", ")
                )
            })
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_parses_back_from_its_name() {
        for schedule in Schedule::ALL {
            assert_eq!(schedule.name().parse::<Schedule>(), Ok(schedule));
        }
    }

    #[test]
    fn a_misspelt_schedule_is_refused_with_the_known_names() {
        let err = "purge-expried".parse::<Schedule>().unwrap_err();
        assert!(
            err.contains("purge-expried") && err.contains("retention-sweep"),
            "{err}"
        );
    }
}

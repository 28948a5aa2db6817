//! A cron schedule for one piece of work ([`ferry_core::Schedule`]) and the arithmetic
//! of its slots.

use std::{fmt, str::FromStr};

use chrono::{DateTime, SubsecRound, Utc};
use croner::Cron;

/// When to enqueue one piece of work: the work (its name is the tick job's identity)
/// and a cron expression (seconds optional).
#[derive(Clone)]
pub struct CronSchedule {
    work: ferry_core::Schedule,
    expression: String,
    cron: Cron,
}

/// Slots to enqueue now, oldest first, and how many older ones were left out.
#[derive(Debug, PartialEq, Eq)]
pub struct DueSlots {
    /// Slots to enqueue, oldest first.
    pub slots: Vec<DateTime<Utc>>,
    /// Missed slots older than the catch-up limit, not enqueued.
    pub skipped: usize,
}

impl CronSchedule {
    /// Parses `name=expression`, e.g. `purge-expired=0 * * * * *`. The name must be
    /// one the worker has work for.
    pub fn parse(spec: &str) -> Result<CronSchedule, String> {
        let (name, expression) = spec
            .split_once('=')
            .ok_or_else(|| format!("`{spec}` is not name=cron-expression"))?;
        let (name, expression) = (name.trim(), expression.trim());
        let work: ferry_core::Schedule = name.parse()?;
        let cron = Cron::from_str(expression).map_err(|e| {
            format!("schedule `{name}`: `{expression}` is not a cron expression: {e}")
        })?;
        Ok(CronSchedule {
            work,
            expression: expression.to_owned(),
            cron,
        })
    }

    /// The work this schedule enqueues.
    pub fn work(&self) -> ferry_core::Schedule {
        self.work
    }

    /// The schedule's name.
    pub fn name(&self) -> &'static str {
        self.work.name()
    }

    /// The cron expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first slot after `time`.
    pub fn next_after(&self, time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&time.trunc_subsecs(0), false)
            .ok()
    }

    /// Slots in `(last, now]` (or just the latest slot `<= now` when nothing was ever
    /// recorded), keeping at most `limit` of the newest.
    pub fn due_slots(
        &self,
        last: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> DueSlots {
        // Slots are whole seconds: croner keeps the sub-second part of its start time.
        let now = now.trunc_subsecs(0);
        let Some(last) = last else {
            let slots = self
                .cron
                .find_previous_occurrence(&now, true)
                .map(|slot| vec![slot])
                .unwrap_or_default();
            return DueSlots { slots, skipped: 0 };
        };
        let mut slots: Vec<DateTime<Utc>> = Vec::new();
        let mut skipped = 0;
        let mut cursor = last;
        while let Ok(next) = self.cron.find_next_occurrence(&cursor, false) {
            if next > now {
                break;
            }
            slots.push(next);
            if slots.len() > limit {
                slots.remove(0);
                skipped += 1;
            }
            cursor = next;
        }
        DueSlots { slots, skipped }
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.work, self.expression)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn slots_are_whole_seconds_even_when_now_is_not() {
        let s = CronSchedule::parse("stats-rollup=* * * * * *").unwrap();
        let due = s.due_slots(None, at("2026-01-01T10:05:30.685Z"), 10);
        assert_eq!(due.slots, vec![at("2026-01-01T10:05:30Z")]);
        let due = s.due_slots(
            Some(at("2026-01-01T10:05:28Z")),
            at("2026-01-01T10:05:30.5Z"),
            10,
        );
        assert_eq!(
            due.slots,
            vec![at("2026-01-01T10:05:29Z"), at("2026-01-01T10:05:30Z")]
        );
    }

    #[test]
    fn a_first_run_enqueues_only_the_latest_slot() {
        let s = CronSchedule::parse("stats-rollup=0 * * * * *").unwrap();
        let due = s.due_slots(None, at("2026-01-01T10:05:30Z"), 10);
        assert_eq!(due.slots, vec![at("2026-01-01T10:05:00Z")]);
    }

    #[test]
    fn missed_slots_after_downtime_are_caught_up_once_up_to_the_limit() {
        let s = CronSchedule::parse("stats-rollup=0 * * * * *").unwrap();
        let due = s.due_slots(
            Some(at("2026-01-01T10:00:00Z")),
            at("2026-01-01T10:05:30Z"),
            3,
        );
        assert_eq!(
            due.slots,
            vec![
                at("2026-01-01T10:03:00Z"),
                at("2026-01-01T10:04:00Z"),
                at("2026-01-01T10:05:00Z")
            ]
        );
        assert_eq!(due.skipped, 2);
    }

    #[test]
    fn nothing_is_due_when_the_last_slot_is_current() {
        let s = CronSchedule::parse("stats-rollup=*/10 * * * * *").unwrap();
        let due = s.due_slots(
            Some(at("2026-01-01T10:00:10Z")),
            at("2026-01-01T10:00:19Z"),
            3,
        );
        assert!(due.slots.is_empty());
    }

    #[test]
    fn malformed_schedules_are_rejected_with_their_name() {
        assert!(CronSchedule::parse("no-equals").is_err());
        assert!(CronSchedule::parse("bad name=* * * * *").is_err());
        let err = CronSchedule::parse("stats-rollup=61 * * * *").unwrap_err();
        assert!(err.contains("schedule `stats-rollup`"), "{err}");
    }

    #[test]
    fn a_schedule_the_worker_has_no_work_for_is_refused() {
        let err = CronSchedule::parse("purge-expird=0 * * * * *").unwrap_err();
        assert!(
            err.contains("purge-expird") && err.contains("purge-expired"),
            "{err}"
        );
    }
}

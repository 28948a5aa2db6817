//! Schedule slots: the record that makes clocks safe to run in any number.
//!
//! Why a unique key and not leader election: "only one clock may run" is a promise
//! operators break during every rolling deploy. Instead every clock computes the same
//! slot times and tries to enqueue each one; the tick job carries the idempotency key
//! `cron:{schedule}:{slot}`, unique per queue in Postgres, so exactly one insert per
//! slot succeeds no matter how many clocks race, crash or restart. The `cron_slots`
//! row (primary key `(schedule, slot_at)`) is written after the job, and is where the
//! next start-up reads "last slot enqueued" from to catch up missed slots.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::{
    Result, State,
    jobs::{CRON_QUEUE, CronTick},
};

/// What happened when a clock offered a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotOutcome {
    /// This clock enqueued the slot's job (with this task id).
    Enqueued(String),
    /// Another clock (or an earlier run of this one) already had.
    AlreadyEnqueued,
}

/// One row of `cron_slots`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SlotRecord {
    /// Schedule name.
    pub schedule: String,
    /// Slot time.
    pub slot_at: DateTime<Utc>,
    /// apalis task id of the tick job.
    pub job_id: Option<String>,
    /// Clock identity that enqueued it.
    pub enqueued_by: String,
}

impl State {
    /// Enqueues the tick for `(schedule, slot)` unless any clock already did.
    /// Guarantee: over all clocks and all time, one `Enqueued` per `(schedule, slot)`.
    pub async fn enqueue_slot(
        &self,
        schedule: &str,
        slot: DateTime<Utc>,
        clock_id: &str,
        max_attempts: usize,
    ) -> Result<SlotOutcome> {
        let key = format!(
            "cron:{schedule}:{}",
            slot.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let tick = CronTick {
            schedule: schedule.to_owned(),
            slot,
        };
        let outcome = match self
            .enqueue_unique(CRON_QUEUE, tick, &key, max_attempts)
            .await?
        {
            Some(id) => SlotOutcome::Enqueued(id),
            None => SlotOutcome::AlreadyEnqueued,
        };
        let job_id = match &outcome {
            SlotOutcome::Enqueued(id) => Some(id.as_str()),
            SlotOutcome::AlreadyEnqueued => None,
        };
        // Bookkeeping: also written by a clock that lost the race (without a job id),
        // so the slot is recorded even if the winner dies before recording it; the
        // winner's row, carrying the job id, takes precedence whichever lands first.
        sqlx::query!(
            "INSERT INTO cron_slots (schedule, slot_at, job_id, enqueued_by)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (schedule, slot_at) DO UPDATE
               SET job_id = EXCLUDED.job_id, enqueued_by = EXCLUDED.enqueued_by
               WHERE cron_slots.job_id IS NULL AND EXCLUDED.job_id IS NOT NULL",
            schedule,
            slot,
            job_id,
            clock_id
        )
        .execute(self.pg())
        .await?;
        Ok(outcome)
    }

    /// The latest slot recorded for `schedule`, if any.
    pub async fn last_slot(&self, schedule: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar!(
            "SELECT max(slot_at) FROM cron_slots WHERE schedule = $1",
            schedule
        )
        .fetch_one(self.pg())
        .await?)
    }

    /// The last slot recorded for every schedule that ever ran.
    pub async fn last_slots(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        let rows = sqlx::query!(
            r#"SELECT schedule, max(slot_at) AS "last!" FROM cron_slots
               GROUP BY schedule ORDER BY schedule"#
        )
        .fetch_all(self.pg())
        .await?;
        Ok(rows.into_iter().map(|r| (r.schedule, r.last)).collect())
    }

    /// Slots of `schedule` recorded at or after `since`, oldest first.
    pub async fn slots_since(
        &self,
        schedule: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SlotRecord>> {
        Ok(sqlx::query_as!(
            SlotRecord,
            "SELECT schedule, slot_at, job_id, enqueued_by FROM cron_slots
             WHERE schedule = $1 AND slot_at >= $2 ORDER BY slot_at",
            schedule,
            since
        )
        .fetch_all(self.pg())
        .await?)
    }
}

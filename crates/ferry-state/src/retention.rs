//! Retention: how long Ferry keeps its own bookkeeping, and the sweep that trims it.
//!
//! (The mail outbox and the reset and verification tokens are trimmed here too:
//! `trim_mail`.)
//!
//! Four tables grow with every tick, job and process start — `apalis.jobs` (one row
//! per job, kept after it is done), `apalis.workers` (one row per queue per worker
//! start), `cron_slots` (one row per schedule slot: ~590,000 a year with the default
//! schedules) and `job_effects` (one row per tick) — and blobs orphaned by a process
//! killed mid-upload or mid-bundle are referenced by nothing. The sweep (the
//! `retention-sweep` schedule, run by a worker) trims each in batches of
//! `RETENTION_BATCH` rows per statement, so no statement holds many locks or a long
//! transaction, and keeps exactly what the guarantees below rest on.
//!
//! Why trimming cannot make a clock enqueue a slot twice. A slot's exactly-once rests
//! on two records: the job's unique `(queue, idempotency key)` and the `cron_slots` row
//! from which clocks read "the last slot enqueued". A clock only ever offers slots
//! *after* the last recorded one (see `ferry_clock`), so:
//! - the newest `cron_slots` row of every schedule is never deleted, whatever its age:
//!   "the last slot" reads the same before and after a sweep;
//! - a tick job is deleted only once its slot is at or before that newest row: such a
//!   slot is never offered again, so its key is no longer needed. A job whose slot was
//!   never recorded (its clock died between the two inserts) keeps its key until the
//!   slot is behind the newest row, which is exactly the case where a clock coming
//!   back after downtime would offer it again;
//! - both only apply to rows older than their retention age (days), far longer than a
//!   clock takes between reading the last slot and enqueueing (one pass of its loop).
//!
//! Other idempotency keys (`finish:`, `bundle:`, `purge:`) guard against a second job
//! for the same row while the first is pending or running; once it is done (and older
//! than `RETAIN_DONE_JOBS`) the sweeps that enqueue them find nothing left to do. Dead
//! jobs are kept longer (`RETAIN_DEAD_JOBS`) for operators; once trimmed, the sweep that
//! enqueued one may enqueue it again, with a fresh set of attempts.
//!
//! A worker row is deleted only when it has not been seen for `RETAIN_WORKERS` and no
//! job names it as its holder (orphan recovery finds a dead worker's jobs through that
//! row; the foreign key from `apalis.jobs.lock_by` enforces it too).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Result, State, jobs::CRON_QUEUE};

/// How long each kind of record is kept.
#[derive(Clone, Debug)]
pub struct RetentionPolicy {
    /// Jobs that finished successfully, counted from when they finished.
    pub done_jobs: Duration,
    /// Jobs that used all their attempts, or were killed.
    pub dead_jobs: Duration,
    /// Worker rows not seen for this long (and holding no job).
    pub workers: Duration,
    /// Schedule slots (the newest of each schedule is always kept).
    pub cron_slots: Duration,
    /// Job effect records, counted from their last completion.
    pub job_effects: Duration,
    /// An unreferenced blob whose bytes have not moved for this long is an orphan.
    pub orphan_blob_age: Duration,
    /// Audit-log entries (`AUDIT_RETENTION`).
    pub audit: Duration,
    /// Rows per statement.
    pub batch: i64,
}

/// What one sweep removed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Swept {
    /// Rows of `apalis.jobs`.
    pub jobs: u64,
    /// Rows of `apalis.workers`.
    pub workers: u64,
    /// Rows of `cron_slots`.
    pub cron_slots: u64,
    /// Rows of `job_effects`.
    pub job_effects: u64,
    /// Rows of `mail_outbox`, and expired reset and verification tokens.
    pub mail: u64,
    /// Audit-log entries past their retention.
    pub audit: u64,
    /// Orphaned blobs freed.
    pub orphan_blobs: u64,
    /// Chunks freed with them.
    pub orphan_chunks: u64,
}

impl State {
    /// Trims every table to `policy` and frees orphaned blobs. Idempotent, safe to run
    /// concurrently with itself and with everything else (rows another sweep holds are
    /// skipped and left for the next one).
    pub async fn sweep_retention(&self, policy: &RetentionPolicy) -> Result<Swept> {
        let batch = policy.batch.max(1);
        let mut swept = Swept {
            jobs: self
                .trim_jobs(policy.done_jobs, policy.dead_jobs, batch)
                .await?,
            ..Swept::default()
        };
        // After the jobs: a worker row is kept while any job still names it.
        swept.workers = self.trim_workers(policy.workers, batch).await?;
        swept.cron_slots = self.trim_cron_slots(policy.cron_slots, batch).await?;
        swept.job_effects = self.trim_job_effects(policy.job_effects, batch).await?;
        swept.mail = self
            .trim_mail(policy.job_effects, policy.dead_jobs, batch)
            .await?;
        swept.audit = self.trim_audit(policy.audit, batch).await?;
        swept.orphan_chunks = self.empty_tombstones(batch).await?;
        let (blobs, chunks) = self
            .reclaim_orphan_blobs(policy.orphan_blob_age, batch)
            .await?;
        swept.orphan_blobs = blobs;
        swept.orphan_chunks += chunks;
        Ok(swept)
    }

    /// Frees every orphan blob (unreferenced, bytes unchanged for `age`), each with the
    /// guarantee of [`State::reclaim_orphan_blob`]; `batch` ids per listing. Returns the
    /// blobs and chunks freed. The retention sweep's orphan pass, and `ferry admin
    /// blobs sweep`.
    pub async fn reclaim_orphan_blobs(
        &self,
        age: std::time::Duration,
        batch: i64,
    ) -> Result<(u64, u64)> {
        let (mut blobs, mut chunks) = (0, 0);
        loop {
            let orphans = self.orphan_blobs(age, batch).await?;
            let mut freed_any = false;
            for &id in &orphans {
                if let Some(freed) = self.reclaim_orphan_blob(id, age, batch).await? {
                    blobs += 1;
                    chunks += freed;
                    freed_any = true;
                }
            }
            if !freed_any || (orphans.len() as i64) < batch {
                return Ok((blobs, chunks));
            }
        }
    }

    /// Deletes done jobs older than `done`, dead ones older than `dead` — tick jobs only
    /// once their slot is recorded (see the module docs). Walks the whole table in id
    /// order, one page of `batch` rows per statement, so each statement touches a
    /// bounded number of rows and the walk is linear in the table's size.
    async fn trim_jobs(&self, done: Duration, dead: Duration, batch: i64) -> Result<u64> {
        let mut after = String::new();
        let mut total = 0;
        loop {
            let page = sqlx::query!(
                r#"WITH page AS (
                     SELECT id FROM apalis.jobs WHERE id > $1 ORDER BY id LIMIT $5),
                 doomed AS (
                     SELECT j.id FROM apalis.jobs j JOIN page ON page.id = j.id
                     WHERE ((j.status = 'Done' AND j.done_at < now() - $2::interval)
                         OR (((j.status = 'Failed' AND j.attempts >= j.max_attempts) OR j.status = 'Killed')
                             AND j.done_at < now() - $3::interval))
                       AND (j.job_type <> $4 OR EXISTS (
                             SELECT 1 FROM cron_slots s
                             WHERE s.schedule = substring(j.idempotency_key FROM '^cron:([^:]+):')
                               AND s.slot_at >= substring(j.idempotency_key FROM '^cron:[^:]+:(.+)$')::timestamptz))
                     FOR UPDATE OF j SKIP LOCKED),
                 gone AS (
                     DELETE FROM apalis.jobs j USING doomed WHERE j.id = doomed.id RETURNING 1)
                 SELECT (SELECT max(id) FROM page) AS last,
                        (SELECT count(*) FROM gone) AS "deleted!""#,
                after,
                // Intervals: encoded as `std::time::Duration` is, exactly as before.
                done as _,
                dead as _,
                CRON_QUEUE,
                batch
            )
            .fetch_one(self.pg())
            .await?;
            total += page.deleted as u64;
            match page.last {
                Some(last) => after = last,
                None => return Ok(total),
            }
        }
    }

    /// Deletes worker rows not seen for `age` that no job names as its holder.
    async fn trim_workers(&self, age: Duration, batch: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let done = sqlx::query!(
                "DELETE FROM apalis.workers w WHERE w.id IN (
                     SELECT w.id FROM apalis.workers w
                     WHERE w.last_seen < now() - $1::interval
                       AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id)
                     ORDER BY w.last_seen LIMIT $2
                     FOR UPDATE SKIP LOCKED)",
                age as _,
                batch
            )
            .execute(self.pg())
            .await?;
            total += done.rows_affected();
            if done.rows_affected() < batch as u64 {
                return Ok(total);
            }
        }
    }

    /// Deletes slots older than `age`, except the newest of each schedule; oldest
    /// first, `batch` per statement, each statement starting where the last one ended.
    async fn trim_cron_slots(&self, age: Duration, batch: i64) -> Result<u64> {
        let mut total = 0;
        for (schedule, newest) in self.last_slots().await? {
            let mut after = DateTime::<Utc>::UNIX_EPOCH;
            loop {
                let page = sqlx::query!(
                    r#"WITH gone AS (
                         DELETE FROM cron_slots WHERE (schedule, slot_at) IN (
                             SELECT schedule, slot_at FROM cron_slots
                             WHERE schedule = $1 AND slot_at > $2 AND slot_at < $3
                               AND slot_at < now() - $4::interval
                             ORDER BY slot_at LIMIT $5
                             FOR UPDATE SKIP LOCKED)
                         RETURNING slot_at)
                     SELECT max(slot_at) AS last, count(*) AS "deleted!" FROM gone"#,
                    schedule,
                    after,
                    newest,
                    age as _,
                    batch
                )
                .fetch_one(self.pg())
                .await?;
                total += page.deleted as u64;
                match page.last {
                    Some(last) if page.deleted >= batch => after = last,
                    _ => break,
                }
            }
        }
        Ok(total)
    }

    /// Deletes job effect records last completed more than `age` ago; oldest first,
    /// `batch` per statement, each statement starting where the last one ended.
    async fn trim_job_effects(&self, age: Duration, batch: i64) -> Result<u64> {
        let mut after = DateTime::<Utc>::UNIX_EPOCH;
        let mut total = 0;
        loop {
            let page = sqlx::query!(
                r#"WITH gone AS (
                     DELETE FROM job_effects WHERE job_key IN (
                         SELECT job_key FROM job_effects
                         WHERE last_done >= $1 AND last_done < now() - $2::interval
                         ORDER BY last_done LIMIT $3
                         FOR UPDATE SKIP LOCKED)
                     RETURNING last_done)
                 SELECT max(last_done) AS last, count(*) AS "deleted!" FROM gone"#,
                after,
                age as _,
                batch
            )
            .fetch_one(self.pg())
            .await?;
            total += page.deleted as u64;
            match page.last {
                Some(last) if page.deleted >= batch => after = last,
                _ => return Ok(total),
            }
        }
    }

    /// Deletes outbox rows sent or skipped more than `done` ago (like job effects, the
    /// record that a message went out), rows never sent created more than `dead` ago
    /// (their job is dead and gone by then), and expired reset and verification
    /// tokens; `batch` rows per statement.
    async fn trim_mail(&self, done: Duration, dead: Duration, batch: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let deleted = sqlx::query!(
                "DELETE FROM mail_outbox WHERE id IN (
                     SELECT id FROM mail_outbox
                     WHERE coalesce(sent_at, skipped_at) < now() - $1::interval
                        OR created_at < now() - $2::interval
                     LIMIT $3 FOR UPDATE SKIP LOCKED)",
                done as _,
                dead as _,
                batch
            )
            .execute(self.pg())
            .await?
            .rows_affected();
            total += deleted;
            if deleted < batch as u64 {
                break;
            }
        }
        total += sqlx::query!("DELETE FROM password_resets WHERE expires_at < now()")
            .execute(self.pg())
            .await?
            .rows_affected();
        total += sqlx::query!("DELETE FROM address_verifications WHERE expires_at < now()")
            .execute(self.pg())
            .await?
            .rows_affected();
        Ok(total)
    }
}

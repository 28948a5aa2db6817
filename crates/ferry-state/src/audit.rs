//! The audit log: one row per admin action, written by the use case that did it.

use chrono::{DateTime, Utc};

use crate::{Result, State};

/// One admin action as recorded.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: an admin's e-mail address, or `cli:` and the operating-system user.
    pub actor: String,
    /// What (`users.make_admin`, `transfers.take_down`, …).
    pub action: String,
    /// On what (an e-mail address, a transfer token, a job id).
    pub target: String,
    /// Anything else worth keeping (what a deletion took with it).
    pub details: serde_json::Value,
}

impl State {
    /// Records one admin action.
    pub async fn record_audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        details: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query!(
            "INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4)",
            actor,
            action,
            target,
            details
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as!(
            AuditEntry,
            "SELECT at, actor, action, target, details FROM audit_log
             ORDER BY at DESC, id DESC LIMIT $1",
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Deletes entries older than `keep`, `batch` rows per statement. Returns how many.
    pub(crate) async fn trim_audit(&self, keep: std::time::Duration, batch: i64) -> Result<u64> {
        let cutoff = Utc::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        let mut total = 0;
        loop {
            let done = sqlx::query!(
                "DELETE FROM audit_log WHERE id IN
                     (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)",
                cutoff,
                batch
            )
            .execute(self.pg())
            .await?
            .rows_affected();
            total += done;
            if (done as i64) < batch {
                return Ok(total);
            }
        }
    }
}

//! Malware scan verdicts (issue 28 §7): which files still wait for a scan, and
//! recording what clamd said. The scan itself (streaming a blob to clamd) is the
//! worker's; what may be served is [`crate::transfer::StoredFile::blocked`].
//!
//! A verdict is recorded once: the UPDATE only moves a file out of `pending`, so a
//! scan job run twice (at-least-once delivery, a worker killed after recording)
//! changes nothing the second time, and only the run that recorded an infection
//! enqueues the owner's notice.

use uuid::Uuid;

use crate::{Result, State};

/// Attempts of an owner's infection notice's job.
const NOTICE_ATTEMPTS: usize = 10;

/// What clamd said about a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// Malware found: the signature's name.
    Infected(String),
    /// Not scanned: larger than the scanner takes.
    TooLarge,
}

impl State {
    /// Files still waiting for their scan, created more than `older_than` ago, of
    /// transfers not deleted (oldest first).
    pub async fn pending_scans(
        &self,
        older_than: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar!(
            "SELECT f.id FROM files f JOIN transfers t ON t.id = f.transfer_id
             WHERE f.scan = 'pending' AND f.created_at < now() - $1::interval
               AND t.deleted_at IS NULL
             ORDER BY f.created_at LIMIT $2",
            older_than as _,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Records the verdict on file `id` if it is still pending; `true` when this call
    /// recorded it. An infection recorded here enqueues the owner's notice (to a
    /// confirmed address; a failure to enqueue it is logged — the owner still sees
    /// the label on their transfers).
    pub async fn record_scan(&self, id: Uuid, verdict: &Verdict) -> Result<bool> {
        let (scan, signature) = match verdict {
            Verdict::Clean => ("clean", None),
            Verdict::Infected(signature) => ("infected", Some(signature.as_str())),
            Verdict::TooLarge => ("too_large", None),
        };
        let recorded = sqlx::query_scalar!(
            "UPDATE files SET scan = $2, scan_signature = $3, scanned_at = now()
             WHERE id = $1 AND scan = 'pending' RETURNING transfer_id",
            id,
            scan,
            signature
        )
        .fetch_optional(self.pg())
        .await?;
        if let (Some(transfer), Verdict::Infected(signature)) = (recorded, verdict) {
            self.enqueue_infection_notice(transfer, id, signature).await;
        }
        Ok(recorded.is_some())
    }

    /// Enqueues the owner's notice that file `file` of transfer `transfer` holds
    /// malware (`ferry_core::mail::Mail::MalwareFound` reads the row). Anonymous
    /// transfers have no one to tell.
    async fn enqueue_infection_notice(&self, transfer: Uuid, file: Uuid, signature: &str) {
        let notice = async {
            let Some(row) = sqlx::query!(
                r#"SELECT u.email, t.notify_locale, f.name
                   FROM transfers t JOIN users u ON u.id = t.owner_id
                        JOIN files f ON f.id = $2 AND f.transfer_id = t.id
                   WHERE t.id = $1 AND u.email_verified_at IS NOT NULL"#,
                transfer,
                file
            )
            .fetch_optional(self.pg())
            .await?
            else {
                return Ok(());
            };
            let params = serde_json::json!({
                "file": row.name,
                "signature": signature,
                "locale": row.notify_locale,
            });
            self.enqueue_mail("malware_found", &row.email, &params, NOTICE_ATTEMPTS)
                .await
                .map(|_| ())
        };
        if let Err(e) = notice.await {
            tracing::warn!(error = %e, %transfer, "could not enqueue the malware notice");
        }
    }
}

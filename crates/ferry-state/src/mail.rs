//! E-mail: the outbox the worker sends from, and the single-use tokens of password
//! resets and address verification.
//!
//! Why an outbox row per message: a job is delivered at least once, a message must
//! go out at most once. The job carries only the row's id; the worker skips a row
//! already marked sent and marks it as soon as the SMTP server accepted the message
//! ([`State::mark_mail_sent`]). What is left is the moment between the server's
//! answer and that UPDATE: a worker killed exactly then sends the message again when
//! the job is retried (docs/operations.md).
//!
//! Tokens are 256 random bits; only their SHA-256 is stored (a database dump yields
//! no working link), one live token per account and purpose (a newer one replaces
//! the older), deleted when used.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, State, jobs::MAIL_QUEUE};

/// Attempts of a first-download notice's job (enqueued from a download, which has no
/// job policy at hand).
const FIRST_DOWNLOAD_ATTEMPTS: usize = 10;

/// Send the message of one outbox row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendMail {
    /// The `mail_outbox` row.
    pub outbox_id: Uuid,
}

/// One message to send, as the outbox holds it.
#[derive(Clone, Debug)]
pub struct OutboxMail {
    /// Row id; also the message's `Message-ID` (`<id@domain>`).
    pub id: Uuid,
    /// What to compose (`password_reset`, `share_link`, …).
    pub kind: String,
    /// The address to send it to.
    pub recipient: String,
    /// What the composition needs (never a secret).
    pub params: serde_json::Value,
    /// Set once the SMTP server accepted the message.
    pub sent_at: Option<DateTime<Utc>>,
    /// Set when the worker decided not to send it.
    pub skipped_at: Option<DateTime<Utc>>,
}

/// What using a single-use token found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// It is live (only looked at, nothing changed). The account it belongs to.
    Live(Uuid),
    /// It was live; it is used up now. The account it belonged to.
    Used(Uuid),
    /// It existed but had expired (it is gone now).
    Expired,
    /// No such token: never issued, used already, or replaced by a newer one.
    Unknown,
}

impl State {
    /// Stores one message and enqueues its job (which gets `max_attempts`); returns
    /// the row's id. If the job cannot be enqueued the row is removed again and the
    /// error returned, so nothing is left that no job will send.
    pub async fn enqueue_mail(
        &self,
        kind: &str,
        recipient: &str,
        params: &serde_json::Value,
        max_attempts: usize,
    ) -> Result<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query!(
            "INSERT INTO mail_outbox (id, kind, recipient, params) VALUES ($1, $2, $3, $4)",
            id,
            kind,
            recipient,
            params
        )
        .execute(self.pg())
        .await?;
        let job = SendMail { outbox_id: id };
        if let Err(e) = self
            .enqueue_unique(MAIL_QUEUE, job, &format!("mail:{id}"), max_attempts)
            .await
        {
            let _ = sqlx::query!("DELETE FROM mail_outbox WHERE id = $1", id)
                .execute(self.pg())
                .await;
            return Err(e);
        }
        Ok(id)
    }

    /// The outbox row `id`.
    pub async fn outbox_mail(&self, id: Uuid) -> Result<Option<OutboxMail>> {
        Ok(sqlx::query_as!(
            OutboxMail,
            "SELECT id, kind, recipient, params, sent_at, skipped_at FROM mail_outbox WHERE id = $1",
            id
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Records that the SMTP server accepted message `id`. Returns `false` when it was
    /// recorded before (another delivery of the job got there first).
    pub async fn mark_mail_sent(&self, id: Uuid) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE mail_outbox SET sent_at = now() WHERE id = $1 AND sent_at IS NULL",
            id
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that message `id` is not to be sent (and never will be).
    pub async fn mark_mail_skipped(&self, id: Uuid) -> Result<()> {
        sqlx::query!(
            "UPDATE mail_outbox SET skipped_at = now() WHERE id = $1 AND sent_at IS NULL",
            id
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }

    /// Counts of outbox rows: sent, skipped, waiting (for the operations view and tests).
    pub async fn outbox_counts(&self) -> Result<(i64, i64, i64)> {
        let row = sqlx::query!(
            r#"SELECT count(*) FILTER (WHERE sent_at IS NOT NULL) AS "sent!",
                      count(*) FILTER (WHERE skipped_at IS NOT NULL) AS "skipped!",
                      count(*) FILTER (WHERE sent_at IS NULL AND skipped_at IS NULL) AS "waiting!"
               FROM mail_outbox"#
        )
        .fetch_one(self.pg())
        .await?;
        Ok((row.sent, row.skipped, row.waiting))
    }

    /// Makes `token_hash` the one live password-reset token of `user` until `expires_at`
    /// (replacing an older one, which stops working).
    pub async fn store_reset_token(
        &self,
        user: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query!(
            "INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE
               SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at",
            user,
            token_hash,
            expires_at
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }

    /// Whether `token_hash` is a live password-reset token (nothing changes).
    pub async fn reset_token_state(&self, token_hash: &[u8]) -> Result<TokenUse> {
        let row = sqlx::query!(
            r#"SELECT user_id, expires_at > now() AS "live!" FROM password_resets
               WHERE token_hash = $1"#,
            token_hash
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(match row {
            Some(r) if r.live => TokenUse::Live(r.user_id),
            Some(_) => TokenUse::Expired,
            None => TokenUse::Unknown,
        })
    }

    /// Uses the password-reset token `token_hash`: when it is live, in one transaction
    /// it is deleted, the account's password hash replaced and its session epoch bumped
    /// (every session of the account ends). Two uses of one token: one wins.
    pub async fn reset_password_with_token(
        &self,
        token_hash: &[u8],
        password_hash: &str,
    ) -> Result<TokenUse> {
        let mut tx = self.pg().begin().await?;
        let Some(row) = sqlx::query!(
            r#"DELETE FROM password_resets WHERE token_hash = $1
               RETURNING user_id, expires_at > now() AS "live!""#,
            token_hash
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(TokenUse::Unknown);
        };
        if !row.live {
            tx.commit().await?;
            return Ok(TokenUse::Expired);
        }
        sqlx::query!(
            "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1 WHERE id = $1",
            row.user_id,
            password_hash
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(TokenUse::Used(row.user_id))
    }

    /// Makes `token_hash` the one live address-verification token of `user`.
    pub async fn store_verification_token(
        &self,
        user: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query!(
            "INSERT INTO address_verifications (user_id, token_hash, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE
               SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at",
            user,
            token_hash,
            expires_at
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }

    /// Uses the verification token `token_hash`: when live, the account's address is
    /// marked verified and the token deleted, in one statement.
    pub async fn verify_address_with_token(&self, token_hash: &[u8]) -> Result<TokenUse> {
        let row = sqlx::query!(
            r#"WITH used AS (
                   DELETE FROM address_verifications WHERE token_hash = $1
                   RETURNING user_id, expires_at > now() AS live),
               verified AS (
                   UPDATE users SET email_verified_at = coalesce(email_verified_at, now())
                   WHERE id IN (SELECT user_id FROM used WHERE live) RETURNING id)
               SELECT user_id AS "user_id!", live AS "live!" FROM used"#,
            token_hash
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(match row {
            Some(r) if r.live => TokenUse::Used(r.user_id),
            Some(_) => TokenUse::Expired,
            None => TokenUse::Unknown,
        })
    }

    /// Enqueues the owner's notice of the first counted download of transfer `id`
    /// (called once per transfer, by the download that claimed it: see
    /// `admit_download_at` and `claim_archive_download`). Only to a confirmed
    /// address. The row is what `ferry_core::mail::Mail::FirstDownload` reads. A
    /// failure is logged, not returned: the download goes on either way.
    pub(crate) async fn enqueue_first_download_notice(&self, id: Uuid) {
        let notice = async {
            let Some(row) = sqlx::query!(
                r#"SELECT u.email, t.notify_locale,
                          array(SELECT f.name FROM files f WHERE f.transfer_id = t.id
                                ORDER BY f.name) AS "files!"
                   FROM transfers t JOIN users u ON u.id = t.owner_id
                   WHERE t.id = $1 AND u.email_verified_at IS NOT NULL"#,
                id
            )
            .fetch_optional(self.pg())
            .await?
            else {
                return Ok(());
            };
            let params = serde_json::json!({ "files": row.files, "locale": row.notify_locale });
            self.enqueue_mail(
                "first_download",
                &row.email,
                &params,
                FIRST_DOWNLOAD_ATTEMPTS,
            )
            .await
            .map(|_| ())
        };
        if let Err(e) = notice.await {
            tracing::warn!(error = %e, transfer = %id, "could not enqueue the first-download notice");
        }
    }

    /// Asks for (or stops) the first-download notice of transfer `id`, to be written
    /// in language `locale` (a code such as `de`; `None` for English).
    pub async fn set_first_download_notice(
        &self,
        id: Uuid,
        notify: bool,
        locale: Option<&str>,
    ) -> Result<()> {
        sqlx::query!(
            "UPDATE transfers SET notify_first_download = $2, notify_locale = $3 WHERE id = $1",
            id,
            notify,
            locale
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }
}

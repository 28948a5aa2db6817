//! Accounts. Passwords arrive here already hashed (argon2id, by the web process); this
//! module only stores and finds them. E-mail addresses are compared lower-cased.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Result, State};

/// A registered user.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    /// Row id.
    pub id: Uuid,
    /// E-mail address (lower-cased).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// May see the operations view.
    pub is_admin: bool,
    /// Sign-up time.
    pub created_at: DateTime<Utc>,
    /// When the owner confirmed the address through the link mailed to it.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Sessions that began in an older epoch are over (a password reset bumps it).
    pub session_epoch: i32,
}

impl State {
    /// Registers a user; `None` when the address is taken.
    pub async fn create_user(&self, email: &str, password_hash: &str) -> Result<Option<User>> {
        Ok(sqlx::query_as!(
            User,
            "INSERT INTO users (id, email, password_hash) VALUES ($1, lower($2), $3)
             ON CONFLICT (email) DO NOTHING
             RETURNING id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch",
            Uuid::new_v4(),
            email,
            password_hash
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// The user with this e-mail address.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(sqlx::query_as!(
            User,
            "SELECT id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch FROM users WHERE email = lower($1)",
            email
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Grants or revokes the operations view. Returns `false` if there is no such user.
    pub async fn set_admin(&self, email: &str, admin: bool) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE users SET is_admin = $2 WHERE email = lower($1)",
            email,
            admin
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        Ok(sqlx::query_as!(
            User,
            "SELECT id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch FROM users WHERE id = $1",
            id
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Every user, oldest first, with how many live transfers each owns (at most
    /// `limit`).
    pub async fn users(&self, limit: i64) -> Result<Vec<UserSummary>> {
        Ok(sqlx::query_as!(
            UserSummary,
            r#"SELECT u.email, u.is_admin, u.created_at,
                      (SELECT count(*) FROM transfers t
                       WHERE t.owner_id = u.id AND transfer_is_live(t)) AS "live_transfers!"
               FROM users u ORDER BY u.created_at, u.email LIMIT $1"#,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Replaces the password hash of the user with this e-mail address, ends every
    /// session of the account (a new session epoch) and voids a pending reset link.
    /// Returns `false` if there is no such user.
    pub async fn set_password_hash(&self, email: &str, password_hash: &str) -> Result<bool> {
        let done = sqlx::query!(
            "WITH changed AS (
                 UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1
                 WHERE email = lower($1) RETURNING id),
             voided AS (DELETE FROM password_resets WHERE user_id IN (SELECT id FROM changed))
             SELECT id FROM changed",
            email,
            password_hash
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(done.is_some())
    }

    /// Deletes the user with this e-mail address and marks every transfer they own
    /// deleted, in one transaction. Returns the transfers' ids (to purge), or `None`
    /// if there is no such user.
    pub async fn delete_user(&self, email: &str) -> Result<Option<Vec<Uuid>>> {
        let mut tx = self.pg().begin().await?;
        let Some(id) = sqlx::query_scalar!(
            "SELECT id FROM users WHERE email = lower($1) FOR UPDATE",
            email
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let transfers = sqlx::query_scalar!(
            "UPDATE transfers SET deleted_at = coalesce(deleted_at, now())
             WHERE owner_id = $1 RETURNING id",
            id
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM users WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(transfers))
    }
}

/// One line of `ferry admin users list`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct UserSummary {
    /// E-mail address (lower-cased).
    pub email: String,
    /// May see the operations view.
    pub is_admin: bool,
    /// Sign-up time.
    pub created_at: DateTime<Utc>,
    /// Live transfers the user owns.
    pub live_transfers: i64,
}

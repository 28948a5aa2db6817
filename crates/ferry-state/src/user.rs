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
    /// When an admin disabled the account, if they did: no sign-in, no session, no token.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl State {
    /// Registers a user; `None` when the address is taken.
    pub async fn create_user(&self, email: &str, password_hash: &str) -> Result<Option<User>> {
        Ok(sqlx::query_as!(
            User,
            "INSERT INTO users (id, email, password_hash) VALUES ($1, lower($2), $3)
             ON CONFLICT (email) DO NOTHING
             RETURNING id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch, disabled_at",
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
            "SELECT id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch, disabled_at FROM users WHERE email = lower($1)",
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
            "SELECT id, email, password_hash, is_admin, created_at, email_verified_at, session_epoch, disabled_at FROM users WHERE id = $1",
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
            r#"SELECT u.email, u.is_admin, u.created_at, u.used_bytes, u.quota_bytes, u.disabled_at,
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

/// An account's storage: what its transfers hold and what it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Storage {
    /// Bytes its transfers hold until they are purged.
    pub used: i64,
    /// Its quota (its own, else the deployment's default); `None`: no limit.
    pub quota: Option<i64>,
}

impl Storage {
    /// Bytes it may still store; `None`: no limit.
    pub fn left(&self) -> Option<i64> {
        self.quota.map(|q| (q - self.used).max(0))
    }
}

impl State {
    /// The storage of user `id` (zero used for an unknown id).
    pub async fn storage_of(&self, id: Uuid) -> Result<Storage> {
        let row = sqlx::query!(
            "SELECT used_bytes, quota_bytes FROM users WHERE id = $1",
            id
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(match row {
            Some(row) => Storage {
                used: row.used_bytes,
                quota: row.quota_bytes.or(self.default_quota),
            },
            None => Storage {
                used: 0,
                quota: self.default_quota,
            },
        })
    }

    /// Sets the quota of the user with this e-mail address (`None`: the default
    /// again). Returns `false` if there is no such user.
    pub async fn set_user_quota(&self, email: &str, quota: Option<i64>) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE users SET quota_bytes = $2 WHERE email = lower($1)",
            email,
            quota
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl State {
    /// Disables (or enables again) the user with this e-mail address; disabling ends
    /// every session of the account (a new session epoch). `false` if there is no such
    /// user.
    pub async fn set_user_disabled(&self, email: &str, disabled: bool) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
                              session_epoch = session_epoch + CASE WHEN $2 THEN 1 ELSE 0 END
             WHERE email = lower($1)",
            email,
            disabled
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Users whose address contains `query` (all when empty), oldest first, at most
    /// `limit`: the admin page's list.
    pub async fn search_users(&self, query: &str, limit: i64) -> Result<Vec<UserSummary>> {
        Ok(sqlx::query_as!(
            UserSummary,
            r#"SELECT u.email, u.is_admin, u.created_at, u.used_bytes, u.quota_bytes, u.disabled_at,
                      (SELECT count(*) FROM transfers t
                       WHERE t.owner_id = u.id AND transfer_is_live(t)) AS "live_transfers!"
               FROM users u WHERE strpos(u.email, lower($1)) > 0
               ORDER BY u.created_at, u.email LIMIT $2"#,
            query,
            limit
        )
        .fetch_all(self.pg())
        .await?)
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
    /// Bytes their transfers hold until purged.
    pub used_bytes: i64,
    /// Their own quota, if an admin set one (else `DEFAULT_USER_QUOTA` applies).
    pub quota_bytes: Option<i64>,
    /// When an admin disabled the account, if they did.
    pub disabled_at: Option<DateTime<Utc>>,
}

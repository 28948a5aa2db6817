//! Personal API tokens: stored as the SHA-256 of the secret, never the secret. A
//! token is found by that hash on every request (no cache), so revoking one — deleting
//! its row — takes effect on every web process at once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Result, State, user::User};

/// A token as its owner sees it in the list (never the secret).
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct ApiToken {
    /// Row id (what revoking names).
    pub id: Uuid,
    /// The owner's name for it.
    pub name: String,
    /// Its first characters, to tell tokens apart.
    pub prefix: String,
    /// What it may do (`upload`, `read`, `requests`).
    pub scopes: Vec<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a new token is.
#[derive(Clone, Debug)]
pub struct NewApiToken<'a> {
    /// Its owner.
    pub user_id: Uuid,
    /// The owner's name for it.
    pub name: &'a str,
    /// SHA-256 of the secret.
    pub secret_hash: &'a [u8],
    /// The secret's first characters.
    pub prefix: &'a str,
    /// What it may do.
    pub scopes: &'a [String],
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

impl State {
    /// Stores a new token, unless its owner already has `max` (then `None`).
    pub async fn create_api_token(
        &self,
        new: &NewApiToken<'_>,
        max: i64,
    ) -> Result<Option<ApiToken>> {
        let mut tx = self.pg().begin().await?;
        // Counted under the owner's row lock, so two racing creations cannot both pass.
        sqlx::query!("SELECT id FROM users WHERE id = $1 FOR UPDATE", new.user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let held = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM api_tokens WHERE user_id = $1"#,
            new.user_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if held >= max {
            return Ok(None);
        }
        let token = sqlx::query_as!(
            ApiToken,
            "INSERT INTO api_tokens (id, user_id, name, secret_hash, prefix, scopes, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, name, prefix, scopes, created_at, last_used_at, expires_at",
            Uuid::new_v4(),
            new.user_id,
            new.name,
            new.secret_hash,
            new.prefix,
            new.scopes,
            new.expires_at
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    /// The tokens of `user`, newest first (expired ones too: the list says so).
    pub async fn api_tokens_of(&self, user: Uuid) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as!(
            ApiToken,
            "SELECT id, name, prefix, scopes, created_at, last_used_at, expires_at
             FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
            user
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Revokes (deletes) `user`'s token `id`; `false` if they have no such token.
    pub async fn revoke_api_token(&self, user: Uuid, id: Uuid) -> Result<bool> {
        let done = sqlx::query!(
            "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2",
            id,
            user
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The unexpired token whose secret hashes to `secret_hash`, and its owner; notes
    /// the use (at most once a minute per token).
    pub async fn authenticate_api_token(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<(ApiToken, User)>> {
        let Some(row) = sqlx::query!(
            r#"SELECT t.id, t.name, t.prefix, t.scopes, t.created_at, t.last_used_at, t.expires_at,
                      u.id AS user_id, u.email, u.password_hash, u.is_admin,
                      u.created_at AS user_created_at, u.email_verified_at, u.session_epoch, u.disabled_at
               FROM api_tokens t JOIN users u ON u.id = t.user_id
               WHERE t.secret_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > now())
                 AND u.disabled_at IS NULL"#,
            secret_hash
        )
        .fetch_optional(self.pg())
        .await?
        else {
            return Ok(None);
        };
        if row
            .last_used_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1))
        {
            sqlx::query!(
                "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
                row.id
            )
            .execute(self.pg())
            .await?;
        }
        Ok(Some((
            ApiToken {
                id: row.id,
                name: row.name,
                prefix: row.prefix,
                scopes: row.scopes,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                expires_at: row.expires_at,
            },
            User {
                id: row.user_id,
                email: row.email,
                password_hash: row.password_hash,
                is_admin: row.is_admin,
                created_at: row.user_created_at,
                email_verified_at: row.email_verified_at,
                session_epoch: row.session_epoch,
                disabled_at: row.disabled_at,
            },
        )))
    }
}

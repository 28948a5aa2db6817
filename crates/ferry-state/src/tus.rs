//! Resumable uploads (the tus protocol's server state) and their per-upload lock.
//!
//! An upload is a row in `uploads` plus a blob; its offset is the blob's committed size
//! (see `blob.rs`), so "bytes acknowledged" and "bytes durable" are the same number and
//! an upload continues on any web process. PATCHes on one upload are serialised by a
//! lock in Redis that every process sees; it expires by itself (TTL, refreshed while a
//! PATCH runs), so a killed process cannot leave it stuck. The conditional size update
//! of the blob store is the second line of defence: even a writer that lost its lock
//! cannot commit bytes at the wrong offset.

use chrono::{DateTime, Utc};
use deadpool_redis::redis;
use uuid::Uuid;

use crate::{
    Error, Result, State,
    transfer::{NewFile, Transfer, insert_transfer, new_token},
};

/// What a client asked for when it created an upload.
#[derive(Clone, Debug)]
pub struct NewUpload {
    /// Total length in bytes.
    pub length: i64,
    /// `Upload-Metadata` as sent (echoed back on HEAD).
    pub metadata: Option<String>,
    /// Sanitised file name.
    pub filename: String,
    /// MIME type to serve the file with.
    pub content_type: String,
    /// Download limit of the transfer it becomes.
    pub max_downloads: Option<i32>,
    /// Lifetime in days of the transfer it becomes.
    pub max_days: i32,
    /// When an unfinished upload is abandoned.
    pub expires_at: DateTime<Utc>,
}

/// An upload as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Upload {
    /// Upload id (in `/files/{id}`).
    pub id: String,
    /// Blob receiving the bytes.
    pub blob_id: Uuid,
    /// Total length.
    pub length: i64,
    /// Bytes committed so far (the tus `Upload-Offset`).
    pub offset: i64,
    /// Saved SHA-256 state over `[0, offset)`.
    pub hash_state: Option<Vec<u8>>,
    /// `Upload-Metadata` as sent.
    pub metadata: Option<String>,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Download limit of the resulting transfer.
    pub max_downloads: Option<i32>,
    /// Lifetime in days of the resulting transfer.
    pub max_days: i32,
    /// When it is abandoned if unfinished.
    pub expires_at: DateTime<Utc>,
    /// Share token of the transfer it became, once complete.
    pub transfer_token: Option<String>,
    /// Deletion token of that transfer.
    pub deletion_token: Option<String>,
}

const SELECT_UPLOAD: &str = "
    SELECT u.id, u.blob_id, u.length, b.size AS offset, b.hash_state, u.metadata, u.filename,
           u.content_type, u.max_downloads, u.max_days, u.expires_at,
           t.token AS transfer_token, t.deletion_token
    FROM uploads u JOIN blobs b ON b.id = u.blob_id
    LEFT JOIN transfers t ON t.id = u.transfer_id
    WHERE u.id = $1 AND (u.completed_at IS NOT NULL OR u.expires_at > now())";

/// Lua: extend the lock's TTL only if we still hold it.
const REFRESH: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
/// Lua: delete the lock only if we still hold it.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('DEL', KEYS[1]) else return 0 end";

impl State {
    /// Creates an upload (and its empty blob).
    pub async fn create_upload(&self, new: &NewUpload) -> Result<Upload> {
        let id = new_token();
        let blob_id = Uuid::new_v4();
        let mut tx = self.pg().begin().await?;
        sqlx::query("INSERT INTO blobs (id) VALUES ($1)")
            .bind(blob_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO uploads (id, blob_id, length, metadata, filename, content_type,
                                  max_downloads, max_days, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(blob_id)
        .bind(new.length)
        .bind(&new.metadata)
        .bind(&new.filename)
        .bind(&new.content_type)
        .bind(new.max_downloads)
        .bind(new.max_days)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.find_upload(&id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("upload {id} vanished after creation")))
    }

    /// The upload `id`, unless it expired unfinished or was terminated.
    pub async fn find_upload(&self, id: &str) -> Result<Option<Upload>> {
        Ok(sqlx::query_as(SELECT_UPLOAD)
            .bind(id)
            .fetch_optional(self.pg())
            .await?)
    }

    /// Turns a fully written upload into a transfer with one file. Idempotent: a second
    /// call returns the transfer the first one made.
    pub async fn complete_upload(&self, id: &str, sha256: &[u8]) -> Result<Transfer> {
        let mut tx = self.pg().begin().await?;
        let upload: Upload = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_UPLOAD} FOR UPDATE OF u"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("upload {id} is gone")))?;
        if let Some(token) = &upload.transfer_token {
            tx.commit().await?;
            return self
                .find_transfer(token)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("transfer of upload {id} is gone")));
        }
        if upload.offset != upload.length {
            return Err(Error::Corrupt(format!("upload {id} is not complete")));
        }
        sqlx::query("UPDATE blobs SET sha256 = $2, hash_state = NULL WHERE id = $1")
            .bind(upload.blob_id)
            .bind(sha256)
            .execute(&mut *tx)
            .await?;
        let file = NewFile {
            name: upload.filename.clone(),
            content_type: upload.content_type.clone(),
            blob_id: upload.blob_id,
            size: upload.length,
            sha256: sha256.to_vec(),
        };
        let expires_at = Utc::now() + chrono::Duration::days(i64::from(upload.max_days));
        let transfer = insert_transfer(&mut tx, &[file], expires_at, upload.max_downloads).await?;
        sqlx::query("UPDATE uploads SET transfer_id = $2, completed_at = now() WHERE id = $1")
            .bind(id)
            .bind(transfer.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(transfer)
    }

    /// Terminates an unfinished upload and frees its bytes. A finished upload only
    /// loses its upload record (its transfer has a deletion token of its own).
    /// Returns whether it existed.
    pub async fn terminate_upload(&self, id: &str) -> Result<bool> {
        let mut tx = self.pg().begin().await?;
        let row: Option<(Uuid, Option<DateTime<Utc>>)> =
            sqlx::query_as("DELETE FROM uploads WHERE id = $1 RETURNING blob_id, completed_at")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let existed = row.is_some();
        if let Some((blob_id, None)) = row {
            sqlx::query("DELETE FROM blobs WHERE id = $1")
                .bind(blob_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(existed)
    }

    /// Takes the lock on upload `id` for `holder`, waiting up to `wait` for another
    /// holder to release it. The lock expires after `ttl_ms` unless refreshed.
    pub async fn lock_upload(
        &self,
        id: &str,
        holder: &str,
        ttl_ms: u64,
        wait: std::time::Duration,
    ) -> Result<()> {
        let key = self.key(&format!("tus-lock:{id}"));
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mut conn = self.redis().await?;
            let taken: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(holder)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn)
                .await?;
            if taken.is_some() {
                return Ok(());
            }
            drop(conn);
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Locked);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Extends `holder`'s lock on upload `id`. Returns `false` if it no longer holds it.
    pub async fn refresh_upload_lock(&self, id: &str, holder: &str, ttl_ms: u64) -> Result<bool> {
        let mut conn = self.redis().await?;
        let refreshed: i64 = redis::cmd("EVAL")
            .arg(REFRESH)
            .arg(1)
            .arg(self.key(&format!("tus-lock:{id}")))
            .arg(holder)
            .arg(ttl_ms)
            .query_async(&mut conn)
            .await?;
        Ok(refreshed == 1)
    }

    /// Releases `holder`'s lock on upload `id` (a no-op if it expired meanwhile).
    pub async fn unlock_upload(&self, id: &str, holder: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = redis::cmd("EVAL")
            .arg(RELEASE)
            .arg(1)
            .arg(self.key(&format!("tus-lock:{id}")))
            .arg(holder)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}

//! Transfers: a share token, one or more files, an expiry, an optional download limit
//! and a deletion token.
//!
//! Guarantees:
//! - tokens carry 128 bits from the OS RNG, URL-safe (22 characters);
//! - an expired transfer, or one whose downloads are used up, is never served;
//! - the download limit is enforced by one conditional `UPDATE` in Postgres, so it
//!   holds across any number of web processes: of N concurrent downloads of a file
//!   with `Max-Downloads: 1`, exactly one is served.

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use uuid::Uuid;

use crate::{Result, State};

/// A file to attach to a new transfer (its blob already written and sealed).
#[derive(Clone, Debug)]
pub struct NewFile {
    /// Sanitised file name, unique within the transfer.
    pub name: String,
    /// MIME type to serve it with.
    pub content_type: String,
    /// The blob holding its bytes.
    pub blob_id: Uuid,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the bytes.
    pub sha256: Vec<u8>,
}

/// A file of a transfer.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredFile {
    /// Row id.
    pub id: Uuid,
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Blob with the bytes.
    pub blob_id: Uuid,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the bytes.
    pub sha256: Vec<u8>,
}

/// A live transfer.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Row id.
    pub id: Uuid,
    /// Share token (in URLs).
    pub token: String,
    /// Secret that allows deletion.
    pub deletion_token: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it stops being served.
    pub expires_at: DateTime<Utc>,
    /// Download limit, if any.
    pub max_downloads: Option<i32>,
    /// Downloads so far.
    pub downloads: i32,
    /// Its files, in upload order.
    pub files: Vec<StoredFile>,
}

impl Transfer {
    /// Downloads left, if limited.
    pub fn remaining_downloads(&self) -> Option<i32> {
        self.max_downloads.map(|m| (m - self.downloads).max(0))
    }

    /// The file called `name`.
    pub fn file(&self, name: &str) -> Option<&StoredFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    id: Uuid,
    token: String,
    deletion_token: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    max_downloads: Option<i32>,
    downloads: i32,
}

/// A fresh 128-bit URL-safe token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

const LIVE: &str = "expires_at > now() AND (max_downloads IS NULL OR downloads < max_downloads)";

impl State {
    /// Creates a transfer holding `files` (in that order).
    pub async fn create_transfer(
        &self,
        files: &[NewFile],
        expires_at: DateTime<Utc>,
        max_downloads: Option<i32>,
    ) -> Result<Transfer> {
        let mut tx = self.pg().begin().await?;
        let transfer = insert_transfer(&mut tx, files, expires_at, max_downloads).await?;
        tx.commit().await?;
        Ok(transfer)
    }

    /// The live transfer with share token `token`, with its files.
    pub async fn find_transfer(&self, token: &str) -> Result<Option<Transfer>> {
        let row: Option<TransferRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, token, deletion_token, created_at, expires_at, max_downloads, downloads
             FROM transfers WHERE token = $1 AND {LIVE}"
        )))
        .bind(token)
        .fetch_optional(self.pg())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let files = sqlx::query_as(
            "SELECT id, name, content_type, blob_id, size, sha256 FROM files
             WHERE transfer_id = $1 ORDER BY position",
        )
        .bind(row.id)
        .fetch_all(self.pg())
        .await?;
        Ok(Some(transfer_from(row, files)))
    }

    /// Counts one download of transfer `id` if it is still live. Returns the downloads
    /// left afterwards (`Some(None)` when unlimited), or `None` when it may not be
    /// downloaded any more. One conditional UPDATE: safe under any concurrency.
    pub async fn claim_download(&self, id: Uuid) -> Result<Option<Option<i32>>> {
        let row: Option<(Option<i32>, i32)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE transfers SET downloads = downloads + 1 WHERE id = $1 AND {LIVE}
             RETURNING max_downloads, downloads"
        )))
        .bind(id)
        .fetch_optional(self.pg())
        .await?;
        Ok(row.map(|(max, used)| max.map(|m| m - used)))
    }

    /// Deletes the transfer `token` if `deletion_token` matches, with its files and
    /// their bytes. Returns whether it existed.
    pub async fn delete_transfer(&self, token: &str, deletion_token: &str) -> Result<bool> {
        let mut tx = self.pg().begin().await?;
        // A transfer always has at least one file, so no rows means no such transfer.
        let blobs: Vec<Uuid> = sqlx::query_scalar(
            "SELECT f.blob_id FROM files f JOIN transfers t ON t.id = f.transfer_id
             WHERE t.token = $1 AND t.deletion_token = $2 FOR UPDATE OF t",
        )
        .bind(token)
        .bind(deletion_token)
        .fetch_all(&mut *tx)
        .await?;
        if blobs.is_empty() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM transfers WHERE token = $1")
            .bind(token)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM uploads WHERE blob_id = ANY($1)")
            .bind(&blobs)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blobs WHERE id = ANY($1)")
            .bind(&blobs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

pub(crate) async fn insert_transfer(
    tx: &mut sqlx::PgConnection,
    files: &[NewFile],
    expires_at: DateTime<Utc>,
    max_downloads: Option<i32>,
) -> Result<Transfer> {
    let row: TransferRow = sqlx::query_as(
        "INSERT INTO transfers (id, token, deletion_token, expires_at, max_downloads)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, token, deletion_token, created_at, expires_at, max_downloads, downloads",
    )
    .bind(Uuid::new_v4())
    .bind(new_token())
    .bind(new_token())
    .bind(expires_at)
    .bind(max_downloads)
    .fetch_one(&mut *tx)
    .await?;
    let mut stored = Vec::with_capacity(files.len());
    for (position, file) in files.iter().enumerate() {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO files (id, transfer_id, name, content_type, blob_id, size, sha256, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(row.id)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(file.blob_id)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(position as i32)
        .execute(&mut *tx)
        .await?;
        stored.push(StoredFile {
            id,
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            blob_id: file.blob_id,
            size: file.size,
            sha256: file.sha256.clone(),
        });
    }
    Ok(transfer_from(row, stored))
}

fn transfer_from(row: TransferRow, files: Vec<StoredFile>) -> Transfer {
    Transfer {
        id: row.id,
        token: row.token,
        deletion_token: row.deletion_token,
        created_at: row.created_at,
        expires_at: row.expires_at,
        max_downloads: row.max_downloads,
        downloads: row.downloads,
        files,
    }
}

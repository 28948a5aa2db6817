//! Transfers: a share token, one or more files, an expiry, an optional download limit,
//! an optional password and owner, and a deletion token.
//!
//! Guarantees:
//! - tokens carry 128 bits from the OS RNG, URL-safe (22 characters);
//! - an expired, deleted or used-up transfer is never served;
//! - the download limit is enforced by one conditional `UPDATE` in Postgres, so it
//!   holds across any number of web processes: of N concurrent downloads of a file
//!   with `Max-Downloads: 1`, exactly one is served;
//! - a client that was counted a download of a file may resume it (Range requests for
//!   the same file from the same address, or with the resume secret it was given) for a
//!   window without using another one;
//! - an expired or used-up transfer keeps its bytes for a grace period after a
//!   download last started, so a download in flight is never cut by the purge, and a
//!   used-up one for as long as a resume is allowed;
//! - deleting is immediate for readers (a flag); the bytes are freed by the purge job
//!   in bounded batches, so deleting a 10 GiB transfer is not a 10 GiB transaction.

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use uuid::Uuid;

use crate::{Result, State};

/// How a GET of a file was admitted (see [`State::admit_download`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Counted as a new download.
    Counted {
        /// Downloads left afterwards, if limited.
        remaining: Option<i32>,
        /// The secret that lets this client resume from another address (for a
        /// limited transfer with a resume window), to hand over in a cookie.
        resume_secret: Option<String>,
    },
    /// The resume of a download counted earlier; nothing counted. Downloads left.
    Resumed(Option<i32>),
}

impl Admission {
    /// Downloads left, if limited.
    pub fn remaining(&self) -> Option<i32> {
        match self {
            Admission::Counted { remaining, .. } | Admission::Resumed(remaining) => *remaining,
        }
    }
}

/// Who asks to download: the client address, and the resume secret it presented (from
/// the cookie set with an earlier counted download), if any.
#[derive(Clone, Copy, Debug)]
pub struct Downloader<'a> {
    /// Client address (the trusted-proxy-aware one).
    pub address: &'a str,
    /// Resume secret presented, if any.
    pub resume_secret: Option<&'a str>,
}

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

/// Everything about a new transfer but its files.
#[derive(Clone, Debug)]
pub struct TransferOptions {
    /// When it stops being served.
    pub expires_at: DateTime<Utc>,
    /// Download limit, if any.
    pub max_downloads: Option<i32>,
    /// argon2id hash of the share password, if protected.
    pub password_hash: Option<String>,
    /// The signed-in user who made it, if any.
    pub owner_id: Option<Uuid>,
}

impl TransferOptions {
    /// An anonymous, unprotected transfer.
    pub fn new(expires_at: DateTime<Utc>, max_downloads: Option<i32>) -> TransferOptions {
        TransferOptions {
            expires_at,
            max_downloads,
            password_hash: None,
            owner_id: None,
        }
    }
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
    /// Verified and finished by the worker.
    pub ready: bool,
    /// Preview image, for images, once the worker made it.
    pub thumbnail_blob_id: Option<Uuid>,
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
    /// argon2id hash of the share password, if protected.
    pub password_hash: Option<String>,
    /// Owner, if made by a signed-in user.
    pub owner_id: Option<Uuid>,
    /// Stored zip of all files, once the worker built it.
    pub bundle_blob_id: Option<Uuid>,
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

    /// Total size of its files.
    pub fn total_size(&self) -> i64 {
        self.files.iter().map(|f| f.size).sum()
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
    password_hash: Option<String>,
    owner_id: Option<Uuid>,
    bundle_blob_id: Option<Uuid>,
}

const TRANSFER_COLUMNS: &str = "id, token, deletion_token, created_at, expires_at, max_downloads, \
     downloads, password_hash, owner_id, bundle_blob_id";
const FILE_COLUMNS: &str =
    "id, name, content_type, blob_id, size, sha256, ready, thumbnail_blob_id";
const LIVE: &str = "deleted_at IS NULL AND expires_at > now() \
     AND (max_downloads IS NULL OR downloads < max_downloads)";

/// A live grant that lets the client resume (`$1` transfer, `$2` file name, `$3` client
/// address, `$4` resume secret): one definition for admitting a resume and for HEAD.
const RESUME_GRANT: &str = "SELECT 1 FROM download_grants
     WHERE transfer_id = $1 AND file_name = $2
       AND (client = $3 OR secret = $4) AND expires_at > now()";

/// Transfers whose bytes may go (`$2`: the grace in seconds): deleted ones at once;
/// expired or used-up ones once `$2` has passed since a download last started and —
/// unless expired — no client may still resume one (a resume promised is kept).
const PURGEABLE: &str = "(deleted_at IS NOT NULL
     OR ((expires_at <= now() OR (max_downloads IS NOT NULL AND downloads >= max_downloads))
         AND (last_download_at IS NULL OR last_download_at <= now() - $2 * interval '1 second')
         AND (expires_at <= now() OR NOT EXISTS (
             SELECT 1 FROM download_grants g
             WHERE g.transfer_id = transfers.id AND g.expires_at > now()))))";

/// A fresh 128-bit URL-safe token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl State {
    /// Creates a transfer holding `files` (in that order).
    pub async fn create_transfer(
        &self,
        files: &[NewFile],
        options: &TransferOptions,
    ) -> Result<Transfer> {
        let mut tx = self.pg().begin().await?;
        let transfer = insert_transfer(&mut tx, files, options).await?;
        tx.commit().await?;
        Ok(transfer)
    }

    /// The live transfer with share token `token`, with its files.
    pub async fn find_transfer(&self, token: &str) -> Result<Option<Transfer>> {
        let row: Option<TransferRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE token = $1 AND {LIVE}"
        )))
        .bind(token)
        .fetch_optional(self.pg())
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_files(row).await?)),
            None => Ok(None),
        }
    }

    /// Live transfers owned by `owner`, newest first (at most 200).
    pub async fn transfers_of(&self, owner: Uuid) -> Result<Vec<Transfer>> {
        let rows: Vec<TransferRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE owner_id = $1 AND {LIVE}
             ORDER BY created_at DESC LIMIT 200"
        )))
        .bind(owner)
        .fetch_all(self.pg())
        .await?;
        let mut transfers = Vec::with_capacity(rows.len());
        for row in rows {
            transfers.push(self.with_files(row).await?);
        }
        Ok(transfers)
    }

    async fn with_files(&self, row: TransferRow) -> Result<Transfer> {
        let files = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE transfer_id = $1 ORDER BY position"
        )))
        .bind(row.id)
        .fetch_all(self.pg())
        .await?;
        Ok(transfer_from(row, files))
    }

    /// Counts one download of transfer `id` if it is still live. Returns the downloads
    /// left afterwards (`Some(None)` when unlimited), or `None` when it may not be
    /// downloaded any more. One conditional UPDATE: safe under any concurrency.
    pub async fn claim_download(&self, id: Uuid) -> Result<Option<Option<i32>>> {
        let row: Option<(Option<i32>, i32)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE transfers SET downloads = downloads + 1, last_download_at = now()
             WHERE id = $1 AND {LIVE}
             RETURNING max_downloads, downloads"
        )))
        .bind(id)
        .fetch_optional(self.pg())
        .await?;
        Ok(row.map(|(max, used)| max.map(|m| m - used)))
    }

    /// Admits one GET of file `file_name` of transfer `id` by `who`.
    ///
    /// A `resume` (a Range request) by a client that made a counted download of the
    /// same file less than `window` ago — recognised by its address or by the resume
    /// secret it was given — is served without counting, as long as the transfer is
    /// neither deleted nor expired, even when that download used it up. Anything else
    /// counts one download, exactly like [`State::claim_download`], and (for a limited
    /// transfer) records a grant for `window` with a fresh resume secret. Both paths
    /// stamp `last_download_at`, which holds off the purge (see
    /// [`State::purgeable_transfers`]). Each path is one conditional statement, so the
    /// limit holds across any number of web processes.
    pub async fn admit_download(
        &self,
        id: Uuid,
        file_name: &str,
        who: Downloader<'_>,
        resume: bool,
        window: std::time::Duration,
    ) -> Result<Option<Admission>> {
        let seconds = window.as_secs_f64();
        if resume && seconds > 0.0 {
            let resumed: Option<(Option<i32>, i32)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "UPDATE transfers SET last_download_at = now()
                 WHERE id = $1 AND deleted_at IS NULL AND expires_at > now()
                   AND EXISTS ({RESUME_GRANT})
                 RETURNING max_downloads, downloads"
            )))
            .bind(id)
            .bind(file_name)
            .bind(who.address)
            .bind(who.resume_secret)
            .fetch_optional(self.pg())
            .await?;
            if let Some((max, used)) = resumed {
                return Ok(Some(Admission::Resumed(max.map(|m| (m - used).max(0)))));
            }
        }
        let secret = new_token();
        let claimed: Option<(Option<i32>, i32, bool)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "WITH claimed AS (
                     UPDATE transfers SET downloads = downloads + 1, last_download_at = now()
                     WHERE id = $1 AND {LIVE}
                     RETURNING id, max_downloads, downloads
                 ), pruned AS (
                     DELETE FROM download_grants
                     WHERE transfer_id = $1 AND expires_at <= now()
                       AND NOT (file_name = $2 AND client = $3)
                 ), granted AS (
                     INSERT INTO download_grants (transfer_id, file_name, client, expires_at, secret)
                     SELECT id, $2, $3, now() + $4 * interval '1 second', $5 FROM claimed
                     WHERE max_downloads IS NOT NULL AND $4 > 0
                     ON CONFLICT (transfer_id, file_name, client)
                     DO UPDATE SET expires_at = EXCLUDED.expires_at, secret = EXCLUDED.secret
                     RETURNING 1
                 )
                 SELECT max_downloads, downloads, EXISTS (SELECT 1 FROM granted) FROM claimed"
            )))
            .bind(id)
            .bind(file_name)
            .bind(who.address)
            .bind(seconds)
            .bind(&secret)
            .fetch_optional(self.pg())
            .await?;
        Ok(claimed.map(|(max, used, granted)| Admission::Counted {
            remaining: max.map(|m| m - used),
            resume_secret: granted.then_some(secret),
        }))
    }

    /// Whether `who` may resume a download of file `file_name` of transfer `id`
    /// without counting (see [`State::admit_download`]). Reads only; for HEAD.
    pub async fn may_resume(
        &self,
        id: Uuid,
        file_name: &str,
        who: Downloader<'_>,
        window: std::time::Duration,
    ) -> Result<bool> {
        if window.is_zero() {
            return Ok(false);
        }
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS ({RESUME_GRANT})"
        )))
        .bind(id)
        .bind(file_name)
        .bind(who.address)
        .bind(who.resume_secret)
        .fetch_one(self.pg())
        .await?)
    }

    /// The transfer with share token `token` if it is neither deleted nor expired, even
    /// when its downloads are used up (a resume may still be admitted; see
    /// [`State::admit_download`]).
    pub async fn find_transfer_to_download(&self, token: &str) -> Result<Option<Transfer>> {
        let row: Option<TransferRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers
             WHERE token = $1 AND deleted_at IS NULL AND expires_at > now()"
        )))
        .bind(token)
        .fetch_optional(self.pg())
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_files(row).await?)),
            None => Ok(None),
        }
    }

    /// Marks the transfer `token` deleted if `deletion_token` matches. Readers see it
    /// gone at once; returns its id, for the purge job to free the bytes.
    pub async fn delete_transfer(&self, token: &str, deletion_token: &str) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar(
            "UPDATE transfers SET deleted_at = now()
             WHERE token = $1 AND deletion_token = $2 AND deleted_at IS NULL RETURNING id",
        )
        .bind(token)
        .bind(deletion_token)
        .fetch_optional(self.pg())
        .await?)
    }

    /// Marks the transfer `token` deleted if `owner` owns it; returns its id.
    pub async fn delete_owned_transfer(&self, token: &str, owner: Uuid) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar(
            "UPDATE transfers SET deleted_at = now()
             WHERE token = $1 AND owner_id = $2 AND deleted_at IS NULL RETURNING id",
        )
        .bind(token)
        .bind(owner)
        .fetch_optional(self.pg())
        .await?)
    }

    /// Transfers whose bytes may be freed, oldest first: the purge job's work list.
    /// Deleted transfers at once; expired or used-up ones only once `grace` has passed
    /// since a download last started, so the last allowed download (or its resume)
    /// finishes streaming before its chunks go, and a used-up one only once no client
    /// may still resume (so a purge never refuses a job the sweep enqueued).
    pub async fn purgeable_transfers(
        &self,
        limit: i64,
        grace: std::time::Duration,
    ) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM transfers WHERE {PURGEABLE} ORDER BY expires_at LIMIT $1"
        )))
        .bind(limit)
        .bind(grace.as_secs_f64())
        .fetch_all(self.pg())
        .await?)
    }

    /// Frees a dead transfer's bytes, `batch` chunks per statement, then removes its
    /// rows. Refuses (returns `false`) while the transfer is still live, a download
    /// started less than `grace` ago, or a resume is still allowed (see
    /// [`State::purgeable_transfers`]). Idempotent.
    ///
    /// The decision is one conditional UPDATE that also marks the transfer deleted, so
    /// no resume can start once the purge has begun, and no purge begins once a resume
    /// has stamped `last_download_at`.
    pub async fn purge_transfer(
        &self,
        id: Uuid,
        batch: i64,
        grace: std::time::Duration,
    ) -> Result<bool> {
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM transfers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pg())
            .await?;
        if exists.is_none() {
            return Ok(true);
        }
        let doomed: Option<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE transfers SET deleted_at = coalesce(deleted_at, now())
             WHERE id = $1 AND {PURGEABLE} RETURNING id"
        )))
        .bind(id)
        .bind(grace.as_secs_f64())
        .fetch_optional(self.pg())
        .await?;
        if doomed.is_none() {
            return Ok(false);
        }
        let blobs: Vec<Uuid> = sqlx::query_scalar(
            "SELECT blob_id FROM files WHERE transfer_id = $1
             UNION SELECT thumbnail_blob_id FROM files WHERE transfer_id = $1 AND thumbnail_blob_id IS NOT NULL
             UNION SELECT bundle_blob_id FROM transfers WHERE id = $1 AND bundle_blob_id IS NOT NULL",
        )
        .bind(id)
        .fetch_all(self.pg())
        .await?;
        self.delete_chunks_in_batches(&blobs, batch).await?;
        let mut tx = self.pg().begin().await?;
        sqlx::query("DELETE FROM uploads WHERE transfer_id = $1 OR blob_id = ANY($2)")
            .bind(id)
            .bind(&blobs)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM transfers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blobs WHERE id = ANY($1)")
            .bind(&blobs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the chunks of `blobs`, at most `batch` rows per statement.
    pub(crate) async fn delete_chunks_in_batches(&self, blobs: &[Uuid], batch: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let done = sqlx::query(
                r#"DELETE FROM blob_chunks WHERE (blob_id, "offset") IN (
                       SELECT blob_id, "offset" FROM blob_chunks WHERE blob_id = ANY($1) LIMIT $2)"#,
            )
            .bind(blobs)
            .bind(batch)
            .execute(self.pg())
            .await?;
            total += done.rows_affected();
            if done.rows_affected() == 0 {
                return Ok(total);
            }
        }
    }

    /// Files the worker has not finished yet, created more than `older_than` ago.
    pub async fn unfinished_files(
        &self,
        older_than: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT f.id FROM files f JOIN transfers t ON t.id = f.transfer_id
             WHERE NOT f.ready AND f.created_at < now() - $1 AND t.deleted_at IS NULL
             ORDER BY f.created_at LIMIT $2",
        )
        .bind(older_than)
        .bind(limit)
        .fetch_all(self.pg())
        .await?)
    }

    /// The file `id` (whatever its transfer's state), for the worker.
    pub async fn file_by_id(&self, id: Uuid) -> Result<Option<StoredFile>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pg())
        .await?)
    }

    /// Records the worker's results for file `id` and marks it ready. A thumbnail made
    /// by a duplicate run is dropped (returns `false`) so no blob leaks.
    pub async fn mark_file_ready(
        &self,
        id: Uuid,
        content_type: &str,
        thumbnail: Option<Uuid>,
    ) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE files SET ready = true, verified_at = now(), content_type = $2,
                    thumbnail_blob_id = coalesce(thumbnail_blob_id, $3)
             WHERE id = $1 AND (thumbnail_blob_id IS NULL OR $3::uuid IS NULL)",
        )
        .bind(id)
        .bind(content_type)
        .bind(thumbnail)
        .execute(self.pg())
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// The transfer `id` if live (for the worker).
    pub async fn live_transfer_by_id(&self, id: Uuid) -> Result<Option<Transfer>> {
        let row: Option<TransferRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1 AND {LIVE}"
        )))
        .bind(id)
        .fetch_optional(self.pg())
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_files(row).await?)),
            None => Ok(None),
        }
    }

    /// Attaches a built zip to transfer `id`, unless one is attached already (then the
    /// caller's blob is deleted and `false` returned).
    pub async fn attach_bundle(&self, id: Uuid, blob: Uuid) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE transfers SET bundle_blob_id = $2 WHERE id = $1 AND bundle_blob_id IS NULL",
        )
        .bind(id)
        .bind(blob)
        .execute(self.pg())
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(true);
        }
        self.delete_chunks_in_batches(&[blob], 1000).await?;
        self.delete_blob(blob).await?;
        Ok(false)
    }

    /// Recomputes the usage row of the hour starting at `hour` (idempotent).
    pub async fn roll_up_usage(&self, hour: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO usage_hourly (hour, transfers, files, bytes)
             SELECT $1, count(DISTINCT t.id), count(f.id), coalesce(sum(f.size), 0)
             FROM transfers t LEFT JOIN files f ON f.transfer_id = t.id
             WHERE t.created_at >= $1 AND t.created_at < $1 + interval '1 hour'
             ON CONFLICT (hour) DO UPDATE SET transfers = EXCLUDED.transfers,
                 files = EXCLUDED.files, bytes = EXCLUDED.bytes, computed_at = now()",
        )
        .bind(hour)
        .execute(self.pg())
        .await?;
        Ok(())
    }
}

pub(crate) async fn insert_transfer(
    tx: &mut sqlx::PgConnection,
    files: &[NewFile],
    options: &TransferOptions,
) -> Result<Transfer> {
    let row: TransferRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO transfers (id, token, deletion_token, expires_at, max_downloads, password_hash, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TRANSFER_COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(new_token())
    .bind(new_token())
    .bind(options.expires_at)
    .bind(options.max_downloads)
    .bind(&options.password_hash)
    .bind(options.owner_id)
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
            ready: false,
            thumbnail_blob_id: None,
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
        password_hash: row.password_hash,
        owner_id: row.owner_id,
        bundle_blob_id: row.bundle_blob_id,
        files,
    }
}

//! Resumable uploads (the tus protocol's server state) and their per-upload lock.
//!
//! An upload is a row in `uploads` plus a blob; its offset is the blob's committed size
//! (see `blob.rs`), so "bytes acknowledged" and "bytes durable" are the same number and
//! an upload continues on any web process. PATCHes on one upload are serialised by a
//! lock in Redis that every process sees; it expires by itself (TTL, refreshed while a
//! PATCH runs), so a killed process cannot leave it stuck. The conditional size update
//! of the blob store is the second line of defence: even a writer that lost its lock
//! cannot commit bytes at the wrong offset.
//!
//! Every statement is a sqlx macro checked at compile time. How an upload is read (its
//! columns, its blob's size as the offset, the tokens of the transfer it became) and
//! which one a client may still see are written once, in `query_uploads!` and
//! `query_one_upload!` below.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use deadpool_redis::redis;
use uuid::Uuid;

use crate::{
    Error, Result, State,
    blobs::condemn,
    transfer::{NewFile, Transfer, TransferOptions, insert_transfer, new_token},
};

/// What a client asked for when it created an upload.
#[derive(Clone, Debug)]
pub struct NewUpload {
    /// Total length in bytes; `None` until a later write declares it (tus
    /// `creation-defer-length`).
    pub length: Option<i64>,
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
    /// For a draft (the web UI's cart): complete uploads wait to be sent together.
    pub draft: bool,
    /// tus concatenation: `partial`, or the `Upload-Concat` value of a final upload.
    pub concat: Option<String>,
    /// The account it belongs to (the transfer it becomes is theirs), if any.
    pub owner_id: Option<Uuid>,
}

/// The `concat` of a partial upload (one piece of a parallel upload).
pub const PARTIAL: &str = "partial";

/// An upload as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Upload {
    /// Upload id (in `/files/{id}`).
    pub id: String,
    /// Blob receiving the bytes.
    pub blob_id: Uuid,
    /// Total length; `None` while deferred.
    pub length: Option<i64>,
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
    /// Made for a draft: completing it does not create a transfer.
    pub draft: bool,
    /// When the last byte arrived.
    pub completed_at: Option<DateTime<Utc>>,
    /// tus concatenation: `partial`, or `final;…` (see [`NewUpload::concat`]).
    pub concat: Option<String>,
    /// The file request it goes into, if any.
    pub file_request_id: Option<Uuid>,
    /// The account it belongs to, if any.
    pub owner_id: Option<Uuid>,
}

impl Upload {
    /// A piece of a parallel upload: complete, it waits to be concatenated.
    pub fn is_partial(&self) -> bool {
        self.concat.as_deref() == Some(PARTIAL)
    }

    /// The result of a concatenation: it takes no writes of its own.
    pub fn is_final(&self) -> bool {
        self.concat
            .as_deref()
            .is_some_and(|c| c.starts_with("final;"))
    }
}

/// `sqlx::query_as!` into [`Upload`]s: an upload with its blob's committed size and
/// hash state and the tokens of the transfer it became; the literals `$sql` follow the
/// FROM clause. sqlx joins the literals at compile time, so this is written once and
/// every statement is still checked against the schema.
macro_rules! query_uploads {
    ([$($sql:literal),+] $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Upload,
            "SELECT u.id, u.blob_id, u.length, b.size AS offset, b.hash_state, u.metadata,
                    u.filename, u.content_type, u.max_downloads, u.max_days, u.expires_at,
                    t.token AS \"transfer_token?\", t.deletion_token AS \"deletion_token?\",
                    u.draft, u.completed_at, u.concat, u.file_request_id, u.owner_id
             FROM uploads u JOIN blobs b ON b.id = u.blob_id
             LEFT JOIN transfers t ON t.id = u.transfer_id "
            $(+ $sql)+
            $(, $arg)*
        )
    };
}

/// `query_uploads!` for the upload with id `$id`, unless it expired unfinished;
/// `$suffix` (a literal) ends the statement.
macro_rules! query_one_upload {
    ($id:expr $(, $suffix:literal)?) => {
        query_uploads!(
            ["WHERE u.id = $1 AND (u.completed_at IS NOT NULL OR u.expires_at > now()) " $(, $suffix)?],
            $id
        )
    };
}

/// Lua: extend the lock's TTL only if we still hold it.
static REFRESH: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
         return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end",
    )
});
/// Lua: delete the lock only if we still hold it.
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
         return redis.call('DEL', KEYS[1]) else return 0 end",
    )
});

impl State {
    /// Creates an upload (and its empty blob).
    pub async fn create_upload(&self, new: &NewUpload) -> Result<Upload> {
        let mut tx = self.pg().begin().await?;
        let id = self.insert_upload(&mut tx, new, None).await?;
        tx.commit().await?;
        self.created_upload(&id).await
    }

    /// Inserts an upload row and its empty blob in `tx`; `request` is the file
    /// request it goes into and the bytes it was admitted with. Returns its id.
    pub(crate) async fn insert_upload(
        &self,
        tx: &mut sqlx::PgConnection,
        new: &NewUpload,
        request: Option<(Uuid, i64)>,
    ) -> Result<String> {
        let id = new_token();
        let blob_id = Uuid::new_v4();
        self.insert_blob(&mut *tx, blob_id).await?;
        sqlx::query!(
            "INSERT INTO uploads (id, blob_id, length, metadata, filename, content_type,
                                  max_downloads, max_days, expires_at, draft, concat,
                                  file_request_id, request_bytes, owner_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            id,
            blob_id,
            new.length,
            new.metadata.as_deref(),
            new.filename,
            new.content_type,
            new.max_downloads,
            new.max_days,
            new.expires_at,
            new.draft,
            new.concat.as_deref(),
            request.map(|(id, _)| id),
            request.map(|(_, bytes)| bytes),
            new.owner_id
        )
        .execute(&mut *tx)
        .await?;
        Ok(id)
    }

    /// The upload just created with id `id`.
    pub(crate) async fn created_upload(&self, id: &str) -> Result<Upload> {
        self.find_upload(id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("upload {id} vanished after creation")))
    }

    /// The upload `id`, unless it expired unfinished or was terminated.
    pub async fn find_upload(&self, id: &str) -> Result<Option<Upload>> {
        Ok(query_one_upload!(id).fetch_optional(self.pg()).await?)
    }

    /// Declares the length of an upload created without one (tus
    /// `creation-defer-length`). Returns `false` if it already had one.
    pub async fn set_upload_length(&self, id: &str, length: i64) -> Result<bool> {
        let set = sqlx::query!(
            "UPDATE uploads SET length = $2 WHERE id = $1 AND length IS NULL",
            id,
            length
        )
        .execute(self.pg())
        .await?;
        Ok(set.rows_affected() == 1)
    }

    /// The complete partial uploads among `ids`, in the given order (tus
    /// concatenation); the unknown, unfinished, expired (the idle sweep may be
    /// removing them) and non-partial ones are left out.
    pub async fn complete_partial_uploads(&self, ids: &[String]) -> Result<Vec<Upload>> {
        Ok(query_uploads!(
            [
                "WHERE u.id = ANY($1) AND u.concat = 'partial' AND u.completed_at IS NOT NULL
                   AND u.expires_at > now()
                 ORDER BY array_position($1, u.id)"
            ],
            ids
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Seals a fully written upload. A normal upload becomes a transfer with one file
    /// (returned); a draft or partial upload just waits to be sent or concatenated
    /// (`None`). Idempotent: a second call returns the transfer the first one made.
    pub async fn complete_upload(&self, id: &str, sha256: &[u8]) -> Result<Option<Transfer>> {
        let mut tx = self.pg().begin().await?;
        let upload = query_one_upload!(id, "FOR UPDATE OF u")
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("upload {id} is gone")))?;
        if let Some(token) = &upload.transfer_token {
            tx.commit().await?;
            return self.find_transfer(token).await;
        }
        let waits = upload.draft || upload.is_partial();
        if waits && upload.completed_at.is_some() {
            return Ok(None);
        }
        if Some(upload.offset) != upload.length {
            return Err(Error::Corrupt(format!("upload {id} is not complete")));
        }
        sqlx::query!(
            "UPDATE blobs SET sha256 = $2, hash_state = NULL WHERE id = $1",
            upload.blob_id,
            sha256
        )
        .execute(&mut *tx)
        .await?;
        if waits {
            sqlx::query!("UPDATE uploads SET completed_at = now() WHERE id = $1", id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(None);
        }
        let file = NewFile {
            name: upload.filename.clone(),
            content_type: upload.content_type.clone(),
            blob_id: upload.blob_id,
            size: upload.offset,
            sha256: sha256.to_vec(),
        };
        let options = match upload.file_request_id {
            // Into a file request: the request owner's transfer, with their rules.
            Some(request) => request_transfer_options(&mut tx, request).await?,
            None => TransferOptions {
                owner_id: upload.owner_id,
                ..TransferOptions::new(
                    Utc::now() + chrono::Duration::days(i64::from(upload.max_days)),
                    upload.max_downloads,
                )
            },
        };
        let transfer = insert_transfer(
            &mut tx,
            &[file],
            &options,
            self.scan_new_files,
            self.default_quota,
        )
        .await?;
        sqlx::query!(
            "UPDATE uploads SET transfer_id = $2, completed_at = now() WHERE id = $1",
            id,
            transfer.id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(transfer))
    }

    /// Sends a draft: the completed draft uploads `ids` become the files of one new
    /// transfer (`unique_name` is called once per file, in order, and returns the name
    /// it gets — unique within the transfer). Uploads already sent, unknown
    /// or unfinished are left out; fails if none is left.
    pub async fn create_transfer_from_uploads(
        &self,
        ids: &[String],
        options: &TransferOptions,
        file_request: Option<Uuid>,
        mut unique_name: impl FnMut(String) -> String,
    ) -> Result<Option<Transfer>> {
        let mut tx = self.pg().begin().await?;
        struct Sendable {
            id: String,
            blob_id: Uuid,
            length: i64,
            filename: String,
            content_type: String,
            sha256: Option<Vec<u8>>,
        }
        let uploads = sqlx::query_as!(
            Sendable,
            r#"SELECT u.id, u.blob_id, u.length AS "length!", u.filename, u.content_type, b.sha256
             FROM uploads u JOIN blobs b ON b.id = u.blob_id
             WHERE u.id = ANY($1) AND u.draft AND u.completed_at IS NOT NULL AND u.transfer_id IS NULL
               AND u.file_request_id IS NOT DISTINCT FROM $2
             ORDER BY array_position($1, u.id) FOR UPDATE OF u"#,
            ids,
            file_request
        )
        .fetch_all(&mut *tx)
        .await?;
        if uploads.is_empty() {
            return Ok(None);
        }
        let mut files: Vec<NewFile> = Vec::with_capacity(uploads.len());
        for upload in &uploads {
            files.push(NewFile {
                name: unique_name(upload.filename.clone()),
                content_type: upload.content_type.clone(),
                blob_id: upload.blob_id,
                size: upload.length,
                sha256: upload.sha256.clone().unwrap_or_default(),
            });
        }
        let transfer = insert_transfer(
            &mut tx,
            &files,
            options,
            self.scan_new_files,
            self.default_quota,
        )
        .await?;
        let sent: Vec<String> = uploads.iter().map(|u| u.id.clone()).collect();
        sqlx::query!(
            "UPDATE uploads SET transfer_id = $2 WHERE id = ANY($1)",
            &sent,
            transfer.id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(transfer))
    }

    /// Completed draft uploads among `ids` not sent yet, in the given order.
    pub async fn draft_uploads(&self, ids: &[String]) -> Result<Vec<Upload>> {
        Ok(query_uploads!(
            ["WHERE u.id = ANY($1) AND u.draft AND u.transfer_id IS NULL
                   AND u.completed_at IS NOT NULL ORDER BY array_position($1, u.id)"],
            ids
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Frees unfinished uploads past their expiry, and draft and partial uploads never
    /// sent or concatenated by then (`batch` chunks per statement). Returns how many
    /// were removed.
    pub async fn abort_idle_uploads(&self, batch: i64) -> Result<u64> {
        let idle = sqlx::query!(
            "SELECT id, blob_id FROM uploads
             WHERE expires_at < now() AND transfer_id IS NULL
               AND (completed_at IS NULL OR draft OR concat = 'partial')
             ORDER BY expires_at LIMIT 1000"
        )
        .fetch_all(self.pg())
        .await?;
        for upload in &idle {
            let mut tx = self.pg().begin().await?;
            // Unless it became a transfer meanwhile.
            let Some(tombstones) = remove_upload(&mut tx, &upload.id, true).await? else {
                continue;
            };
            tx.commit().await?;
            for tombstone in tombstones {
                self.empty_tombstone(tombstone, batch).await?;
            }
        }
        Ok(idle.len() as u64)
    }

    /// Terminates an upload and frees its bytes unless a transfer holds them (a
    /// finished upload's transfer has a deletion token of its own). Returns whether it
    /// existed.
    pub async fn terminate_upload(&self, id: &str) -> Result<bool> {
        let mut tx = self.pg().begin().await?;
        let removed = remove_upload(&mut tx, id, false).await?;
        tx.commit().await?;
        let existed = removed.is_some();
        self.empty_tombstones_now(&removed.unwrap_or_default())
            .await;
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
        let refreshed: i64 = REFRESH
            .key(self.key(&format!("tus-lock:{id}")))
            .arg(holder)
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(refreshed == 1)
    }

    /// Releases `holder`'s lock on upload `id` (a no-op if it expired meanwhile).
    pub async fn unlock_upload(&self, id: &str, holder: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = RELEASE
            .key(self.key(&format!("tus-lock:{id}")))
            .arg(holder)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

/// Deletes upload `id` (only if no transfer was made of it, when `unsent_only`) and
/// condemns its blob if nothing else refers to it, the guarded way: the blob is freed
/// only if `unreferenced_blobs` says so in this transaction. Returns the tombstones to
/// empty once committed, or `None` if no such upload was deleted.
async fn remove_upload(
    tx: &mut sqlx::PgConnection,
    id: &str,
    unsent_only: bool,
) -> Result<Option<Vec<Uuid>>> {
    let Some(removed) = sqlx::query!(
        "DELETE FROM uploads WHERE id = $1 AND (transfer_id IS NULL OR NOT $2)
         RETURNING blob_id, transfer_id, file_request_id, request_bytes",
        id,
        unsent_only
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let blob_id = removed.blob_id;
    // An upload into a file request that never became a transfer gives back the file
    // and the bytes it was admitted with.
    if let (Some(request), None) = (removed.file_request_id, removed.transfer_id) {
        sqlx::query!(
            "UPDATE file_requests
             SET files_used = files_used - 1, bytes_used = bytes_used - $2
             WHERE id = $1",
            request,
            removed.request_bytes.unwrap_or(0)
        )
        .execute(&mut *tx)
        .await?;
    }
    let unused: Vec<Uuid> = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM unreferenced_blobs WHERE id = $1"#,
        blob_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let tombstones = condemn(&mut *tx, &unused, None).await?;
    sqlx::query!(
        "DELETE FROM blobs WHERE id = ANY($1) AND size >= 0",
        &unused
    )
    .execute(&mut *tx)
    .await?;
    Ok(Some(tombstones))
}

/// The options of a transfer that an upload into file request `request` becomes: the
/// request owner's, with the request's lifetime and download limit.
pub(crate) async fn request_transfer_options(
    tx: &mut sqlx::PgConnection,
    request: Uuid,
) -> Result<TransferOptions> {
    let rules = sqlx::query!(
        "SELECT owner_id, transfer_days, transfer_max_downloads FROM file_requests WHERE id = $1",
        request
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Corrupt(format!("file request {request} is gone")))?;
    let mut options = TransferOptions::new(
        Utc::now() + chrono::Duration::days(i64::from(rules.transfer_days)),
        rules.transfer_max_downloads,
    );
    options.owner_id = Some(rules.owner_id);
    options.file_request_id = Some(request);
    Ok(options)
}

//! File requests: a link through which others upload to a signed-in user.
//!
//! A request's limits hold across every web process by one conditional `UPDATE` on
//! its counters, made in the transaction that creates the upload it admits
//! ([`State::create_request_upload`]): `files_used` and `bytes_used` count every
//! upload admitted and not given back. An upload that never completes gives its file
//! and bytes back when its row is removed (`tus::remove_upload`: terminated, or swept
//! once idle); one that became a transfer keeps them. So 50 uploads racing into a
//! request that takes 10 files store exactly 10, on any number of processes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Result, State,
    transfer::new_token,
    tus::{NewUpload, Upload},
};

/// A file request as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FileRequest {
    /// Row id.
    pub id: Uuid,
    /// The link's token (`/r/{token}`).
    pub token: String,
    /// The user the files go to.
    pub owner_id: Uuid,
    /// What the owner asks for (shown to uploaders, as text).
    pub title: String,
    /// A longer note for the uploaders (as text; may be empty).
    pub message: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// No upload starts after it.
    pub expires_at: DateTime<Utc>,
    /// When the owner closed it.
    pub closed_at: Option<DateTime<Utc>>,
    /// Most files it takes.
    pub max_files: i32,
    /// Most bytes it takes, all files together.
    pub max_bytes: i64,
    /// Files admitted so far (in progress or arrived).
    pub files_used: i32,
    /// Bytes admitted so far (the declared lengths of those files).
    pub bytes_used: i64,
    /// argon2id hash of the password uploaders must give first, if any.
    pub password_hash: Option<String>,
    /// The owner's language when they made it (a `Locale` code).
    pub locale: String,
    /// Lifetime in days of each transfer the uploads become.
    pub transfer_days: i32,
    /// Download limit of those transfers, if any.
    pub transfer_max_downloads: Option<i32>,
}

impl FileRequest {
    /// Open: not closed and not expired, so uploads may start and continue.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && self.expires_at > now
    }

    /// Files it still takes.
    pub fn files_left(&self) -> i32 {
        (self.max_files - self.files_used).max(0)
    }

    /// Bytes it still takes.
    pub fn bytes_left(&self) -> i64 {
        (self.max_bytes - self.bytes_used).max(0)
    }
}

/// What the owner asks for when creating a request.
#[derive(Clone, Debug)]
pub struct NewFileRequest {
    /// The user the files go to.
    pub owner_id: Uuid,
    /// Title.
    pub title: String,
    /// Message (may be empty).
    pub message: String,
    /// When it stops taking uploads.
    pub expires_at: DateTime<Utc>,
    /// Most files.
    pub max_files: i32,
    /// Most bytes.
    pub max_bytes: i64,
    /// argon2id hash of the uploaders' password, if any.
    pub password_hash: Option<String>,
    /// The owner's language (a `Locale` code).
    pub locale: String,
    /// Lifetime in days of the transfers the uploads become.
    pub transfer_days: i32,
    /// Download limit of those transfers.
    pub transfer_max_downloads: Option<i32>,
}

/// Why a request did not admit an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No such request (or it was purged).
    Unknown,
    /// Closed by its owner, or expired.
    Closed,
    /// It takes no more files.
    NoFilesLeft,
    /// The file is larger than the bytes it still takes (this many).
    TooFewBytesLeft(i64),
}

/// `sqlx::query_as!` into [`FileRequest`]s; `$sql` (literals) follows `FROM file_requests`.
macro_rules! query_requests {
    ([$($sql:literal),+] $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            FileRequest,
            "SELECT id, token, owner_id, title, message, created_at, expires_at, closed_at,
                    max_files, max_bytes, files_used, bytes_used, password_hash, locale,
                    transfer_days, transfer_max_downloads
             FROM file_requests "
            $(+ $sql)+
            $(, $arg)*
        )
    };
}

impl State {
    /// Creates a request with a new random token.
    pub async fn create_file_request(&self, new: &NewFileRequest) -> Result<FileRequest> {
        let id = Uuid::new_v4();
        sqlx::query!(
            "INSERT INTO file_requests (id, token, owner_id, title, message, expires_at,
                 max_files, max_bytes, password_hash, locale, transfer_days, transfer_max_downloads)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            id,
            new_token(),
            new.owner_id,
            new.title,
            new.message,
            new.expires_at,
            new.max_files,
            new.max_bytes,
            new.password_hash.as_deref(),
            new.locale,
            new.transfer_days,
            new.transfer_max_downloads
        )
        .execute(self.pg())
        .await?;
        Ok(query_requests!(["WHERE id = $1"], id)
            .fetch_one(self.pg())
            .await?)
    }

    /// The request with link token `token`, open or not.
    pub async fn find_file_request(&self, token: &str) -> Result<Option<FileRequest>> {
        Ok(query_requests!(["WHERE token = $1"], token)
            .fetch_optional(self.pg())
            .await?)
    }

    /// The request with id `id`, open or not.
    pub async fn file_request_by_id(&self, id: Uuid) -> Result<Option<FileRequest>> {
        Ok(query_requests!(["WHERE id = $1"], id)
            .fetch_optional(self.pg())
            .await?)
    }

    /// `owner`'s requests, newest first (at most `limit`).
    pub async fn file_requests_of(&self, owner: Uuid, limit: i64) -> Result<Vec<FileRequest>> {
        Ok(query_requests!(
            ["WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2"],
            owner,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// How many requests `owner` has that are still open.
    pub async fn open_file_requests_of(&self, owner: Uuid) -> Result<i64> {
        Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM file_requests
               WHERE owner_id = $1 AND closed_at IS NULL AND expires_at > now()"#,
            owner
        )
        .fetch_one(self.pg())
        .await?)
    }

    /// Closes `owner`'s request `token`: from this statement on no upload starts or
    /// continues. Returns whether it was theirs (closing twice is harmless).
    pub async fn close_file_request(&self, token: &str, owner: Uuid) -> Result<bool> {
        let found = sqlx::query!(
            "UPDATE file_requests SET closed_at = COALESCE(closed_at, now())
             WHERE token = $1 AND owner_id = $2",
            token,
            owner
        )
        .execute(self.pg())
        .await?;
        Ok(found.rows_affected() == 1)
    }

    /// Creates an upload into request `request`, admitting it in the same
    /// transaction: one conditional `UPDATE` counts the file and its `bytes` (its
    /// declared length) only if the request is open and takes both. Refused: the
    /// reason, and nothing was created.
    pub async fn create_request_upload(
        &self,
        request: Uuid,
        bytes: i64,
        new: &NewUpload,
    ) -> Result<std::result::Result<Upload, Refusal>> {
        let mut tx = self.pg().begin().await?;
        let admitted = sqlx::query_scalar!(
            "UPDATE file_requests
             SET files_used = files_used + 1, bytes_used = bytes_used + $2
             WHERE id = $1 AND closed_at IS NULL AND expires_at > now()
               AND files_used < max_files AND bytes_used + $2 <= max_bytes
             RETURNING id",
            request,
            bytes
        )
        .fetch_optional(&mut *tx)
        .await?;
        if admitted.is_none() {
            drop(tx);
            let refusal = match self.file_request_by_id(request).await? {
                None => Refusal::Unknown,
                Some(found) if !found.is_open(Utc::now()) => Refusal::Closed,
                Some(found) if found.files_left() == 0 => Refusal::NoFilesLeft,
                Some(found) => Refusal::TooFewBytesLeft(found.bytes_left()),
            };
            return Ok(Err(refusal));
        }
        let id = self
            .insert_upload(&mut tx, new, Some((request, bytes)))
            .await?;
        tx.commit().await?;
        Ok(Ok(self.created_upload(&id).await?))
    }

    /// The request transfer `transfer` (id) arrived through, if any.
    pub async fn transfer_file_request(&self, transfer: Uuid) -> Result<Option<FileRequest>> {
        Ok(query_requests!(
            ["WHERE id = (SELECT file_request_id FROM transfers WHERE id = $1)"],
            transfer
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// The titles of the requests `transfers` (ids) arrived through, as
    /// (transfer id, title) pairs; transfers not from a request are left out.
    pub async fn request_titles(&self, transfers: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
        let rows = sqlx::query!(
            "SELECT t.id, r.title FROM transfers t JOIN file_requests r ON r.id = t.file_request_id
             WHERE t.id = ANY($1)",
            transfers
        )
        .fetch_all(self.pg())
        .await?;
        Ok(rows.into_iter().map(|row| (row.id, row.title)).collect())
    }

    /// Deletes requests that ended (expired or closed) more than `keep_days` days ago
    /// and have no unfinished upload left (the idle-upload sweep removes those first,
    /// giving their bytes back); their transfers stay, as the owner's. Returns how
    /// many were deleted.
    pub async fn purge_file_requests(&self, keep_days: i32) -> Result<u64> {
        let done = sqlx::query!(
            "DELETE FROM file_requests r
             WHERE LEAST(r.expires_at, COALESCE(r.closed_at, r.expires_at))
                   < now() - make_interval(days => $1)
               AND NOT EXISTS (SELECT 1 FROM uploads u
                               WHERE u.file_request_id = r.id AND u.transfer_id IS NULL)",
            keep_days
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected())
    }
}

impl State {
    /// The options of the transfer a sent draft of request `request` becomes (the
    /// owner's, with the request's rules).
    pub async fn file_request_transfer_options(
        &self,
        request: Uuid,
    ) -> Result<crate::transfer::TransferOptions> {
        let mut conn = self.pg().acquire().await?;
        crate::tus::request_transfer_options(&mut conn, request).await
    }
}

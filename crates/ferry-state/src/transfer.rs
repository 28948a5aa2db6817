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
//!
//! Where the rules live: every statement here is a sqlx macro, checked at compile time
//! against the schema (offline data in `crates/ferry-state/.sqlx`). The rules they
//! share are SQL functions defined once in the migration `*_repository_rules.sql`:
//! `transfer_is_live` (served to anyone with the token), `transfer_is_open` (neither
//! deleted nor expired: may be downloaded or resumed even when used up),
//! `transfer_is_used_up`, `resume_granted` (a live grant lets this client resume) and
//! `transfer_is_purgeable` (its bytes may go). The column lists of a transfer and a
//! file are written once, in the macros `query_transfer_rows!` and
//! `query_file_rows!` below.

use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use uuid::Uuid;

use crate::{Result, State, blobs::condemn};

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

/// What a resume is held to (see [`State::admit_download_at`]).
#[derive(Clone, Copy, Debug)]
pub struct ResumeRules {
    /// How long after a counted download its client may resume it (0: never).
    pub window: std::time::Duration,
    /// Resumes one counted download allows.
    pub max_resumes: i32,
    /// Bytes all resumes of one counted download may re-send from before its
    /// high-water mark (what the network lost in flight when it broke off).
    pub overlap: i64,
}

/// The right of one download stream to send a file's bytes: a grant's key and the
/// generation the stream was admitted under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The transfer.
    pub transfer_id: Uuid,
    /// The file.
    pub file_name: String,
    /// The client the grant was made to.
    pub client: String,
    /// The generation this stream holds.
    pub generation: i32,
}

/// The answer to [`State::claim_download_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The bytes may go.
    Cleared,
    /// A resume of the same counted download took the grant over (it continues from
    /// where this stream got to): this stream must stop.
    Resumed,
    /// A newer counted download by the same client restarted the grant (or it is
    /// gone); what this stream sends is no longer tracked under it.
    Restarted,
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
    /// The file request it arrived through, if any.
    pub file_request_id: Option<Uuid>,
}

impl TransferOptions {
    /// An anonymous, unprotected transfer.
    pub fn new(expires_at: DateTime<Utc>, max_downloads: Option<i32>) -> TransferOptions {
        TransferOptions {
            expires_at,
            max_downloads,
            password_hash: None,
            owner_id: None,
            file_request_id: None,
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
    /// Counted downloads of this file (an archive counts one for each file in it).
    pub downloads: i32,
    /// Where its malware scan stands.
    pub scan: Scan,
    /// The signature clamd found, when infected.
    pub scan_signature: Option<String>,
}

/// Where a file's malware scan stands (`files.scan`; see the scanning migration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Scan {
    /// Stored while scanning was off: never scanned, served as before.
    Off,
    /// Waiting for its scan.
    Pending,
    /// Scanned; clamd found nothing.
    Clean,
    /// Scanned; clamd found malware. Never served.
    Infected,
    /// Too big to be scanned (`SCAN_MAX_SIZE`, or clamd's `StreamMaxLength`).
    TooLarge,
}

/// Why a file may not be served, by [`StoredFile::blocked`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// clamd found malware in it.
    Infected,
    /// Its scan has not finished, and a finished scan is required.
    Pending,
    /// It could not be scanned (too large), and a finished scan is required.
    Unscanned,
}

impl StoredFile {
    /// Why this file may not be served, if it may not: an infected file never is;
    /// with `scan_required`, neither is a file whose scan has not finished or could
    /// not be done.
    pub fn blocked(&self, scan_required: bool) -> Option<Blocked> {
        match self.scan {
            Scan::Infected => Some(Blocked::Infected),
            Scan::Pending if scan_required => Some(Blocked::Pending),
            Scan::TooLarge if scan_required => Some(Blocked::Unscanned),
            Scan::Off | Scan::Pending | Scan::Clean | Scan::TooLarge => None,
        }
    }
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
    /// Download limit of each of its files, if any.
    pub max_downloads: Option<i32>,
    /// Counted downloads so far, of all its files and archives.
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
    /// Downloads left of the file with the most left, if limited: the transfer is
    /// served while this is above 0. (A limit counts per file; see
    /// [`Transfer::file_remaining_downloads`].)
    pub fn remaining_downloads(&self) -> Option<i32> {
        let max = self.max_downloads?;
        Some(
            self.files
                .iter()
                .map(|f| (max - f.downloads).max(0))
                .max()
                .unwrap_or(0),
        )
    }

    /// Downloads left of `file`, if limited.
    pub fn file_remaining_downloads(&self, file: &StoredFile) -> Option<i32> {
        self.max_downloads.map(|m| (m - file.downloads).max(0))
    }

    /// Downloads left of an archive of every file (the fewest any file has left), if
    /// limited.
    pub fn archive_remaining_downloads(&self) -> Option<i32> {
        let max = self.max_downloads?;
        Some(
            self.files
                .iter()
                .map(|f| (max - f.downloads).max(0))
                .min()
                .unwrap_or(0),
        )
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

/// `sqlx::query_as!` into [`TransferRow`]s: the statement is `$head`, the columns of a
/// transfer, then `$tail`. sqlx joins the literals at compile time, so the column list
/// is written once and every statement is still checked against the schema.
macro_rules! query_transfer_rows {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            TransferRow,
            $head
                + " id, token, deletion_token, created_at, expires_at, max_downloads, downloads, \
                   password_hash, owner_id, bundle_blob_id "
                + $tail
            $(, $arg)*
        )
    };
}

/// `sqlx::query_as!` into `$record`: `$head`, the columns of a [`StoredFile`], `$tail`
/// (see `query_transfer_rows!`).
macro_rules! query_file_rows {
    ($record:path, $head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $record,
            $head
                + " id, name, content_type, blob_id, size, sha256, ready, thumbnail_blob_id, downloads, \
                   scan AS \"scan: Scan\", scan_signature "
                + $tail
            $(, $arg)*
        )
    };
}

/// A transfer as an operator sees it (see [`State::transfer_status`]).
#[derive(Clone, Debug)]
pub struct TransferStatus {
    /// The transfer and its files.
    pub transfer: Transfer,
    /// Served to anyone with the link right now.
    pub live: bool,
    /// When it was deleted (by its uploader, its owner or an operator), if it was.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The signed-in uploader's e-mail address, if any.
    pub owner_email: Option<String>,
}

/// A [`StoredFile`] with the transfer it belongs to (to attach files to several
/// transfers with one query).
struct FileRow {
    transfer_id: Uuid,
    id: Uuid,
    name: String,
    content_type: String,
    blob_id: Uuid,
    size: i64,
    sha256: Vec<u8>,
    ready: bool,
    thumbnail_blob_id: Option<Uuid>,
    downloads: i32,
    scan: Scan,
    scan_signature: Option<String>,
}

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
        let transfer = insert_transfer(
            &mut tx,
            files,
            options,
            self.scan_new_files,
            self.default_quota,
        )
        .await?;
        tx.commit().await?;
        Ok(transfer)
    }

    /// The live transfer with share token `token`, with its files.
    pub async fn find_transfer(&self, token: &str) -> Result<Option<Transfer>> {
        let row = query_transfer_rows!(
            "SELECT",
            "FROM transfers WHERE token = $1 AND transfer_is_live(transfers)",
            token
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(self.with_files(row.into_iter().collect()).await?.pop())
    }

    /// Live transfers owned by `owner`, newest first (at most 200).
    /// Two queries however many there are: the transfers, then all their files.
    pub async fn transfers_of(&self, owner: Uuid) -> Result<Vec<Transfer>> {
        let rows = query_transfer_rows!(
            "SELECT",
            "FROM transfers WHERE owner_id = $1 AND transfer_is_live(transfers)
             ORDER BY created_at DESC LIMIT 200",
            owner
        )
        .fetch_all(self.pg())
        .await?;
        self.with_files(rows).await
    }

    /// The transfers of `rows` (in that order) with their files (in upload order):
    /// one query for all of them.
    async fn with_files(&self, rows: Vec<TransferRow>) -> Result<Vec<Transfer>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let files = query_file_rows!(
            FileRow,
            "SELECT transfer_id,",
            "FROM files WHERE transfer_id = ANY($1) ORDER BY position",
            &ids
        )
        .fetch_all(self.pg())
        .await?;
        let mut by_transfer: HashMap<Uuid, Vec<StoredFile>> = HashMap::with_capacity(rows.len());
        for file in files {
            by_transfer
                .entry(file.transfer_id)
                .or_default()
                .push(StoredFile {
                    id: file.id,
                    name: file.name,
                    content_type: file.content_type,
                    blob_id: file.blob_id,
                    size: file.size,
                    sha256: file.sha256,
                    ready: file.ready,
                    thumbnail_blob_id: file.thumbnail_blob_id,
                    downloads: file.downloads,
                    scan: file.scan,
                    scan_signature: file.scan_signature,
                });
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let files = by_transfer.remove(&row.id).unwrap_or_default();
                transfer_from(row, files)
            })
            .collect())
    }

    /// Admits a free preview of transfer `id` (one without a download limit): counts
    /// nothing, but stamps `last_download_at` as a download does, so the purge holds
    /// off while the preview streams. `false` when the transfer is no longer open
    /// (deleted, expired, or its purge has begun) or has a download limit, whose
    /// previews are downloads. One conditional statement, like the purge's own, so a
    /// preview and a purge never both proceed.
    pub async fn admit_free_preview(&self, id: Uuid) -> Result<bool> {
        let admitted = sqlx::query_scalar!(
            "UPDATE transfers SET last_download_at = now()
             WHERE id = $1 AND max_downloads IS NULL AND transfer_is_open(transfers)
             RETURNING id",
            id
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(admitted.is_some())
    }

    /// Counts one download of every file of transfer `id` (an archive of it) if the
    /// transfer is open and each file has a download left — all or none. Returns the
    /// downloads the archive has left afterwards (the fewest any file has; `Some(None)`
    /// when unlimited), or `None` when it may not be downloaded any more. The
    /// transfer's row is locked first, as [`State::admit_download`] does, so a limit
    /// holds against concurrent archives and single files alike, on any process.
    pub async fn claim_archive_download(&self, id: Uuid) -> Result<Option<Option<i32>>> {
        let mut tx = self.pg().begin().await?;
        let Some(max_downloads) = sqlx::query_scalar!(
            "SELECT max_downloads FROM transfers
             WHERE id = $1 AND transfer_is_open(transfers) FOR UPDATE",
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let most = sqlx::query_scalar!(
            r#"WITH counted AS (
                   UPDATE files SET downloads = downloads + 1
                   WHERE transfer_id = $1
                     AND NOT EXISTS (SELECT 1 FROM files g WHERE g.transfer_id = $1
                                       AND $2::int IS NOT NULL AND g.downloads >= $2::int)
                   RETURNING downloads)
               SELECT max(downloads) AS "most" FROM counted"#,
            id,
            max_downloads
        )
        .fetch_one(&mut *tx)
        .await?;
        let Some(most) = most else {
            return Ok(None);
        };
        // The row is locked (FOR UPDATE above): the notice is claimed once.
        let notice = sqlx::query_scalar!(
            r#"UPDATE transfers tr SET downloads = tr.downloads + 1, last_download_at = now(),
                      first_download_noticed = tr.first_download_noticed OR tr.notify_first_download
               FROM (SELECT first_download_noticed AS was FROM transfers WHERE id = $1) prev
               WHERE tr.id = $1
               RETURNING tr.notify_first_download AND NOT prev.was AS "notice!""#,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        if notice {
            self.enqueue_first_download_notice(id).await;
        }
        Ok(Some(max_downloads.map(|m| m - most)))
    }

    /// Admits one GET of file `file_name` of transfer `id` by `who` (see
    /// [`State::admit_download_at`]; a `resume` here starts at byte 0 and is held to
    /// no resume count or overlap).
    pub async fn admit_download(
        &self,
        id: Uuid,
        file_name: &str,
        who: Downloader<'_>,
        resume: bool,
        window: std::time::Duration,
    ) -> Result<Option<Admission>> {
        let rules = ResumeRules {
            window,
            max_resumes: i32::MAX,
            overlap: i64::MAX,
        };
        Ok(self
            .admit_download_at(id, file_name, who, resume.then_some(0), 0, rules)
            .await?
            .map(|(admission, _)| admission))
    }

    /// Admits one GET of file `file_name` of transfer `id` by `who`; `resume_from` is
    /// the first byte of a Range request, and `first_end` the end of the first piece
    /// the stream will send, which admission claims at once: a small file is wholly
    /// claimed before its headers go out, so a concurrent resume can never take over
    /// a stream that has not sent anything yet.
    ///
    /// A limit counts per file: each file of a `max_downloads` transfer may be
    /// downloaded that many times. A resume (a Range request) by a client that made
    /// a counted download of the same file less than `rules.window` ago — recognised
    /// by its address or by the resume secret it was given — is served without
    /// counting, as long as the transfer is neither deleted nor expired (even when that
    /// download used the file up), the grant has resumes left (`rules.max_resumes`),
    /// and the range starts at the grant's high-water mark or re-sends at most what is
    /// left of `rules.overlap` for the grant. Anything else counts one download of the
    /// file if it has one left, and (for a limited transfer) records a grant with a
    /// fresh resume secret. Both paths stamp `last_download_at`, which holds off the
    /// purge (see [`State::purgeable_transfers`]), and return the [`Grant`] the
    /// stream must claim its bytes under ([`State::claim_download_bytes`]). Each path
    /// is one conditional statement, so the limit holds across any number of web
    /// processes.
    pub async fn admit_download_at(
        &self,
        id: Uuid,
        file_name: &str,
        who: Downloader<'_>,
        resume_from: Option<i64>,
        first_end: i64,
        rules: ResumeRules,
    ) -> Result<Option<(Admission, Option<Grant>)>> {
        let seconds = rules.window.as_secs_f64();
        if let Some(start) = resume_from
            && seconds > 0.0
        {
            // The grant recognised by address first, else by secret; the UPDATE
            // re-checks every condition under the row's lock, so concurrent resumes
            // of one grant are admitted one after another, each a new generation.
            // The transfer's row is locked first, as a counted download locks it
            // before its grant: one order of locks, no deadlock between the two.
            let resumed = sqlx::query!(
                r#"WITH t AS (
                       SELECT id, max_downloads FROM transfers
                       WHERE id = $1 AND transfer_is_open(transfers) FOR UPDATE
                   ), target AS (
                       SELECT g.client FROM download_grants g
                       WHERE g.transfer_id = $1 AND g.file_name = $2
                         AND (g.client = $3 OR g.secret = $4) AND g.expires_at > now()
                       ORDER BY (g.client = $3) DESC LIMIT 1
                   ), resumed AS (
                       UPDATE download_grants g
                       SET resumes = g.resumes + 1, generation = g.generation + 1,
                           overlap = g.overlap + GREATEST(g.delivered - $5, 0),
                           delivered = GREATEST(g.delivered, $8)
                       FROM target, t
                       WHERE g.transfer_id = t.id AND g.file_name = $2
                         AND g.client = target.client AND g.expires_at > now()
                         AND g.resumes < $6
                         AND g.overlap + GREATEST(g.delivered - $5, 0) <= $7
                       RETURNING g.client, g.generation, t.max_downloads
                   ), stamped AS (
                       UPDATE transfers SET last_download_at = now()
                       WHERE id = $1 AND EXISTS (SELECT 1 FROM resumed)
                   )
                   SELECT client AS "client!", generation AS "generation!", max_downloads,
                          (SELECT f.downloads FROM files f
                           WHERE f.transfer_id = $1 AND f.name = $2) AS "downloads!"
                   FROM resumed"#,
                id,
                file_name,
                who.address,
                who.resume_secret,
                start,
                rules.max_resumes,
                rules.overlap,
                first_end
            )
            .fetch_optional(self.pg())
            .await?;
            if let Some(row) = resumed {
                let remaining = row.max_downloads.map(|m| (m - row.downloads).max(0));
                let grant = Grant {
                    transfer_id: id,
                    file_name: file_name.to_owned(),
                    client: row.client,
                    generation: row.generation,
                };
                return Ok(Some((Admission::Resumed(remaining), Some(grant))));
            }
        }
        let secret = new_token();
        // The transfer's row is locked (FOR UPDATE) before the file's is counted, as
        // in an archive's claim: one order of locks, and a limit that holds against
        // both. A new counted download by the same client restarts its grant: a new
        // generation (any older stream stops), nothing delivered, no resumes used.
        let claimed = sqlx::query!(
            r#"WITH claimed AS (
                   UPDATE files f SET downloads = f.downloads + 1
                   FROM (SELECT id, max_downloads FROM transfers
                         WHERE id = $1 AND transfer_is_open(transfers) FOR UPDATE) t
                   WHERE f.transfer_id = t.id AND f.name = $2
                     AND (t.max_downloads IS NULL OR f.downloads < t.max_downloads)
                   RETURNING t.id, t.max_downloads, f.downloads
               ), stamped AS (
                   -- `prev` reads the row as it was (this statement holds its lock), so
                   -- the first-download notice is claimed exactly once.
                   UPDATE transfers tr SET downloads = tr.downloads + 1, last_download_at = now(),
                          first_download_noticed = tr.first_download_noticed OR tr.notify_first_download
                   FROM (SELECT id, first_download_noticed AS was FROM transfers
                         WHERE id IN (SELECT id FROM claimed)) prev
                   WHERE tr.id = prev.id
                   RETURNING tr.notify_first_download AND NOT prev.was AS notice
               ), pruned AS (
                   DELETE FROM download_grants
                   WHERE transfer_id = $1 AND expires_at <= now()
                     AND NOT (file_name = $2 AND client = $3)
               ), granted AS (
                   INSERT INTO download_grants (transfer_id, file_name, client, expires_at, secret,
                                                delivered)
                   SELECT id, $2, $3, now() + $4::float8 * interval '1 second', $5, $6
                   FROM claimed
                   WHERE max_downloads IS NOT NULL AND $4::float8 > 0
                   ON CONFLICT (transfer_id, file_name, client)
                   DO UPDATE SET expires_at = EXCLUDED.expires_at, secret = EXCLUDED.secret,
                                 delivered = EXCLUDED.delivered, resumes = 0, overlap = 0,
                                 generation = download_grants.generation + 1
                   RETURNING generation
               )
               SELECT max_downloads, downloads AS "downloads!",
                      (SELECT generation FROM granted) AS generation,
                      coalesce((SELECT notice FROM stamped), false) AS "notice!"
               FROM claimed"#,
            id,
            file_name,
            who.address,
            seconds,
            secret,
            first_end
        )
        .fetch_optional(self.pg())
        .await?;
        if claimed.as_ref().is_some_and(|row| row.notice) {
            self.enqueue_first_download_notice(id).await;
        }
        Ok(claimed.map(|row| {
            let grant = row.generation.map(|generation| Grant {
                transfer_id: id,
                file_name: file_name.to_owned(),
                client: who.address.to_owned(),
                generation,
            });
            let admission = Admission::Counted {
                remaining: row.max_downloads.map(|m| m - row.downloads),
                resume_secret: grant.is_some().then_some(secret),
            };
            (admission, grant)
        }))
    }

    /// Clears the download under `grant` to send bytes up to `end` (exclusive),
    /// raising the grant's high-water mark, if `grant` is still the grant's newest
    /// stream; otherwise says who took it over (and the stream sends nothing more under
    /// it).
    pub async fn claim_download_bytes(&self, grant: &Grant, end: i64) -> Result<Claim> {
        let claimed = sqlx::query!(
            "UPDATE download_grants SET delivered = GREATEST(delivered, $5)
             WHERE transfer_id = $1 AND file_name = $2 AND client = $3 AND generation = $4",
            grant.transfer_id,
            grant.file_name,
            grant.client,
            grant.generation,
            end
        )
        .execute(self.pg())
        .await?;
        if claimed.rows_affected() == 1 {
            return Ok(Claim::Cleared);
        }
        // A counted download sets the generation and zeroes `resumes`; each resume adds
        // one to both. So `generation - resumes` names the counted download the grant
        // is on now, whatever resumes followed it. Read in a statement of its own: one
        // statement's snapshot can predate the write that made the UPDATE above miss
        // (it waited for that row's lock), and would then name this stream's own
        // download, stopping a stream that a newer counted download only restarted.
        let counted_generation = sqlx::query_scalar!(
            "SELECT generation - resumes FROM download_grants
             WHERE transfer_id = $1 AND file_name = $2 AND client = $3",
            grant.transfer_id,
            grant.file_name,
            grant.client
        )
        .fetch_optional(self.pg())
        .await?
        .flatten();
        Ok(if counted_generation == Some(grant.generation) {
            Claim::Resumed
        } else {
            Claim::Restarted
        })
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
        Ok(sqlx::query_scalar!(
            r#"SELECT resume_granted($1, $2, $3, $4) AS "granted!""#,
            id,
            file_name,
            who.address,
            who.resume_secret
        )
        .fetch_one(self.pg())
        .await?)
    }

    /// The transfer with share token `token` if it is neither deleted nor expired, even
    /// when its downloads are used up (a resume may still be admitted; see
    /// [`State::admit_download`]).
    pub async fn find_transfer_to_download(&self, token: &str) -> Result<Option<Transfer>> {
        let row = query_transfer_rows!(
            "SELECT",
            "FROM transfers WHERE token = $1 AND transfer_is_open(transfers)",
            token
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(self.with_files(row.into_iter().collect()).await?.pop())
    }

    /// Marks the transfer `token` deleted if `deletion_token` matches. Readers see it
    /// gone at once; returns its id, for the purge job to free the bytes.
    pub async fn delete_transfer(&self, token: &str, deletion_token: &str) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar!(
            "UPDATE transfers SET deleted_at = now()
             WHERE token = $1 AND deletion_token = $2 AND deleted_at IS NULL RETURNING id",
            token,
            deletion_token
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Transfer `token` whatever its state (live, expired, used up or deleted but not
    /// yet purged), with what an operator needs to judge it.
    pub async fn transfer_status(&self, token: &str) -> Result<Option<TransferStatus>> {
        let row = query_transfer_rows!("SELECT", "FROM transfers WHERE token = $1", token)
            .fetch_optional(self.pg())
            .await?;
        let Some(transfer) = self.with_files(row.into_iter().collect()).await?.pop() else {
            return Ok(None);
        };
        let status = sqlx::query!(
            r#"SELECT t.deleted_at, transfer_is_live(t) AS "live!", u.email AS "owner_email?"
               FROM transfers t LEFT JOIN users u ON u.id = t.owner_id WHERE t.id = $1"#,
            transfer.id
        )
        .fetch_one(self.pg())
        .await?;
        Ok(Some(TransferStatus {
            transfer,
            live: status.live,
            deleted_at: status.deleted_at,
            owner_email: status.owner_email,
        }))
    }

    /// Marks the transfer `token` deleted whatever its state: an operator's takedown.
    /// Readers see it gone at once; returns its id, to purge.
    pub async fn take_down_transfer(&self, token: &str) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar!(
            "UPDATE transfers SET deleted_at = coalesce(deleted_at, now())
             WHERE token = $1 RETURNING id",
            token
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Marks the transfer `token` deleted if `owner` owns it; returns its id.
    pub async fn delete_owned_transfer(&self, token: &str, owner: Uuid) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar!(
            "UPDATE transfers SET deleted_at = now()
             WHERE token = $1 AND owner_id = $2 AND deleted_at IS NULL RETURNING id",
            token,
            owner
        )
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
        Ok(sqlx::query_scalar!(
            "SELECT id FROM transfers WHERE transfer_is_purgeable(transfers, $2)
             ORDER BY expires_at LIMIT $1",
            limit,
            grace.as_secs_f64()
        )
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
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM transfers WHERE id = $1) AS "exists!""#,
            id
        )
        .fetch_one(self.pg())
        .await?;
        if !exists {
            return Ok(true);
        }
        let doomed = sqlx::query_scalar!(
            "UPDATE transfers SET deleted_at = coalesce(deleted_at, now())
             WHERE id = $1 AND transfer_is_purgeable(transfers, $2) RETURNING id",
            id,
            grace.as_secs_f64()
        )
        .fetch_optional(self.pg())
        .await?;
        if doomed.is_none() {
            return Ok(false);
        }
        let blobs: Vec<Uuid> = sqlx::query_scalar!(
            r#"SELECT blob_id AS "blob_id!" FROM files WHERE transfer_id = $1
               UNION SELECT thumbnail_blob_id FROM files WHERE transfer_id = $1 AND thumbnail_blob_id IS NOT NULL
               UNION SELECT bundle_blob_id FROM transfers WHERE id = $1 AND bundle_blob_id IS NOT NULL"#,
            id
        )
        .fetch_all(self.pg())
        .await?;
        let mut tx = self.pg().begin().await?;
        sqlx::query!(
            "DELETE FROM uploads WHERE transfer_id = $1 OR blob_id = ANY($2)",
            id,
            &blobs
        )
        .execute(&mut *tx)
        .await?;
        // Its owner's quota gets its bytes back with the row.
        sqlx::query!(
            "UPDATE users u SET used_bytes = greatest(u.used_bytes - t.quota_charged, 0)
             FROM transfers t WHERE t.id = $1 AND u.id = t.owner_id",
            id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM transfers WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        let tombstones = condemn(&mut tx, &blobs, None).await?;
        sqlx::query!("DELETE FROM blobs WHERE id = ANY($1) AND size >= 0", &blobs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        for tombstone in tombstones {
            self.empty_tombstone(tombstone, batch).await?;
        }
        Ok(true)
    }

    /// Deletes the chunks of `blobs`, at most `batch` rows per statement.
    pub(crate) async fn delete_chunks_in_batches(&self, blobs: &[Uuid], batch: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let done = sqlx::query!(
                r#"DELETE FROM blob_chunks WHERE (blob_id, "offset") IN (
                       SELECT blob_id, "offset" FROM blob_chunks WHERE blob_id = ANY($1) LIMIT $2)"#,
                blobs,
                batch
            )
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
        Ok(sqlx::query_scalar!(
            "SELECT f.id FROM files f JOIN transfers t ON t.id = f.transfer_id
             WHERE NOT f.ready AND f.created_at < now() - $1::interval AND t.deleted_at IS NULL
             ORDER BY f.created_at LIMIT $2",
            // An interval: encoded as `chrono::Duration` is, exactly as before.
            older_than as _,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// The file `id` (whatever its transfer's state), for the worker.
    pub async fn file_by_id(&self, id: Uuid) -> Result<Option<StoredFile>> {
        Ok(
            query_file_rows!(StoredFile, "SELECT", "FROM files WHERE id = $1", id)
                .fetch_optional(self.pg())
                .await?,
        )
    }

    /// Records the worker's results for file `id` and marks it ready. A thumbnail made
    /// by a duplicate run is dropped (returns `false`) so no blob leaks.
    pub async fn mark_file_ready(
        &self,
        id: Uuid,
        content_type: &str,
        thumbnail: Option<Uuid>,
    ) -> Result<bool> {
        let updated = sqlx::query!(
            "UPDATE files SET ready = true, verified_at = now(), content_type = $2,
                    thumbnail_blob_id = coalesce(thumbnail_blob_id, $3)
             WHERE id = $1 AND (thumbnail_blob_id IS NULL OR $3::uuid IS NULL)",
            id,
            content_type,
            thumbnail
        )
        .execute(self.pg())
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// The transfer `id` if live (for the worker).
    pub async fn live_transfer_by_id(&self, id: Uuid) -> Result<Option<Transfer>> {
        let row = query_transfer_rows!(
            "SELECT",
            "FROM transfers WHERE id = $1 AND transfer_is_live(transfers)",
            id
        )
        .fetch_optional(self.pg())
        .await?;
        Ok(self.with_files(row.into_iter().collect()).await?.pop())
    }

    /// Attaches a built zip to transfer `id`, unless one is attached already (then the
    /// caller's blob is deleted and `false` returned).
    pub async fn attach_bundle(&self, id: Uuid, blob: Uuid) -> Result<bool> {
        let updated = sqlx::query!(
            "UPDATE transfers SET bundle_blob_id = $2 WHERE id = $1 AND bundle_blob_id IS NULL",
            id,
            blob
        )
        .execute(self.pg())
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(true);
        }
        self.delete_chunks_in_batches(&[blob], 1000).await?;
        self.delete_blobs(&[blob]).await?;
        Ok(false)
    }

    /// Recomputes the usage row of the hour starting at `hour` (idempotent).
    pub async fn roll_up_usage(&self, hour: DateTime<Utc>) -> Result<()> {
        sqlx::query!(
            "INSERT INTO usage_hourly (hour, transfers, files, bytes)
             SELECT $1, count(DISTINCT t.id), count(f.id), coalesce(sum(f.size), 0)
             FROM transfers t LEFT JOIN files f ON f.transfer_id = t.id
             WHERE t.created_at >= $1 AND t.created_at < $1 + interval '1 hour'
             ON CONFLICT (hour) DO UPDATE SET transfers = EXCLUDED.transfers,
                 files = EXCLUDED.files, bytes = EXCLUDED.bytes, computed_at = now()",
            hour
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }
}

/// Inserts a transfer of `files` in `tx` (each file waiting for a malware scan when
/// `scan`). A transfer with an owner is charged to their storage quota (theirs, else
/// `default_quota`; neither: counted, never refused) in the same transaction:
/// [`crate::Error::QuotaExceeded`] when it does not fit.
pub(crate) async fn insert_transfer(
    tx: &mut sqlx::PgConnection,
    files: &[NewFile],
    options: &TransferOptions,
    scan: bool,
    default_quota: Option<i64>,
) -> Result<Transfer> {
    let bytes: i64 = files.iter().map(|f| f.size).sum();
    let charged = match options.owner_id {
        Some(owner) => {
            charge_quota(&mut *tx, owner, bytes, default_quota).await?;
            bytes
        }
        None => 0,
    };
    let row = query_transfer_rows!(
        "INSERT INTO transfers (id, token, deletion_token, expires_at, max_downloads, password_hash,
                                owner_id, file_request_id, quota_charged)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING",
        "",
        Uuid::new_v4(),
        new_token(),
        new_token(),
        options.expires_at,
        options.max_downloads,
        options.password_hash.as_deref(),
        options.owner_id,
        options.file_request_id,
        charged
    )
    .fetch_one(&mut *tx)
    .await?;
    // All files in one statement (their position is their index in `files`).
    let stored: Vec<StoredFile> = files
        .iter()
        .map(|file| StoredFile {
            id: Uuid::new_v4(),
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            blob_id: file.blob_id,
            size: file.size,
            sha256: file.sha256.clone(),
            ready: false,
            thumbnail_blob_id: None,
            downloads: 0,
            scan: if scan { Scan::Pending } else { Scan::Off },
            scan_signature: None,
        })
        .collect();
    if stored.is_empty() {
        return Ok(transfer_from(row, stored));
    }
    let ids: Vec<Uuid> = stored.iter().map(|f| f.id).collect();
    let names: Vec<String> = stored.iter().map(|f| f.name.clone()).collect();
    let content_types: Vec<String> = stored.iter().map(|f| f.content_type.clone()).collect();
    let blob_ids: Vec<Uuid> = stored.iter().map(|f| f.blob_id).collect();
    let sizes: Vec<i64> = stored.iter().map(|f| f.size).collect();
    let hashes: Vec<Vec<u8>> = stored.iter().map(|f| f.sha256.clone()).collect();
    sqlx::query!(
        "INSERT INTO files (id, transfer_id, name, content_type, blob_id, size, sha256, position, scan)
         SELECT f.id, $1, f.name, f.content_type, f.blob_id, f.size, f.sha256,
                (f.position - 1)::int, CASE WHEN $8 THEN 'pending' ELSE 'off' END
         FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int8[], $7::bytea[])
              WITH ORDINALITY AS f (id, name, content_type, blob_id, size, sha256, position)",
        row.id,
        &ids,
        &names,
        &content_types,
        &blob_ids,
        &sizes,
        &hashes,
        scan
    )
    .execute(&mut *tx)
    .await?;
    Ok(transfer_from(row, stored))
}

/// Adds `bytes` to `owner`'s used storage if it stays within their quota.
async fn charge_quota(
    tx: &mut sqlx::PgConnection,
    owner: Uuid,
    bytes: i64,
    default_quota: Option<i64>,
) -> Result<()> {
    let charged = sqlx::query_scalar!(
        "UPDATE users SET used_bytes = used_bytes + $2
         WHERE id = $1
           AND (coalesce(quota_bytes, $3) IS NULL OR used_bytes + $2 <= coalesce(quota_bytes, $3))
         RETURNING used_bytes",
        owner,
        bytes,
        default_quota
    )
    .fetch_optional(&mut *tx)
    .await?;
    if charged.is_some() {
        return Ok(());
    }
    let left = sqlx::query_scalar!(
        r#"SELECT greatest(coalesce(quota_bytes, $2) - used_bytes, 0) AS "left!"
           FROM users WHERE id = $1"#,
        owner,
        default_quota
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(0);
    Err(crate::Error::QuotaExceeded {
        left,
        wanted: bytes,
    })
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

/// One transfer in the admin page's search.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct TransferHit {
    /// Share token.
    pub token: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops being served.
    pub expires_at: DateTime<Utc>,
    /// Whether it is served now.
    pub live: bool,
    /// Its owner's address, if it has one.
    pub owner_email: Option<String>,
    /// Its files' names, in order.
    pub names: String,
    /// Its files' bytes.
    pub size: i64,
}

impl State {
    /// Transfers not deleted whose token is `query`, or one of whose files' names or
    /// whose owner's address contains it (all when empty), newest first, at most
    /// `limit`. Names are matched without regard to case, by a scan: an operator's
    /// search, not a public one.
    pub async fn search_transfers(&self, query: &str, limit: i64) -> Result<Vec<TransferHit>> {
        Ok(sqlx::query_as!(
            TransferHit,
            r#"SELECT t.token, t.created_at, t.expires_at, transfer_is_live(t) AS "live!",
                      u.email AS "owner_email?",
                      coalesce((SELECT string_agg(f.name, ', ' ORDER BY f.position)
                                FROM files f WHERE f.transfer_id = t.id), '') AS "names!",
                      coalesce((SELECT sum(f.size) FROM files f WHERE f.transfer_id = t.id), 0)::int8 AS "size!"
               FROM transfers t LEFT JOIN users u ON u.id = t.owner_id
               WHERE t.deleted_at IS NULL
                 AND ($1 = '' OR t.token = $1 OR strpos(u.email, lower($1)) > 0
                      OR EXISTS (SELECT 1 FROM files f WHERE f.transfer_id = t.id
                                 AND strpos(lower(f.name), lower($1)) > 0))
               ORDER BY t.created_at DESC LIMIT $2"#,
            query,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }
}

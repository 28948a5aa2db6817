//! The Postgres blob store: file bytes in Postgres, as chunks, streamed in and out.
//! Everything outside this crate reaches these functions through the `BlobStore` port
//! (`blob_store.rs`), whose first adapter they are.
//!
//! Why Postgres and chunks: every web process must be able to serve every byte, with no
//! local disk, and a file must never be half-visible. Fixed-size chunks (1 MiB — the
//! size measured in docs/benchmarks.md) keep memory per upload or download at about one
//! chunk, let a Range request start at the right chunk, and let a resumable upload
//! commit what it has received chunk by chunk.
//!
//! The durable length of a blob is `blobs.size`: bytes `[0, size)` are committed, and
//! `size` only moves forward in the same statement that inserts the chunk ending
//! there, and only if it still equals the chunk's offset. So two writers can never
//! interleave, and a writer killed mid-chunk leaves at worst a chunk at or past `size`,
//! which is never read and is discarded by the next write. The SHA-256 state over
//! `[0, size)` is stored with it, so hashing survives a resume on another process.
//!
//! Every statement is a sqlx macro checked at compile time. Which blobs nothing refers
//! to — the orphan sweep's rule — is the view `unreferenced_blobs`, defined once in the
//! migration `*_repository_rules.sql`.

use bytes::Bytes;
use futures::Stream;
use sha2::{
    Digest, Sha256,
    digest::common::hazmat::{SerializableState, SerializedState},
};
use uuid::Uuid;

use crate::{Error, Result, State, StoreKind, blob_store::Location};

/// Default size of a full chunk (`BLOB_CHUNK_SIZE`). The last chunk of a blob, and
/// chunks written by small resumable-upload requests, may be shorter; readers do not
/// depend on the size, so it can be changed at any time.
pub const CHUNK_SIZE: usize = 1024 * 1024;

/// Most bytes one read query returns (and one item of a download stream holds).
const READ_PIECE: i64 = 1024 * 1024;

/// Read queries one download keeps in flight: the piece being fetched next while the
/// one before is written to the socket.
const READ_AHEAD: usize = 2;

/// Committed state of a blob.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BlobState {
    /// Bytes committed so far.
    pub size: i64,
    /// Hash state over the committed bytes (while the blob is being written).
    pub hash_state: Option<Vec<u8>>,
    /// Final SHA-256, once the blob is finished.
    pub sha256: Option<Vec<u8>>,
}

/// A SHA-256 computation that can be saved with the blob and resumed elsewhere.
#[derive(Clone, Default)]
pub struct StreamHash(Sha256);

impl StreamHash {
    /// Resumes from a saved state (or starts fresh on `None`).
    pub fn resume(saved: Option<&[u8]>) -> Result<StreamHash> {
        match saved {
            None => Ok(StreamHash::default()),
            Some(bytes) => {
                let state = SerializedState::<Sha256>::try_from(bytes)
                    .map_err(|_| Error::Corrupt("saved hash state has the wrong size".into()))?;
                Sha256::deserialize(&state)
                    .map(StreamHash)
                    .map_err(|_| Error::Corrupt("saved hash state is invalid".into()))
            }
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The state to save with the committed bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        self.0.serialize().as_slice().to_vec()
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl State {
    /// Creates an empty blob in the store new blobs go to.
    pub(crate) async fn create_blob(&self) -> Result<Uuid> {
        let id = Uuid::new_v4();
        let mut conn = self.pg().acquire().await?;
        self.insert_blob(&mut conn, id).await?;
        Ok(id)
    }

    /// Inserts the row of new, empty blob `id`, kept in the store new blobs go to.
    pub(crate) async fn insert_blob(&self, conn: &mut sqlx::PgConnection, id: Uuid) -> Result<()> {
        let prefix = match self.new_blobs {
            StoreKind::Postgres => None,
            StoreKind::S3 => Some(crate::s3::new_prefix(id)),
        };
        sqlx::query!(
            "INSERT INTO blobs (id, store, s3_prefix) VALUES ($1, $2, $3)",
            id,
            self.new_blobs.as_str(),
            prefix
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// The committed state of blob `id`.
    pub(crate) async fn blob_state(&self, id: Uuid) -> Result<Option<BlobState>> {
        Ok(sqlx::query_as!(
            BlobState,
            "SELECT size, hash_state, sha256 FROM blobs WHERE id = $1",
            id
        )
        .fetch_optional(self.pg())
        .await?)
    }

    /// Removes chunks at or past `size` left by an interrupted or rejected write.
    pub(crate) async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64> {
        let done = sqlx::query!(
            r#"DELETE FROM blob_chunks WHERE blob_id = $1 AND "offset" >= $2"#,
            id,
            size
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected())
    }

    /// Writes `data` at `offset` and commits it, atomically, iff the blob's committed
    /// size is `offset`. Returns `false` (and writes nothing) otherwise.
    ///
    /// One statement (one round trip): the size moves and the chunk lands together or
    /// not at all, which is what the transaction around two statements gave, at a
    /// quarter of the round trips per chunk.
    pub(crate) async fn append_chunk(
        &self,
        id: Uuid,
        offset: i64,
        data: &[u8],
        hash_state: &[u8],
    ) -> Result<bool> {
        let done = sqlx::query!(
            r#"WITH moved AS (
                   UPDATE blobs SET size = size + $3, hash_state = $4, touched_at = now()
                   WHERE id = $1 AND size = $2 AND store = 'postgres' RETURNING id)
               INSERT INTO blob_chunks (blob_id, "offset", len, data)
               SELECT id, $2, $3::int, $5 FROM moved"#,
            id,
            offset,
            data.len() as i64,
            hash_state,
            data
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes `data` at `offset` without committing it (see [`State::commit_staged`]);
    /// used when a request's bytes must be verified before they count.
    pub(crate) async fn stage_chunk(&self, id: Uuid, offset: i64, data: &[u8]) -> Result<()> {
        let mut conn = self.pg().acquire().await?;
        insert_chunk(&mut conn, id, offset, data).await
    }

    /// Commits staged bytes `[from, to)` iff the committed size is still `from`.
    pub(crate) async fn commit_staged(
        &self,
        id: Uuid,
        from: i64,
        to: i64,
        hash_state: &[u8],
    ) -> Result<bool> {
        let done = sqlx::query!(
            "UPDATE blobs SET size = $3, hash_state = $4, touched_at = now()
                 WHERE id = $1 AND size = $2 AND store = 'postgres'",
            id,
            from,
            to,
            hash_state
        )
        .execute(self.pg())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Seals a fully written blob with its SHA-256.
    pub(crate) async fn finish_blob(&self, id: Uuid, sha256: &[u8]) -> Result<()> {
        sqlx::query!(
            "UPDATE blobs SET sha256 = $2, hash_state = NULL, touched_at = now() WHERE id = $1",
            id,
            sha256
        )
        .execute(self.pg())
        .await?;
        Ok(())
    }

    /// Which store holds blob `id`, if it exists.
    pub(crate) async fn blob_store_kind(&self, id: Uuid) -> Result<Option<StoreKind>> {
        let store = sqlx::query_scalar!("SELECT store FROM blobs WHERE id = $1 AND size >= 0", id)
            .fetch_optional(self.pg())
            .await?;
        store
            .map(|name| {
                StoreKind::parse(&name)
                    .ok_or_else(|| Error::Corrupt(format!("blob {id} is in unknown store {name}")))
            })
            .transpose()
    }

    /// Where to read blob `id` from now.
    pub(crate) async fn blob_location(&self, id: Uuid) -> Result<Location> {
        let row = sqlx::query!(
            "SELECT store, s3_object FROM blobs WHERE id = $1 AND size >= 0",
            id
        )
        .fetch_optional(self.pg())
        .await?
        .ok_or_else(|| Error::Corrupt(format!("blob {id} does not exist")))?;
        Ok(match (row.store.as_str(), row.s3_object) {
            ("s3", Some(object)) => Location::S3(object),
            ("s3", None) => Location::S3Unsealed,
            _ => Location::Postgres,
        })
    }

    /// Deletes blobs `ids` and their bytes, whatever they hold and wherever they are:
    /// condemned in one transaction (see [`condemn`]), their bytes deleted after.
    pub(crate) async fn delete_blobs(&self, ids: &[Uuid]) -> Result<()> {
        let mut tx = self.pg().begin().await?;
        let tombstones = condemn(&mut tx, ids, None).await?;
        sqlx::query!("DELETE FROM blobs WHERE id = ANY($1) AND size >= 0", ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.empty_tombstones_now(&tombstones).await;
        Ok(())
    }

    /// Streams bytes `[start, end)` of blob `id`, at most [`READ_PIECE`] per item. One
    /// query finds the chunks that hold the range; then each piece is fetched by its
    /// chunk's key (a whole chunk as stored, part of one with `substring()`), with the
    /// next [`READ_AHEAD`] − 1 fetches in flight while the current piece is being
    /// sent, so the socket and Postgres work at the same time. Memory held: at most
    /// `READ_AHEAD` pieces plus the one being sent. The range must lie within the
    /// blob's committed size.
    pub(crate) fn read_blob(
        &self,
        id: Uuid,
        start: i64,
        end: i64,
    ) -> impl Stream<Item = Result<Bytes>> + use<> {
        use futures::{StreamExt, TryStreamExt};
        let state = self.clone();
        let pieces = async move {
            if start >= end {
                return Ok((state, Vec::new()));
            }
            // From the chunk holding `start` (one index probe), not from the blob's
            // first chunk: a Range near the end of a large blob reads few rows.
            let chunks = sqlx::query!(
                r#"SELECT "offset", len FROM blob_chunks
                   WHERE blob_id = $1 AND "offset" < $3 AND "offset" + len > $2
                     AND "offset" >= COALESCE((SELECT max("offset") FROM blob_chunks
                                               WHERE blob_id = $1 AND "offset" <= $2), 0)
                   ORDER BY "offset""#,
                id,
                start,
                end
            )
            .fetch_all(state.pg())
            .await?;
            let mut pieces = Vec::new();
            let mut pos = start;
            for chunk in chunks {
                let chunk_end = chunk.offset + i64::from(chunk.len);
                if chunk.offset > pos {
                    break; // a gap: reported below
                }
                while pos < chunk_end.min(end) {
                    let to = chunk_end.min(end).min(pos + READ_PIECE);
                    pieces.push(Piece {
                        chunk: chunk.offset,
                        from: pos,
                        to,
                        whole: pos == chunk.offset && to == chunk_end,
                    });
                    pos = to;
                }
            }
            if pos < end {
                return Err(Error::Corrupt(format!(
                    "blob {id} has no bytes at offset {pos}"
                )));
            }
            Ok((state, pieces))
        };
        futures::stream::once(pieces)
            .map_ok(move |(state, pieces)| {
                futures::stream::iter(pieces)
                    .map(move |piece| fetch_piece(state.clone(), id, piece))
                    .buffered(READ_AHEAD)
            })
            .try_flatten()
    }
}

/// Part of one chunk of a blob, to fetch by the chunk's key.
struct Piece {
    /// The chunk's offset in the blob.
    chunk: i64,
    /// Blob offsets `[from, to)` wanted from it.
    from: i64,
    to: i64,
    /// The whole chunk: no `substring()` needed.
    whole: bool,
}

async fn fetch_piece(state: State, id: Uuid, piece: Piece) -> Result<Bytes> {
    let data = if piece.whole {
        sqlx::query_scalar!(
            r#"SELECT data FROM blob_chunks WHERE blob_id = $1 AND "offset" = $2"#,
            id,
            piece.chunk
        )
        .fetch_optional(state.pg())
        .await?
    } else {
        sqlx::query_scalar!(
            r#"SELECT substring(data FROM ($3 - "offset" + 1)::int FOR $4) AS "data!"
               FROM blob_chunks WHERE blob_id = $1 AND "offset" = $2"#,
            id,
            piece.chunk,
            piece.from,
            (piece.to - piece.from) as i32
        )
        .fetch_optional(state.pg())
        .await?
    };
    match data {
        Some(data) if data.len() as i64 == piece.to - piece.from => Ok(Bytes::from(data)),
        _ => Err(Error::Corrupt(format!(
            "blob {id} has no bytes at offset {}",
            piece.from
        ))),
    }
}

pub(crate) async fn insert_chunk(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    offset: i64,
    data: &[u8],
) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO blob_chunks (blob_id, "offset", len, data) VALUES ($1, $2, $3, $4)"#,
        id,
        offset,
        data.len() as i32,
        data
    )
    .execute(conn)
    .await?;
    Ok(())
}

// Every place a row may point at a blob is listed once, in the view
// `unreferenced_blobs` (migration `*_repository_rules.sql`). The orphan sweep frees a
// blob only when none does; a column added elsewhere that references `blobs` must be
// added there (the adversarial test `retention` compares it with the schema's foreign
// keys).

/// Marks a condemned blob: its row exists only to hold chunks until they are deleted.
/// No writer can commit to it (`size` never equals an offset) and nothing refers to it.
const CONDEMNED_SIZE: i64 = -1;

impl State {
    /// Blobs no row refers to whose bytes have not moved for `age` — left by a process
    /// killed mid-upload or mid-bundle — oldest first, at most `limit`.
    pub(crate) async fn orphan_blobs(
        &self,
        age: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM unreferenced_blobs
               WHERE size >= 0 AND touched_at < now() - $1::interval
               ORDER BY touched_at LIMIT $2"#,
            // An interval: encoded as `std::time::Duration` is, exactly as before.
            age as _,
            limit
        )
        .fetch_all(self.pg())
        .await?)
    }

    /// Frees blob `id` if it is still an orphan (see [`State::orphan_blobs`]); returns
    /// the chunks freed, or `None` when it is not an orphan (any more).
    ///
    /// Guarantee: a blob is only freed in a transaction that sees no reference to it and
    /// no recent write, and that transaction removes its row, so from then on the
    /// foreign keys refuse any new reference and the conditional size update refuses
    /// any write; a reference that raced in makes the transaction fail and the blob
    /// stays. Its chunks move to a condemned tombstone row in that transaction (only
    /// their keys change: the bytes, stored out of line, are not copied) and are
    /// deleted afterwards `batch` at a time, so freeing a 10 GiB orphan is not one
    /// 10 GiB transaction.
    pub async fn reclaim_orphan_blob(
        &self,
        id: Uuid,
        age: std::time::Duration,
        batch: i64,
    ) -> Result<Option<u64>> {
        let mut tx = self.pg().begin().await?;
        let orphan = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM unreferenced_blobs
               WHERE id = $1 AND size >= 0 AND touched_at < now() - $2::interval
               FOR UPDATE SKIP LOCKED"#,
            id,
            age as _
        )
        .fetch_optional(&mut *tx)
        .await?;
        if orphan.is_none() {
            return Ok(None);
        }
        let tombstones = condemn(&mut tx, &[id], None).await?;
        let removed = sqlx::query!("DELETE FROM blobs WHERE id = $1", id)
            .execute(&mut *tx)
            .await;
        match removed {
            Ok(_) => {}
            // A reference committed after our check: the blob is in use after all.
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        let mut freed = 0;
        for tombstone in tombstones {
            freed += self.empty_tombstone(tombstone, batch).await?;
        }
        Ok(Some(freed))
    }

    /// Finishes freeing condemned blobs (left by a sweep that was interrupted);
    /// returns the chunks freed.
    pub async fn empty_tombstones(&self, batch: i64) -> Result<u64> {
        let tombstones = sqlx::query_scalar!(
            "SELECT id FROM blobs
             WHERE size = $1 AND (condemned_after IS NULL OR condemned_after <= now())
             ORDER BY condemned_after NULLS FIRST LIMIT 1000",
            CONDEMNED_SIZE
        )
        .fetch_all(self.pg())
        .await?;
        let mut freed = 0;
        for tombstone in tombstones {
            // One that cannot be emptied now (the bucket is down) must not stop the
            // others; it stays for the next sweep.
            match self.empty_tombstone(tombstone, batch).await {
                Ok(n) => freed += n,
                Err(e) => {
                    tracing::warn!(error = %e, "could not free deleted bytes; the next sweep retries")
                }
            }
        }
        Ok(freed)
    }

    /// Empties tombstones just made, now, so deleted bytes do not wait for the sweep;
    /// one that fails is left to the sweep, which retries it.
    pub(crate) async fn empty_tombstones_now(&self, tombstones: &[Uuid]) {
        for &tombstone in tombstones {
            if let Err(e) = self.empty_tombstone(tombstone, 1000).await {
                tracing::warn!(error = %e, "could not free deleted bytes yet; the retention sweep will");
            }
        }
    }

    /// Deletes a tombstone's bytes — chunks in Postgres in batches of `batch`, objects
    /// under its S3 prefix — then the tombstone; returns the chunks and objects freed.
    pub(crate) async fn empty_tombstone(&self, tombstone: Uuid, batch: i64) -> Result<u64> {
        let row = sqlx::query!(
            "SELECT s3_prefix, s3_upload_id FROM blobs WHERE id = $1 AND size = $2",
            tombstone,
            CONDEMNED_SIZE
        )
        .fetch_optional(self.pg())
        .await?;
        let Some(row) = row else {
            return Ok(0);
        };
        let mut freed = self.delete_chunks_in_batches(&[tombstone], batch).await?;
        if let Some(prefix) = &row.s3_prefix {
            let bucket = self.s3.as_ref().ok_or_else(|| {
                Error::Config(format!(
                    "deleted blob bytes under {prefix} are kept in S3, but no S3 bucket is configured"
                ))
            })?;
            freed += bucket
                .delete_prefix(prefix, row.s3_upload_id.as_deref())
                .await?;
        }
        sqlx::query!(
            "DELETE FROM blobs WHERE id = $1 AND size = $2",
            tombstone,
            CONDEMNED_SIZE
        )
        .execute(self.pg())
        .await?;
        Ok(freed)
    }
}

/// Condemns blobs `ids` inside the caller's transaction: each gets a tombstone row (a
/// new id, size -1, nothing refers to it, no writer can commit to it) that takes over
/// its bytes — its chunks are re-keyed (only their keys change: the bytes, stored out
/// of line, are not copied), its S3 prefix and upload are copied — so the caller can
/// delete the blob rows in the same transaction, and the bytes are deleted afterwards
/// ([`State::empty_tombstone`]), in batches, by whoever gets there first. `grace`
/// keeps the bytes for that long (an old copy some download may still be reading).
/// Returns the tombstones.
pub(crate) async fn condemn(
    conn: &mut sqlx::PgConnection,
    ids: &[Uuid],
    grace: Option<std::time::Duration>,
) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let grace = grace.unwrap_or_default();
    Ok(sqlx::query_scalar!(
        r#"WITH doomed AS (
               SELECT id, gen_random_uuid() AS tomb, store, s3_prefix, s3_upload_id
               FROM blobs WHERE id = ANY($1) AND size >= 0 FOR UPDATE),
           tombs AS (
               INSERT INTO blobs (id, size, store, s3_prefix, s3_upload_id, condemned_after)
               SELECT tomb, $2, store, s3_prefix, s3_upload_id, now() + $3::interval FROM doomed),
           moved AS (
               UPDATE blob_chunks c SET blob_id = d.tomb FROM doomed d WHERE c.blob_id = d.id)
           SELECT tomb AS "tomb!" FROM doomed"#,
        ids,
        CONDEMNED_SIZE,
        grace as _
    )
    .fetch_all(&mut *conn)
    .await?)
}

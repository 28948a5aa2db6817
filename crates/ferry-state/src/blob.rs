//! The Postgres blob store: file bytes in Postgres, as chunks, streamed in and out.
//! Everything outside this crate reaches these functions through the `BlobStore` port
//! (`blob_store.rs`), whose first adapter they are; `Blobs` (`blobs.rs`) calls them for
//! the blobs whose rows say they are kept in Postgres.
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
//! Every statement is a sqlx macro checked at compile time.

use bytes::Bytes;
use futures::{Stream, stream::BoxStream};
use uuid::Uuid;

use crate::{Error, Result, State};

/// Default size of a full chunk (`BLOB_CHUNK_SIZE`). The last chunk of a blob, and
/// chunks written by small resumable-upload requests, may be shorter; readers do not
/// depend on the size, so it can be changed at any time.
pub const CHUNK_SIZE: usize = 1024 * 1024;

/// Most bytes one read query returns (and one item of a download stream holds).
const READ_PIECE: i64 = 1024 * 1024;

/// Read queries one download keeps in flight: the piece being fetched next while the
/// one before is written to the socket.
const READ_AHEAD: usize = 2;

/// The Postgres adapter: blobs are rows of `blobs`, their bytes rows of `blob_chunks`.
#[derive(Clone)]
pub(crate) struct PostgresBlobStore {
    pub(crate) state: State,
}

impl PostgresBlobStore {
    /// See [`crate::BlobStore::append`].
    pub(crate) async fn append(
        &self,
        id: Uuid,
        offset: i64,
        data: &[u8],
        hash_state: &[u8],
    ) -> Result<bool> {
        self.state.append_chunk(id, offset, data, hash_state).await
    }

    /// See [`crate::BlobStore::stage`].
    pub(crate) async fn stage(&self, id: Uuid, offset: i64, data: &[u8]) -> Result<()> {
        self.state.stage_chunk(id, offset, data).await
    }

    /// See [`crate::BlobStore::commit_staged`].
    pub(crate) async fn commit_staged(
        &self,
        id: Uuid,
        from: i64,
        to: i64,
        hash_state: &[u8],
    ) -> Result<bool> {
        self.state.commit_staged(id, from, to, hash_state).await
    }

    /// See [`crate::BlobStore::discard_uncommitted`].
    pub(crate) async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64> {
        self.state.discard_uncommitted(id, size).await
    }

    /// See [`crate::BlobStore::seal`].
    pub(crate) async fn seal(&self, id: Uuid, sha256: &[u8]) -> Result<()> {
        self.state.finish_blob(id, sha256).await
    }

    /// See [`crate::BlobStore::read`].
    pub(crate) fn read(&self, id: Uuid, start: i64, end: i64) -> BoxStream<'static, Result<Bytes>> {
        Box::pin(self.state.read_blob(id, start, end))
    }
}

impl State {
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

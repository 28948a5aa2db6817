//! The blob-store port: where the bytes of files, thumbnails and stored zips live.
//!
//! Everything above the state layer (the service layer in `ferry-core`, and through it
//! web and worker) reaches bytes only through [`BlobStore`], so a second store — object
//! storage — is one more adapter, not a rewrite.
//!
//! The port is chunk-granular on purpose. A blob grows by chunks appended at its
//! committed size, and each append is atomic and conditional ("only if the committed
//! size is still `offset`"), so:
//! - the committed size is the durable, resumable offset (what tus reports), and a
//!   writer that lost a race can never commit bytes at the wrong place;
//! - streaming a body into a blob with bounded memory (one chunk) is written once,
//!   above the port, for every store (`ferry_core::blob::write_body`);
//! - a request whose bytes must be verified first (a tus checksum) stages chunks past
//!   the committed size and commits them in one step, or discards them.
//!
//! Reads are streams of at most one chunk per item, so a download holds one chunk of
//! memory whatever the file size.
//!
//! This module is the port alone: the trait and the types in its signatures. It names
//! no adapter, so dependencies point one way — the port, below it what both adapters
//! share (`stream_hash.rs`), then the adapters, Postgres chunks (`blob.rs`) and an
//! S3-compatible bucket (`s3.rs`), and above them `blobs.rs`, whose
//! `State::blob_store` picks the store from the settings.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use uuid::Uuid;

use crate::Result;

/// Storage of blobs: append-only byte sequences with a durable committed size.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Creates an empty blob (committed size 0).
    async fn create(&self) -> Result<Uuid>;

    /// The committed size and hash state of blob `id`, if it exists.
    async fn state(&self, id: Uuid) -> Result<Option<BlobState>>;

    /// Writes `data` at `offset` and commits it, atomically, iff the committed size is
    /// `offset`; saves `hash_state` (the SHA-256 state over the new committed bytes)
    /// with it. Returns `false`, having written nothing, otherwise.
    async fn append(&self, id: Uuid, offset: i64, data: Bytes, hash_state: &[u8]) -> Result<bool>;

    /// Writes `data` at `offset` (at or past the committed size) without committing it.
    async fn stage(&self, id: Uuid, offset: i64, data: Bytes) -> Result<()>;

    /// Commits staged bytes `[from, to)` iff the committed size is still `from`.
    async fn commit_staged(&self, id: Uuid, from: i64, to: i64, hash_state: &[u8]) -> Result<bool>;

    /// Drops bytes at or past `size` (left by an interrupted or refused write); returns
    /// how many pieces were dropped.
    async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64>;

    /// Seals a fully written blob with its SHA-256.
    async fn seal(&self, id: Uuid, sha256: &[u8]) -> Result<()>;

    /// Streams bytes `[start, end)` (within the committed size), at most one chunk per
    /// item.
    fn read(&self, id: Uuid, start: i64, end: i64) -> BoxStream<'static, Result<Bytes>>;

    /// Deletes blobs and their bytes, in bounded batches, whatever they hold.
    async fn delete(&self, ids: &[Uuid]) -> Result<()>;

    /// Blobs nothing refers to whose bytes have not moved for `age` (left by a process
    /// killed mid-write), oldest first, at most `limit`.
    async fn orphans(&self, age: Duration, limit: i64) -> Result<Vec<Uuid>>;

    /// Bytes a writer should hand to one [`BlobStore::append`] when it can choose
    /// (streaming a body), if this store has a preference; otherwise the writer's own
    /// chunk size. Memory per write is this much.
    fn append_size(&self) -> Option<usize> {
        None
    }
}

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

//! The blob-store port: where the bytes of files, thumbnails and stored zips live.
//!
//! Everything above the state layer (the service layer in `ferry-core`, and through it
//! web and worker) reaches bytes only through [`BlobStore`], so a second store — object
//! storage — is one more adapter, not a rewrite. Today's adapter keeps bytes in Postgres
//! (`blob_chunks`, see `blob.rs`).
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
//! Two adapters: Postgres chunks (`blob.rs`) and an S3-compatible bucket (`s3.rs`).
//! [`State::blob_store`] hands out [`Blobs`], which writes new blobs to the configured
//! store and reaches every existing blob in the store its row names — so a deployment
//! switches `BLOB_STORE` with no downtime, and `ferry admin blobs migrate` moves the
//! old blobs while Ferry serves them (a download that was reading a blob's old copy
//! when it moved continues from the new one).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};
use uuid::Uuid;

use crate::{Error, Result, State, StoreKind, blob::BlobState, s3::S3BlobStore};

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

/// The Postgres adapter: blobs are rows of `blobs`, their bytes rows of `blob_chunks`.
#[derive(Clone)]
struct PostgresBlobStore {
    state: State,
}

/// Where a blob's bytes are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// Chunks keyed by the blob's id.
    Postgres,
    /// One object (a sealed blob).
    S3(String),
    /// An S3 blob still being written: nothing readable yet.
    S3Unsealed,
}

/// Every blob, whichever store holds it (see the module docs).
#[derive(Clone)]
pub struct Blobs {
    state: State,
    pg: PostgresBlobStore,
    s3: Option<S3BlobStore>,
}

impl State {
    /// The blob store this deployment uses.
    pub fn blob_store(&self) -> Arc<dyn BlobStore> {
        Arc::new(Blobs {
            state: self.clone(),
            pg: PostgresBlobStore {
                state: self.clone(),
            },
            s3: self.s3.clone().map(|bucket| S3BlobStore {
                state: self.clone(),
                bucket,
            }),
        })
    }
}

impl Blobs {
    fn s3(&self) -> Result<&S3BlobStore> {
        self.s3.as_ref().ok_or_else(|| {
            Error::Config("a blob is kept in S3, but no S3 bucket is configured (S3_BUCKET)".into())
        })
    }

    /// The store holding blob `id`, if it exists.
    async fn store_of(&self, id: Uuid) -> Result<Option<StoreKind>> {
        self.state.blob_store_kind(id).await
    }
}

#[async_trait]
impl BlobStore for Blobs {
    async fn create(&self) -> Result<Uuid> {
        if self.state.new_blobs == StoreKind::S3 {
            self.s3()?;
        }
        self.state.create_blob().await
    }

    async fn state(&self, id: Uuid) -> Result<Option<BlobState>> {
        self.state.blob_state(id).await
    }

    async fn append(&self, id: Uuid, offset: i64, data: Bytes, hash_state: &[u8]) -> Result<bool> {
        // Try the store new blobs go to (one round trip on Postgres), and only on a
        // refusal ask where the blob really is.
        let first = self.state.new_blobs;
        let done = match first {
            StoreKind::Postgres => self.pg.append(id, offset, &data, hash_state).await?,
            StoreKind::S3 => {
                self.s3()?
                    .append(id, offset, data.clone(), hash_state)
                    .await?
            }
        };
        if done {
            return Ok(true);
        }
        match self.store_of(id).await? {
            Some(StoreKind::S3) if first != StoreKind::S3 => {
                self.s3()?.append(id, offset, data, hash_state).await
            }
            Some(StoreKind::Postgres) if first != StoreKind::Postgres => {
                self.pg.append(id, offset, &data, hash_state).await
            }
            _ => Ok(false),
        }
    }

    async fn stage(&self, id: Uuid, offset: i64, data: Bytes) -> Result<()> {
        match self.store_of(id).await? {
            Some(StoreKind::S3) => self.s3()?.stage(id, offset, data).await,
            _ => self.pg.stage(id, offset, &data).await,
        }
    }

    async fn commit_staged(&self, id: Uuid, from: i64, to: i64, hash_state: &[u8]) -> Result<bool> {
        match self.store_of(id).await? {
            Some(StoreKind::S3) => self.s3()?.commit_staged(id, from, to).await,
            Some(StoreKind::Postgres) => self.pg.commit_staged(id, from, to, hash_state).await,
            None => Ok(false),
        }
    }

    async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64> {
        match self.store_of(id).await? {
            Some(StoreKind::S3) => self.s3()?.discard_uncommitted(id, size).await,
            _ => self.pg.discard_uncommitted(id, size).await,
        }
    }

    async fn seal(&self, id: Uuid, sha256: &[u8]) -> Result<()> {
        match self.store_of(id).await? {
            Some(StoreKind::S3) => self.s3()?.seal(id, sha256).await,
            _ => self.pg.seal(id, sha256).await,
        }
    }

    fn read(&self, id: Uuid, start: i64, end: i64) -> BoxStream<'static, Result<Bytes>> {
        let blobs = self.clone();
        // Each round reads from where the blob is now; a round that fails because the
        // blob moved (its old copy is gone) starts another from the new place.
        futures::stream::try_unfold(
            (start, None::<(Location, BoxStream<'static, Result<Bytes>>)>),
            move |(pos, current)| {
                let blobs = blobs.clone();
                async move {
                    if pos >= end {
                        return Ok(None);
                    }
                    let (mut location, mut stream) = match current {
                        Some(current) => current,
                        None => {
                            let location = blobs.state.blob_location(id).await?;
                            let stream = blobs.read_at(&location, id, pos, end)?;
                            (location, stream)
                        }
                    };
                    let mut switched = false;
                    loop {
                        match stream.next().await {
                            Some(Ok(bytes)) => {
                                let next = pos + bytes.len() as i64;
                                return Ok(Some((bytes, (next, Some((location, stream))))));
                            }
                            Some(Err(e)) if !switched => {
                                let now = blobs.state.blob_location(id).await?;
                                if now == location {
                                    return Err(e);
                                }
                                tracing::info!(blob = %id, "blob moved while read; continuing from its new store");
                                stream = blobs.read_at(&now, id, pos, end)?;
                                location = now;
                                switched = true;
                            }
                            Some(Err(e)) => return Err(e),
                            None => {
                                return Err(Error::Corrupt(format!(
                                    "blob {id} ended at {pos}, before {end}"
                                )));
                            }
                        }
                    }
                }
            },
        )
        .boxed()
    }

    async fn delete(&self, ids: &[Uuid]) -> Result<()> {
        self.state.delete_blobs(ids).await
    }

    async fn orphans(&self, age: Duration, limit: i64) -> Result<Vec<Uuid>> {
        self.state.orphan_blobs(age, limit).await
    }

    fn append_size(&self) -> Option<usize> {
        match (self.state.new_blobs, &self.s3) {
            (StoreKind::S3, Some(s3)) => Some(s3.bucket.part_size * crate::s3::PARTS_PER_WRITE),
            _ => None,
        }
    }
}

impl Blobs {
    fn read_at(
        &self,
        location: &Location,
        id: Uuid,
        start: i64,
        end: i64,
    ) -> Result<BoxStream<'static, Result<Bytes>>> {
        Ok(match location {
            Location::Postgres => self.pg.read(id, start, end),
            Location::S3(key) => self.s3()?.bucket.read(key.clone(), start, end),
            Location::S3Unsealed => {
                return Err(Error::Corrupt(format!(
                    "blob {id} is still being written to S3 and cannot be read yet"
                )));
            }
        })
    }
}

impl PostgresBlobStore {
    async fn append(&self, id: Uuid, offset: i64, data: &[u8], hash_state: &[u8]) -> Result<bool> {
        self.state.append_chunk(id, offset, data, hash_state).await
    }

    async fn stage(&self, id: Uuid, offset: i64, data: &[u8]) -> Result<()> {
        self.state.stage_chunk(id, offset, data).await
    }

    async fn commit_staged(&self, id: Uuid, from: i64, to: i64, hash_state: &[u8]) -> Result<bool> {
        self.state.commit_staged(id, from, to, hash_state).await
    }

    async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64> {
        self.state.discard_uncommitted(id, size).await
    }

    async fn seal(&self, id: Uuid, sha256: &[u8]) -> Result<()> {
        self.state.finish_blob(id, sha256).await
    }

    fn read(&self, id: Uuid, start: i64, end: i64) -> BoxStream<'static, Result<Bytes>> {
        Box::pin(self.state.read_blob(id, start, end))
    }
}

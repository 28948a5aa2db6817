//! Every blob, whichever store holds it: [`Blobs`], the [`BlobStore`] that
//! [`State::blob_store`] hands out, and the rows of `blobs` that say where each blob's
//! bytes are (create, locate, delete, find orphans).
//!
//! `Blobs` writes new blobs to the store `BLOB_STORE` names and reaches every existing
//! blob in the store its row names — so a deployment switches `BLOB_STORE` with no
//! downtime, and `ferry admin blobs migrate` moves the old blobs while Ferry serves
//! them (a download that was reading a blob's old copy when it moved continues from
//! the new one).
//!
//! This module sits above both adapters (`blob.rs`, `s3.rs`) and the port
//! (`blob_store.rs`): it is the one place that knows there are two stores. Deleting a
//! blob is the same in both: its row becomes a tombstone that takes over its bytes
//! ([`condemn`]), and the bytes are deleted afterwards. Which blobs nothing refers to —
//! the orphan sweep's rule — is the view `unreferenced_blobs`, defined once in the
//! migration `*_repository_rules.sql`.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};
use uuid::Uuid;

use crate::{
    Error, Result, State, StoreKind,
    blob::PostgresBlobStore,
    blob_store::{BlobState, BlobStore},
    s3::{PARTS_PER_WRITE, S3BlobStore, new_prefix},
};

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
            (StoreKind::S3, Some(s3)) => Some(s3.bucket.part_size * PARTS_PER_WRITE),
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
            StoreKind::S3 => Some(new_prefix(id)),
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

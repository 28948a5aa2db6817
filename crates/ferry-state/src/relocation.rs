//! Moving blobs between stores while Ferry serves them (`ferry admin blobs migrate`).
//!
//! A move copies a sealed blob's bytes to the other store, checks the copy against the
//! blob's SHA-256, and then, in one transaction, points the blob at the copy and turns
//! the old copy into a tombstone kept for a grace period. So:
//! - a read that starts before the switch reads the old copy, one that starts after it
//!   reads the new one, and one that was reading the old copy when the grace period
//!   ran out (or, for Postgres, when its chunks were re-keyed) continues from the new
//!   copy at the same offset (`Blobs::read`);
//! - a move killed at any point leaves the blob readable where it was; what it had
//!   copied is found and deleted by the next attempt, or with the blob;
//! - moving is idempotent: a blob already in the target store is skipped.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{StreamExt, stream::BoxStream};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error, Result, State, StoreKind,
    blob::{CHUNK_SIZE, insert_chunk},
    s3::new_prefix,
};

/// What one call of [`State::move_blobs`] did.
#[derive(Clone, Debug, Default)]
pub struct Moved {
    /// Blobs now in the target store.
    pub blobs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Blobs that changed under the move (deleted, moved by another process) and were
    /// left alone.
    pub skipped: u64,
}

impl State {
    /// How many sealed blobs, and bytes, are not in `to` yet.
    pub async fn blobs_outside(&self, to: StoreKind) -> Result<(i64, i64)> {
        let row = sqlx::query!(
            r#"SELECT count(*) AS "blobs!", coalesce(sum(size), 0)::bigint AS "bytes!"
               FROM blobs WHERE size >= 0 AND sha256 IS NOT NULL AND store <> $1"#,
            to.as_str()
        )
        .fetch_one(self.pg())
        .await?;
        Ok((row.blobs, row.bytes))
    }

    /// Moves up to `limit` sealed blobs with ids after `after` into store `to`, one at a
    /// time; returns what was done and the last id looked at (to continue from).
    pub async fn move_blobs(
        &self,
        to: StoreKind,
        after: Uuid,
        limit: i64,
        grace: Duration,
    ) -> Result<(Moved, Option<Uuid>)> {
        let batch = sqlx::query!(
            "SELECT id, size FROM blobs
             WHERE size >= 0 AND sha256 IS NOT NULL AND store <> $1 AND id > $2
             ORDER BY id LIMIT $3",
            to.as_str(),
            after,
            limit
        )
        .fetch_all(self.pg())
        .await?;
        let mut moved = Moved::default();
        for blob in &batch {
            if self.move_blob(blob.id, to, grace).await? {
                moved.blobs += 1;
                moved.bytes += blob.size as u64;
            } else {
                moved.skipped += 1;
            }
        }
        Ok((moved, batch.last().map(|b| b.id)))
    }

    /// Moves sealed blob `id` into store `to`. Returns `false` when there was nothing
    /// to move (already there, not sealed, deleted meanwhile).
    pub async fn move_blob(&self, id: Uuid, to: StoreKind, grace: Duration) -> Result<bool> {
        let bucket = self.s3.clone().ok_or_else(|| {
            Error::Config("moving blobs needs the S3 bucket settings (S3_BUCKET, AWS_*)".into())
        })?;
        let Some(row) = sqlx::query!(
            "SELECT store, size, sha256, s3_prefix, s3_upload_id, s3_object FROM blobs
             WHERE id = $1 AND size >= 0 AND sha256 IS NOT NULL",
            id
        )
        .fetch_optional(self.pg())
        .await?
        else {
            return Ok(false);
        };
        let Some(sha256) = row.sha256 else {
            return Ok(false);
        };
        match (StoreKind::parse(&row.store), to) {
            (Some(StoreKind::Postgres), StoreKind::S3) => {
                // An earlier, interrupted copy: drop it and start again.
                if let Some(prefix) = &row.s3_prefix {
                    bucket
                        .delete_prefix(prefix, row.s3_upload_id.as_deref())
                        .await?;
                }
                let prefix = new_prefix(id);
                let upload = bucket.create_upload(&prefix).await?;
                let recorded = sqlx::query!(
                    "UPDATE blobs SET s3_prefix = $2, s3_upload_id = $3
                     WHERE id = $1 AND store = 'postgres' AND size >= 0",
                    id,
                    prefix,
                    upload
                )
                .execute(self.pg())
                .await?;
                if recorded.rows_affected() == 0 {
                    bucket.delete_prefix(&prefix, Some(&upload)).await?;
                    return Ok(false);
                }
                let source = verified(Box::pin(self.read_blob(id, 0, row.size)), row.size, sha256);
                bucket.put_stream(&prefix, &upload, source).await?;
                self.switch_to_s3(id, &prefix, grace).await
            }
            (Some(StoreKind::S3), StoreKind::Postgres) => {
                let object = row
                    .s3_object
                    .ok_or_else(|| Error::Corrupt(format!("sealed S3 blob {id} has no object")))?;
                // Chunks of an earlier, interrupted copy.
                sqlx::query!("DELETE FROM blob_chunks WHERE blob_id = $1", id)
                    .execute(self.pg())
                    .await?;
                let source = verified(bucket.read(object.clone(), 0, row.size), row.size, sha256);
                self.write_chunks(id, source).await?;
                self.switch_to_postgres(id, &object, grace).await
            }
            _ => Ok(false),
        }
    }

    /// Writes a stream as chunks of blob `id` (whose row points elsewhere meanwhile,
    /// so nothing reads them yet).
    async fn write_chunks(
        &self,
        id: Uuid,
        mut source: BoxStream<'static, Result<Bytes>>,
    ) -> Result<()> {
        let mut conn = self.pg().acquire().await?;
        let mut offset = 0i64;
        let mut buffer = BytesMut::with_capacity(CHUNK_SIZE);
        loop {
            let next = source.next().await.transpose()?;
            let done = next.is_none();
            if let Some(bytes) = next {
                buffer.extend_from_slice(&bytes);
            }
            while buffer.len() >= CHUNK_SIZE || (done && !buffer.is_empty()) {
                let take = buffer.len().min(CHUNK_SIZE);
                let chunk = buffer.split_to(take);
                insert_chunk(&mut conn, id, offset, &chunk).await?;
                offset += take as i64;
            }
            if done {
                return Ok(());
            }
        }
    }

    async fn switch_to_s3(&self, id: Uuid, prefix: &str, grace: Duration) -> Result<bool> {
        let mut tx = self.pg().begin().await?;
        let tomb = Uuid::new_v4();
        let switched = sqlx::query!(
            "UPDATE blobs SET store = 's3', s3_object = $2 || 'data', s3_upload_id = NULL,
                    s3_parts_size = size
             WHERE id = $1 AND store = 'postgres' AND s3_prefix = $2 AND size >= 0",
            id,
            prefix
        )
        .execute(&mut *tx)
        .await?;
        if switched.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!(
            "INSERT INTO blobs (id, size, condemned_after) VALUES ($1, -1, now() + $2::interval)",
            tomb,
            grace as _
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE blob_chunks SET blob_id = $2 WHERE blob_id = $1",
            id,
            tomb
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn switch_to_postgres(&self, id: Uuid, object: &str, grace: Duration) -> Result<bool> {
        let mut tx = self.pg().begin().await?;
        let old = sqlx::query!(
            "SELECT s3_prefix FROM blobs WHERE id = $1 AND store = 's3' AND s3_object = $2
             FOR UPDATE",
            id,
            object
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = old else {
            return Ok(false);
        };
        sqlx::query!(
            "INSERT INTO blobs (id, size, store, s3_prefix, condemned_after)
             VALUES ($1, -1, 's3', $2, now() + $3::interval)",
            Uuid::new_v4(),
            old.s3_prefix,
            grace as _
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE blobs SET store = 'postgres', s3_prefix = NULL, s3_object = NULL,
                    s3_upload_id = NULL, s3_tail = NULL, s3_parts_size = 0
             WHERE id = $1",
            id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Passes `source` through, failing at its end unless it had exactly `size` bytes
/// with SHA-256 `expected`: a copy is only switched to when it is the blob.
fn verified(
    source: BoxStream<'static, Result<Bytes>>,
    size: i64,
    expected: Vec<u8>,
) -> BoxStream<'static, Result<Bytes>> {
    let state = (source, Sha256::new(), 0i64, false);
    futures::stream::try_unfold(state, move |(mut source, mut hash, seen, done)| {
        let expected = expected.clone();
        async move {
            if done {
                return Ok(None);
            }
            match source.next().await.transpose()? {
                Some(bytes) => {
                    hash.update(&bytes);
                    let seen = seen + bytes.len() as i64;
                    Ok(Some((bytes, (source, hash, seen, false))))
                }
                None => {
                    if seen != size || hash.finalize().as_slice() != expected.as_slice() {
                        return Err(Error::Corrupt(format!(
                            "a copy read {seen} of {size} bytes that do not match the blob's SHA-256"
                        )));
                    }
                    Ok(None)
                }
            }
        }
    })
    .boxed()
}

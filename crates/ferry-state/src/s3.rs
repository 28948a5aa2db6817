//! The S3 adapter of the blob-store port: blob bytes as objects in an S3-compatible
//! bucket (AWS S3, Garage, MinIO, R2), metadata in Postgres like every other blob.
//!
//! Why `object_store` (Apache Arrow's) and not the AWS SDK: it speaks plain S3 with
//! path-style addressing to any endpoint, exposes the low-level multipart calls a
//! resumable upload needs (`MultipartStore`: create, put part `n` of upload `id` from
//! any process, complete, abort) and streams ranged GETs, and it is released monthly
//! by the Arrow project. Measured against Ferry's lock file (2026-11-25): it added 24
//! crates, most of them TLS and platform shims that Linux does not build; `aws-sdk-s3`
//! with `aws-config` would add 67, 25 of them `aws-*` (the S3 crate alone is one of
//! the largest in the registry) plus the C build of `aws-lc-sys`. Its TLS here is
//! rustls over ring, the provider Postgres TLS already uses. Throughput against a
//! stock client: `benches/blob_throughput.sh` (docs/benchmarks.md).
//!
//! # Layout of a blob
//! Every object of one copy of a blob has a key under `blobs.s3_prefix`
//! (`<blob id>/<random>/`; a copy made by `ferry admin blobs migrate` gets a fresh
//! one). While the blob is written, its committed bytes `[0, size)` are:
//! - `[0, s3_parts_size)`: parts of one multipart upload (`s3_upload_id`) to
//!   `<prefix>data`, each recorded with its ETag in `blob_parts` when committed;
//! - `[s3_parts_size, size)`: the *tail*, one object `<prefix>tail-<size>`.
//!
//! S3 refuses parts under 5 MiB (except the last), but a resumable upload must make
//! every acknowledged byte durable, whatever size the client's requests have. So a
//! write too small to be a part goes to the tail: the next write reads the tail back,
//! appends its bytes and, once the two reach 5 MiB, sends them as the next part(s). A
//! stream (a curl PUT, a body too big for one write) is cut into writes of
//! [`PARTS_PER_WRITE`] × `S3_PART_SIZE` above the port ([`BlobStore::append_size`]),
//! and the writer above receives the next write while the store sends this one
//! (`ferry_core::blob::write_body`), so the store is not left idle between parts; only
//! the last, short piece of a request becomes a tail: small requests cost at most one
//! tail read and write each, large ones nothing extra. One part per write, pipelined,
//! uploads as fast here as two or four parts sent at once (measured:
//! docs/benchmarks.md) and buffers least.
//!
//! Sealing sends the tail as the last part and completes the upload into
//! `<prefix>data`; a blob that never reached 5 MiB is sealed in place — its tail is
//! its object (`s3_object`). Reads are ranged GETs of that object, streamed.
//!
//! # Concurrency and crashes
//! An append holds the blob's row lock (`FOR NO KEY UPDATE`) from reading the
//! committed size to committing the new one, so writers are serialised by Postgres,
//! and the part number is the count of committed parts: a writer killed mid-part
//! leaves an uncommitted part that the next writer overwrites, and a tail object that
//! nothing points to. A tail object is never overwritten once committed (its key
//! names the size it ends at). Whatever a crash leaves lies under the prefix and goes
//! when the blob goes; a multipart upload created but never recorded (a kill between
//! the two steps) is the one leak, left to the bucket's "abort incomplete multipart
//! uploads" lifecycle rule (docs/deploy.md).
//!
//! Checksummed tus requests stage their pieces as objects `<prefix>staged/<offset>`
//! and, once verified, commit them by appending them in order; a refused request
//! deletes them.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload,
    aws::{AmazonS3, AmazonS3Builder},
    multipart::{MultipartStore, PartId},
    path::Path,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::{Error, Result, State, settings::S3Settings, stream_hash::StreamHash};

/// S3's smallest part (but the last).
pub const MIN_PART: usize = 5 * 1024 * 1024;

/// Parts per streamed write ([`crate::BlobStore::append_size`]). The writer holds two
/// writes at most (one being sent, the next being received), so this many parts twice.
pub const PARTS_PER_WRITE: usize = 1;

/// A connection to the bucket, shared by the process.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    store: Arc<AmazonS3>,
    pub(crate) part_size: usize,
}

impl Bucket {
    /// Builds the client without connecting. Fails on settings S3 could never accept.
    pub(crate) fn new(settings: &S3Settings) -> Result<Bucket> {
        // One process-wide TLS provider for HTTPS endpoints (ring, already in the
        // build for Postgres TLS); installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if settings.part_size < MIN_PART {
            return Err(Error::Config(format!(
                "S3_PART_SIZE must be at least {MIN_PART} bytes (S3's smallest part)"
            )));
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            // Each request may take `request_timeout` (object_store's own default, 30 s,
            // is short for a part on a busy store); one that stalls past it is tried
            // again: the retries' window is four timeouts, so a stalled attempt leaves
            // time for the next (a 30 s window once let one stalled part PUT fail a
            // whole blob move on Garage).
            .with_client_options(
                object_store::ClientOptions::new().with_timeout(settings.request_timeout),
            )
            .with_retry(object_store::RetryConfig {
                max_retries: 3,
                retry_timeout: settings.request_timeout * 4,
                ..Default::default()
            });
        // Request bodies are not signed (`UNSIGNED-PAYLOAD`): signing would cost a
        // second SHA-256 pass over every byte (the first is the file's own digest) —
        // 15-20 % of upload throughput measured on Garage — and would protect only
        // the way in: over https TLS protects the body; over plain http a network
        // that can change bodies can change downloads too, and the worker re-reads
        // every stored file and checks it against the SHA-256 of what was uploaded
        // (`FinishFile`), so a body changed on the way to the store is caught.
        let https = settings
            .endpoint
            .as_deref()
            .is_none_or(|endpoint| endpoint.starts_with("https://"));
        builder = builder.with_unsigned_payload(true);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(!https);
        }
        let store = builder
            .build()
            .map_err(|e| Error::Config(format!("S3 settings are not usable: {e}")))?;
        Ok(Bucket {
            store: Arc::new(store),
            part_size: settings.part_size,
        })
    }

    async fn get_all(&self, key: &str) -> Result<Bytes> {
        self.store
            .get(&Path::from(key))
            .await
            .map_err(s3_error)?
            .bytes()
            .await
            .map_err(s3_error)
    }

    /// Streams bytes `[start, end)` of object `key`.
    pub(crate) fn read(
        &self,
        key: String,
        start: i64,
        end: i64,
    ) -> BoxStream<'static, Result<Bytes>> {
        let store = self.store.clone();
        if start >= end {
            return futures::stream::empty().boxed();
        }
        futures::stream::once(async move {
            let options = GetOptions {
                range: Some(GetRange::Bounded(start as u64..end as u64)),
                ..Default::default()
            };
            let got = store
                .get_opts(&Path::from(key), options)
                .await
                .map_err(s3_error)?;
            Ok::<_, Error>(got.into_stream().map_err(s3_error))
        })
        .try_flatten()
        .boxed()
    }

    /// Deletes every object under `prefix` and aborts upload `upload` of
    /// `<prefix>data`; returns the objects deleted.
    pub(crate) async fn delete_prefix(&self, prefix: &str, upload: Option<&str>) -> Result<u64> {
        if let Some(upload) = upload {
            match self
                .store
                .abort_multipart(&data_path(prefix), &upload.to_owned())
                .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(s3_error(e)),
            }
        }
        let listed: Vec<Path> = self
            .store
            .list(Some(&Path::from(prefix)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(s3_error)?;
        let count = listed.len() as u64;
        let locations = futures::stream::iter(listed.into_iter().map(Ok)).boxed();
        self.store
            .delete_stream(locations)
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(s3_error)?;
        Ok(count)
    }

    /// Keys under `<prefix>staged/`, with the offset each starts at, in offset order.
    async fn staged(&self, prefix: &str) -> Result<Vec<(i64, Path)>> {
        let mut staged: Vec<(i64, Path)> = self
            .store
            .list(Some(&Path::from(format!("{prefix}staged"))))
            .map_err(s3_error)
            .try_filter_map(|meta| async move {
                let offset = meta
                    .location
                    .filename()
                    .and_then(|name| name.parse::<i64>().ok());
                Ok(offset.map(|offset| (offset, meta.location)))
            })
            .try_collect()
            .await?;
        staged.sort_by_key(|(offset, _)| *offset);
        Ok(staged)
    }

    /// Writes a whole stream as the sealed object `<prefix>data`, one part at a time
    /// (for copies made by `ferry admin blobs migrate`). Memory: one part.
    pub(crate) async fn put_stream(
        &self,
        prefix: &str,
        upload: &str,
        mut body: BoxStream<'static, Result<Bytes>>,
    ) -> Result<i64> {
        let path = data_path(prefix);
        let mut parts = Vec::new();
        let mut pending: Vec<Bytes> = Vec::new();
        let mut pending_len = 0;
        let mut total = 0i64;
        loop {
            let next = body.next().await.transpose()?;
            let last = next.is_none();
            if let Some(bytes) = next {
                pending_len += bytes.len();
                total += bytes.len() as i64;
                pending.push(bytes);
            }
            if pending_len >= self.part_size || (last && (pending_len > 0 || parts.is_empty())) {
                let payload = PutPayload::from_iter(std::mem::take(&mut pending));
                pending_len = 0;
                let part = self
                    .store
                    .put_part(&path, &upload.to_owned(), parts.len(), payload)
                    .await
                    .map_err(s3_error)?;
                parts.push(part);
            }
            if last {
                break;
            }
        }
        self.store
            .complete_multipart(&path, &upload.to_owned(), parts)
            .await
            .map_err(s3_error)?;
        Ok(total)
    }

    pub(crate) async fn create_upload(&self, prefix: &str) -> Result<String> {
        self.store
            .create_multipart(&data_path(prefix))
            .await
            .map_err(s3_error)
    }

    /// A cheap request that proves the bucket answers (readiness).
    pub(crate) async fn probe(&self) -> Result<()> {
        match self.store.head(&Path::from("ferry-readiness-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(s3_error(e)),
        }
    }
}

/// How `len` bytes (at least [`MIN_PART`]) are cut into parts of `part_size`: a rest
/// too short to be a part of its own joins the last one.
fn part_cuts(len: i64, part_size: i64) -> Vec<(i64, i64)> {
    let mut cuts = Vec::new();
    let mut from = 0;
    while from < len {
        let mut to = (from + part_size).min(len);
        if len - to < MIN_PART as i64 {
            to = len;
        }
        cuts.push((from, to));
        from = to;
    }
    cuts
}

/// Bytes `[from, to)` of the concatenation of `pieces`, without copying.
fn slice(pieces: &[Bytes], from: i64, to: i64) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut at = 0i64;
    for piece in pieces {
        let end = at + piece.len() as i64;
        let (a, b) = (from.max(at), to.min(end));
        if a < b {
            out.push(piece.slice((a - at) as usize..(b - at) as usize));
        }
        at = end;
    }
    out
}

fn data_path(prefix: &str) -> Path {
    Path::from(format!("{prefix}data"))
}

fn s3_error(e: object_store::Error) -> Error {
    match e {
        // An object Postgres says exists is gone: lost data, not an outage.
        object_store::Error::NotFound { path, .. } => {
            Error::Corrupt(format!("object {path} is missing from the bucket"))
        }
        e => Error::ObjectStore(e.to_string()),
    }
}

/// A new, unique prefix for a copy of blob `id`.
pub(crate) fn new_prefix(id: Uuid) -> String {
    format!("{id}/{:08x}/", rand::random::<u32>())
}

/// What the adapter reads of a blob's row.
struct Layout {
    size: i64,
    store: String,
    hash_state: Option<Vec<u8>>,
    s3_prefix: Option<String>,
    s3_upload_id: Option<String>,
    s3_parts_size: i64,
    s3_tail: Option<String>,
    s3_object: Option<String>,
    parts: i64,
}

impl Layout {
    fn prefix(&self, id: Uuid) -> Result<&str> {
        self.s3_prefix
            .as_deref()
            .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} has no key prefix")))
    }
}

macro_rules! query_layout {
    ($lock:literal, $executor:expr, $id:expr) => {
        sqlx::query_as!(
            Layout,
            r#"SELECT size, store, hash_state, s3_prefix, s3_upload_id, s3_parts_size, s3_tail,
                      s3_object,
                      (SELECT count(*) FROM blob_parts p WHERE p.blob_id = b.id) AS "parts!"
               FROM blobs b WHERE id = $1 AND size >= 0 "#
                + $lock,
            $id
        )
        .fetch_optional($executor)
    };
}

/// The S3 adapter (see the module docs).
#[derive(Clone)]
pub struct S3BlobStore {
    pub(crate) state: State,
    pub(crate) bucket: Bucket,
}

impl S3BlobStore {
    /// See [`crate::BlobStore::append`].
    pub(crate) async fn append(
        &self,
        id: Uuid,
        offset: i64,
        data: Bytes,
        hash_state: &[u8],
    ) -> Result<bool> {
        let Some(row) = query_layout!("", self.state.pg(), id).await? else {
            return Ok(false);
        };
        if row.size != offset || row.store != "s3" {
            return Ok(false);
        }
        let tail_len = (row.size - row.s3_parts_size) as usize;
        let becomes_part = tail_len + data.len() >= MIN_PART;
        if becomes_part && row.s3_upload_id.is_none() {
            self.ensure_upload(id, row.prefix(id)?).await?;
        }

        let mut tx = self.state.pg().begin().await?;
        let Some(row) = query_layout!("FOR NO KEY UPDATE", &mut *tx, id).await? else {
            return Ok(false);
        };
        if row.size != offset {
            return Ok(false);
        }
        let prefix = row.prefix(id)?.to_owned();
        let mut pieces = Vec::with_capacity(2);
        if tail_len > 0 {
            pieces.push(self.tail(id, &row).await?);
        }
        let end = offset + data.len() as i64;
        pieces.push(data);
        if becomes_part {
            let upload = row
                .s3_upload_id
                .clone()
                .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} lost its upload")))?;
            // The bytes become one or more parts, sent at once (a store serves parts
            // of one upload in parallel; one at a time leaves it idle between them).
            let path = data_path(&prefix);
            let cuts = part_cuts(end - row.s3_parts_size, self.bucket.part_size as i64);
            let sent =
                futures::future::try_join_all(cuts.iter().enumerate().map(|(n, &(from, to))| {
                    let payload = PutPayload::from_iter(slice(&pieces, from, to));
                    let (path, upload) = (&path, &upload);
                    async move {
                        self.bucket
                            .store
                            .put_part(path, upload, row.parts as usize + n, payload)
                            .await
                            .map_err(s3_error)
                    }
                }))
                .await?;
            for (n, (part, &(from, to))) in sent.into_iter().zip(&cuts).enumerate() {
                sqlx::query!(
                    "INSERT INTO blob_parts (blob_id, part_number, size, etag) VALUES ($1, $2, $3, $4)",
                    id,
                    row.parts as i32 + 1 + n as i32,
                    to - from,
                    part.content_id
                )
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query!(
                "UPDATE blobs SET size = $2, s3_parts_size = $2, s3_tail = NULL, hash_state = $3,
                        touched_at = now() WHERE id = $1",
                id,
                end,
                hash_state
            )
            .execute(&mut *tx)
            .await?;
        } else {
            let key = format!("{prefix}tail-{end}");
            self.bucket
                .store
                .put(&Path::from(key.as_str()), PutPayload::from_iter(pieces))
                .await
                .map_err(s3_error)?;
            sqlx::query!(
                "UPDATE blobs SET size = $2, s3_tail = $3, hash_state = $4, touched_at = now()
                 WHERE id = $1",
                id,
                end,
                key,
                hash_state
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if let Some(old) = row.s3_tail {
            self.forget(&old).await;
        }
        Ok(true)
    }

    /// Records a multipart upload for blob `id` unless another writer did first.
    async fn ensure_upload(&self, id: Uuid, prefix: &str) -> Result<()> {
        let upload = self.bucket.create_upload(prefix).await?;
        let recorded = sqlx::query!(
            "UPDATE blobs SET s3_upload_id = $2 WHERE id = $1 AND s3_upload_id IS NULL",
            id,
            upload
        )
        .execute(self.state.pg())
        .await?;
        if recorded.rows_affected() == 0 {
            let _ = self
                .bucket
                .store
                .abort_multipart(&data_path(prefix), &upload)
                .await;
        }
        Ok(())
    }

    /// The committed tail of a blob (checked against its recorded length).
    async fn tail(&self, id: Uuid, row: &Layout) -> Result<Bytes> {
        let key = row
            .s3_tail
            .as_deref()
            .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} has tail bytes but no tail")))?;
        let tail = self.bucket.get_all(key).await?;
        if tail.len() as i64 != row.size - row.s3_parts_size {
            return Err(Error::Corrupt(format!(
                "tail of S3 blob {id} holds {} bytes, not {}",
                tail.len(),
                row.size - row.s3_parts_size
            )));
        }
        Ok(tail)
    }

    /// Deletes an object nothing points to any more; a failure leaves it to the
    /// blob's deletion (it lies under the blob's prefix).
    async fn forget(&self, key: &str) {
        if let Err(e) = self.bucket.store.delete(&Path::from(key)).await {
            tracing::debug!(error = %e, "could not delete a superseded object; it goes with its blob");
        }
    }

    /// See [`crate::BlobStore::stage`].
    pub(crate) async fn stage(&self, id: Uuid, offset: i64, data: Bytes) -> Result<()> {
        let prefix = self.prefix_of(id).await?;
        self.bucket
            .store
            .put(
                &Path::from(format!("{prefix}staged/{offset:020}")),
                PutPayload::from(data),
            )
            .await
            .map_err(s3_error)?;
        Ok(())
    }

    /// See [`crate::BlobStore::commit_staged`]: appends the staged pieces `[from, to)`
    /// in order, then deletes them.
    pub(crate) async fn commit_staged(&self, id: Uuid, from: i64, to: i64) -> Result<bool> {
        let Some(row) = query_layout!("", self.state.pg(), id).await? else {
            return Ok(false);
        };
        if row.size != from {
            return Ok(false);
        }
        let prefix = row.prefix(id)?.to_owned();
        let staged = self.bucket.staged(&prefix).await?;
        let mut hash = StreamHash::resume(row.hash_state.as_deref())?;
        let mut at = from;
        for (offset, key) in staged.iter().filter(|(o, _)| *o >= from && *o < to) {
            if *offset != at {
                return Err(Error::Corrupt(format!(
                    "staged bytes of S3 blob {id} have a gap at {at}"
                )));
            }
            let piece = self.bucket.get_all(key.as_ref()).await?;
            hash.update(&piece);
            let len = piece.len() as i64;
            if !self.append(id, at, piece, &hash.snapshot()).await? {
                return Ok(false);
            }
            at += len;
        }
        if at != to {
            return Err(Error::Corrupt(format!(
                "staged bytes of S3 blob {id} end at {at}, not {to}"
            )));
        }
        self.discard_uncommitted(id, from).await?;
        Ok(true)
    }

    /// See [`crate::BlobStore::discard_uncommitted`]: staged pieces at or past `size`.
    pub(crate) async fn discard_uncommitted(&self, id: Uuid, size: i64) -> Result<u64> {
        let prefix = self.prefix_of(id).await?;
        let mut dropped = 0;
        for (_, key) in self
            .bucket
            .staged(&prefix)
            .await?
            .into_iter()
            .filter(|(offset, _)| *offset >= size)
        {
            self.bucket.store.delete(&key).await.map_err(s3_error)?;
            dropped += 1;
        }
        Ok(dropped)
    }

    async fn prefix_of(&self, id: Uuid) -> Result<String> {
        sqlx::query_scalar!("SELECT s3_prefix FROM blobs WHERE id = $1", id)
            .fetch_optional(self.state.pg())
            .await?
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} has no key prefix")))
    }

    /// See [`crate::BlobStore::seal`]: the tail becomes the last part and the upload
    /// is completed (or the tail is the object). Idempotent.
    pub(crate) async fn seal(&self, id: Uuid, sha256: &[u8]) -> Result<()> {
        let mut tx = self.state.pg().begin().await?;
        let row = query_layout!("FOR NO KEY UPDATE", &mut *tx, id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} vanished while sealed")))?;
        if row.s3_object.is_some() {
            return Ok(());
        }
        let prefix = row.prefix(id)?.to_owned();
        let tail_len = row.size - row.s3_parts_size;
        let mut consumed_tail = None;
        let object = if row.parts == 0 {
            match (&row.s3_tail, tail_len) {
                (Some(tail), 1..) => tail.clone(),
                (None, 1..) => {
                    return Err(Error::Corrupt(format!(
                        "S3 blob {id} has tail bytes but no tail"
                    )));
                }
                _ => {
                    let key = data_path(&prefix);
                    self.bucket
                        .store
                        .put(&key, PutPayload::default())
                        .await
                        .map_err(s3_error)?;
                    key.to_string()
                }
            }
        } else {
            let upload = row
                .s3_upload_id
                .clone()
                .ok_or_else(|| Error::Corrupt(format!("S3 blob {id} lost its upload")))?;
            let mut parts: Vec<PartId> = sqlx::query_scalar!(
                "SELECT etag FROM blob_parts WHERE blob_id = $1 ORDER BY part_number",
                id
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
            let path = data_path(&prefix);
            // Completed by an earlier attempt that died before recording it: the
            // upload is gone, and the object is the blob.
            let completed = matches!(
                self.bucket.store.head(&path).await,
                Ok(meta) if meta.size as i64 == row.size
            );
            if !completed && tail_len > 0 {
                let tail = self.tail(id, &row).await?;
                parts.push(
                    self.bucket
                        .store
                        .put_part(&data_path(&prefix), &upload, parts.len(), tail.into())
                        .await
                        .map_err(s3_error)?,
                );
            }
            consumed_tail = row.s3_tail.clone();
            if !completed {
                self.bucket
                    .store
                    .complete_multipart(&path, &upload, parts)
                    .await
                    .map_err(s3_error)?;
            }
            path.to_string()
        };
        sqlx::query!(
            "UPDATE blobs SET sha256 = $2, hash_state = NULL, s3_object = $3, s3_upload_id = NULL,
                    s3_tail = NULL, s3_parts_size = size, touched_at = now()
             WHERE id = $1",
            id,
            sha256,
            object
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM blob_parts WHERE blob_id = $1", id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(tail) = consumed_tail {
            self.forget(&tail).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_full_size_but_a_short_rest_joins_the_last() {
        const M: i64 = 1024 * 1024;
        assert_eq!(part_cuts(5 * M, 8 * M), vec![(0, 5 * M)]);
        assert_eq!(part_cuts(16 * M, 8 * M), vec![(0, 8 * M), (8 * M, 16 * M)]);
        assert_eq!(part_cuts(19 * M, 8 * M), vec![(0, 8 * M), (8 * M, 19 * M)]);
        assert_eq!(
            part_cuts(21 * M, 8 * M),
            vec![(0, 8 * M), (8 * M, 16 * M), (16 * M, 21 * M)]
        );
        for len in [5 * M, 7 * M + 3, 10 * M, 23 * M + 1] {
            let cuts = part_cuts(len, 5 * M);
            assert_eq!(cuts.last().unwrap().1, len);
            assert!(cuts.iter().all(|(a, b)| b - a >= MIN_PART as i64));
        }
    }

    #[test]
    fn slices_cross_piece_boundaries_without_losing_a_byte() {
        let pieces = [Bytes::from_static(b"abc"), Bytes::from_static(b"defgh")];
        let cat = |v: Vec<Bytes>| v.concat();
        assert_eq!(cat(slice(&pieces, 0, 8)), b"abcdefgh");
        assert_eq!(cat(slice(&pieces, 2, 5)), b"cde");
        assert_eq!(cat(slice(&pieces, 3, 8)), b"defgh");
        assert_eq!(cat(slice(&pieces, 0, 3)), b"abc");
    }
}

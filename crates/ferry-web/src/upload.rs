//! Streaming a request body into a blob: chunk by chunk, hashed on the way, bounded.
//!
//! Memory per upload is one chunk (`BLOB_CHUNK_SIZE`, 1 MiB) plus what the socket has buffered; nothing
//! touches local disk. While a chunk is written to Postgres the body is not read, so
//! a fast client is slowed to the database's pace instead of filling memory.

use bytes::{Bytes, BytesMut};
use ferry_state::{State, blob::StreamHash};
use futures::{Stream, StreamExt};
use sha1::Digest as _;
use uuid::Uuid;

/// A checksum the client sent for the bytes of one request (tus `Upload-Checksum`).
pub enum Checksum {
    /// SHA-1 and the expected digest.
    Sha1(sha1::Sha1, Vec<u8>),
    /// SHA-256 and the expected digest.
    Sha256(sha2::Sha256, Vec<u8>),
}

impl Checksum {
    fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Sha1(h, _) => h.update(data),
            Checksum::Sha256(h, _) => h.update(data),
        }
    }

    fn matches(self) -> bool {
        match self {
            Checksum::Sha1(h, expected) => h.finalize().as_slice() == expected.as_slice(),
            Checksum::Sha256(h, expected) => h.finalize().as_slice() == expected.as_slice(),
        }
    }
}

/// Why writing a body stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// More bytes arrived than allowed; nothing past the limit was stored.
    #[error("body exceeds the allowed size")]
    TooLarge,
    /// The client went away or sent a broken body.
    #[error("request body: {0}")]
    Client(String),
    /// Another writer moved the blob's committed size.
    #[error("the upload offset changed under this request")]
    Conflict,
    /// The bytes did not match the client's checksum; they were discarded.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// Postgres failed.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
}

/// How to write.
pub struct Target<'a> {
    /// Where the bytes go.
    pub state: &'a State,
    /// The blob.
    pub blob: Uuid,
    /// Its committed size when the request started (where the body's bytes begin).
    pub start: i64,
    /// Hash over `[0, start)`.
    pub hash: StreamHash,
    /// The committed size may not exceed this.
    pub limit: i64,
    /// Bytes per stored chunk.
    pub chunk_size: usize,
    /// When given, nothing is committed unless the whole body matches it.
    pub checksum: Option<Checksum>,
    /// On a client error, commit what was received so far (tus semantics).
    pub keep_partial: bool,
}

/// What was committed.
pub struct Written {
    /// New committed size of the blob.
    pub size: i64,
    /// Hash over `[0, size)`.
    pub hash: StreamHash,
}

/// Streams `body` into the blob. On error, the committed size is whatever was committed
/// before the error (with `keep_partial`, including the bytes received).
pub async fn write_body<S, E>(target: Target<'_>, body: S) -> Result<Written, WriteError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let Target {
        state,
        blob,
        start,
        mut hash,
        limit,
        chunk_size,
        mut checksum,
        keep_partial,
    } = target;
    futures::pin_mut!(body);
    let mut buffer = BytesMut::with_capacity(chunk_size);
    let mut received = start; // bytes [start, received) are written (staged or committed)
    let mut committed = start;

    let failure = loop {
        match body.next().await {
            Some(Ok(bytes)) => {
                if received + (buffer.len() + bytes.len()) as i64 > limit {
                    break Some(WriteError::TooLarge);
                }
                buffer.extend_from_slice(&bytes);
                while buffer.len() >= chunk_size {
                    let chunk = buffer.split_to(chunk_size).freeze();
                    write_chunk(
                        state,
                        blob,
                        &chunk,
                        &mut received,
                        &mut committed,
                        &mut hash,
                        checksum.as_mut(),
                    )
                    .await?;
                }
            }
            Some(Err(e)) => break Some(WriteError::Client(e.to_string())),
            None => break None,
        }
    };
    let flush = match &failure {
        None => true,
        Some(WriteError::Client(_)) | Some(WriteError::TooLarge) => {
            keep_partial && checksum.is_none()
        }
        Some(_) => false,
    };
    if flush && !buffer.is_empty() {
        let chunk = buffer.split().freeze();
        write_chunk(
            state,
            blob,
            &chunk,
            &mut received,
            &mut committed,
            &mut hash,
            checksum.as_mut(),
        )
        .await?;
    }
    if let Some(error) = failure {
        if checksum.is_some() {
            state.discard_uncommitted(blob, start).await?;
        }
        return Err(error);
    }
    if let Some(checksum) = checksum {
        if !checksum.matches() {
            state.discard_uncommitted(blob, start).await?;
            return Err(WriteError::ChecksumMismatch);
        }
        if received > start
            && !state
                .commit_staged(blob, start, received, &hash.snapshot())
                .await?
        {
            state.discard_uncommitted(blob, start).await?;
            return Err(WriteError::Conflict);
        }
        committed = received;
    }
    Ok(Written {
        size: committed,
        hash,
    })
}

async fn write_chunk(
    state: &State,
    blob: Uuid,
    chunk: &[u8],
    received: &mut i64,
    committed: &mut i64,
    hash: &mut StreamHash,
    checksum: Option<&mut Checksum>,
) -> Result<(), WriteError> {
    hash.update(chunk);
    match checksum {
        Some(checksum) => {
            checksum.update(chunk);
            state.stage_chunk(blob, *received, chunk).await?;
        }
        None => {
            if !state
                .append_chunk(blob, *committed, chunk, &hash.snapshot())
                .await?
            {
                return Err(WriteError::Conflict);
            }
            *committed += chunk.len() as i64;
        }
    }
    *received += chunk.len() as i64;
    metrics::counter!(ferry_telemetry::UPLOAD_BYTES).increment(chunk.len() as u64);
    Ok(())
}

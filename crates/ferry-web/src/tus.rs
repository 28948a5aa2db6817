//! tus 1.0 resumable uploads at `/files/`: core protocol plus creation,
//! creation-with-upload, expiration, checksum (`sha1`, `sha256`) and termination.
//!
//! No state lives in the process: an upload's offset is its blob's committed size in
//! Postgres, and PATCHes on one upload are serialised by a Redis lock every web process
//! sees (see `ferry_state::tus`). An upload started through one process continues
//! through any other, and bytes acknowledged with an `Upload-Offset` are durable.
//!
//! When the last byte arrives the upload becomes a transfer with one file; the share
//! URL comes back in `X-Share-Url` (and `X-Url-Delete`) on that PATCH, on HEAD, and in
//! `GET /files/{id}` as JSON.

use std::time::Duration;

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError,
    http::{StatusCode, header},
    web,
};
use base64::Engine;
use chrono::{DateTime, Utc};
use ferry_state::{
    State,
    blob::StreamHash,
    transfer::Transfer,
    tus::{NewUpload, Upload},
};
use sha1::Digest as _;

use crate::{
    Config,
    curl_api::parse_max_downloads,
    error::RETRY_AFTER_SECS,
    names, public_url, share,
    upload::{self, Checksum, Target, UploadSlot, WriteError, write_body},
};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,expiration,checksum,termination";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Lock TTL; refreshed every third of it while a PATCH runs.
const LOCK_TTL_MS: u64 = 10_000;
/// How long a PATCH waits for another PATCH on the same upload to finish.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// Registers the tus routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/files", "/files/"])
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/files/{id}")
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::head().to(head))
            .route(web::get().to(status))
            .route(web::patch().to(patch))
            .route(web::delete().to(terminate)),
    );
}

/// A tus-flavoured error response (always with `Tus-Resumable`).
#[derive(Debug, thiserror::Error)]
enum TusError {
    #[error("Tus-Resumable 1.0.0 is required")]
    Version,
    #[error("{0}")]
    BadRequest(String),
    #[error("upload not found")]
    NotFound,
    #[error("Upload-Offset does not match the upload's offset")]
    Conflict,
    #[error("PATCH needs Content-Type: application/offset+octet-stream")]
    ContentType,
    #[error("upload exceeds the allowed size")]
    TooLarge,
    #[error("checksum mismatch")]
    ChecksumMismatch,
    #[error("upload is busy with another request")]
    Locked,
    #[error("too many uploads in progress; retry later")]
    Busy,
    #[error("the request body stalled")]
    BodyTimeout,
    #[error(transparent)]
    State(#[from] ferry_state::Error),
}

impl From<WriteError> for TusError {
    fn from(error: WriteError) -> TusError {
        match error {
            WriteError::TooLarge => TusError::TooLarge,
            WriteError::Idle => TusError::BodyTimeout,
            WriteError::Client(e) => TusError::BadRequest(format!("request body broke off: {e}")),
            WriteError::Conflict => TusError::Conflict,
            WriteError::ChecksumMismatch => TusError::ChecksumMismatch,
            WriteError::State(e) => TusError::State(e),
        }
    }
}

impl ResponseError for TusError {
    fn status_code(&self) -> StatusCode {
        match self {
            TusError::Version => StatusCode::PRECONDITION_FAILED,
            TusError::BadRequest(_) => StatusCode::BAD_REQUEST,
            TusError::NotFound => StatusCode::NOT_FOUND,
            TusError::Conflict => StatusCode::CONFLICT,
            TusError::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TusError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            TusError::ChecksumMismatch => StatusCode::from_u16(460).expect("460 is a valid status"),
            TusError::Locked => StatusCode::LOCKED,
            TusError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            TusError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            TusError::State(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            TusError::State(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        response.insert_header(("Tus-Resumable", VERSION));
        match self {
            TusError::Version => {
                response.insert_header(("Tus-Version", VERSION));
            }
            TusError::Locked => {
                response.insert_header(("Retry-After", "1"));
            }
            TusError::Busy => {
                response.insert_header(("Retry-After", upload::BUSY_RETRY_AFTER_SECS.to_string()));
            }
            TusError::State(e) => {
                tracing::error!(error.cause_chain = ?e, status = status.as_u16(), "tus request failed");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response.insert_header(("Retry-After", RETRY_AFTER_SECS));
                }
                return response.content_type("text/plain; charset=utf-8").body(
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        "unavailable\n"
                    } else {
                        "internal error\n"
                    },
                );
            }
            _ => {}
        }
        let mut response = response
            .content_type("text/plain; charset=utf-8")
            .body(format!("{self}\n"));
        if matches!(self, TusError::ChecksumMismatch) {
            response.head_mut().reason = Some("Checksum Mismatch");
        }
        response
    }
}

type TusResult = Result<HttpResponse, TusError>;

fn require_version(request: &HttpRequest) -> Result<(), TusError> {
    match request
        .headers()
        .get("Tus-Resumable")
        .and_then(|v| v.to_str().ok())
    {
        Some(VERSION) => Ok(()),
        _ => Err(TusError::Version),
    }
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn http_date(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn tus_response(status: StatusCode) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .insert_header(("Tus-Resumable", VERSION))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// `OPTIONS`: what this server supports.
async fn options(config: web::Data<Config>) -> HttpResponse {
    tus_response(StatusCode::NO_CONTENT)
        .insert_header(("Tus-Version", VERSION))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Max-Size", config.max_upload_size.to_string()))
        .insert_header(("Tus-Checksum-Algorithm", "sha1,sha256"))
        .finish()
}

/// The parsed `Upload-Metadata` header.
#[derive(Debug)]
struct Metadata {
    raw: Option<String>,
    filename: String,
    filetype: Option<String>,
    max_downloads: Option<i32>,
    max_days: Option<i32>,
    draft: bool,
}

fn parse_metadata(raw: Option<&str>) -> Result<Metadata, TusError> {
    let mut metadata = Metadata {
        raw: raw.map(str::to_owned),
        filename: "file".to_owned(),
        filetype: None,
        max_downloads: None,
        max_days: None,
        draft: false,
    };
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(metadata);
    };
    if raw.len() > 4096 {
        return Err(TusError::BadRequest("Upload-Metadata is too long".into()));
    }
    for pair in raw.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        let key = parts.next().unwrap_or_default();
        let value = match parts.next() {
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        TusError::BadRequest(format!(
                            "Upload-Metadata value of `{key}` is not base64"
                        ))
                    })?;
                String::from_utf8(bytes).map_err(|_| {
                    TusError::BadRequest(format!("Upload-Metadata value of `{key}` is not UTF-8"))
                })?
            }
            None => String::new(),
        };
        match key {
            "filename" | "name" => metadata.filename = names::sanitize(&value),
            "filetype" | "type" => metadata.filetype = parse_filetype(&value)?,
            "max_downloads" | "max-downloads" => {
                metadata.max_downloads = Some(parse_max_downloads(&value).map_err(|e| {
                    TusError::BadRequest(format!("Upload-Metadata `max_downloads` {e}"))
                })?)
            }
            "max_days" | "max-days" => {
                metadata.max_days = Some(
                    value
                        .trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            TusError::BadRequest(
                                "Upload-Metadata `max_days` must be a positive number".into(),
                            )
                        })?,
                )
            }
            "ferry_draft" => metadata.draft = value == "1",
            _ => {}
        }
    }
    Ok(metadata)
}

/// The `filetype` metadata as a `Content-Type` to serve the file with: empty means
/// "guess from the name"; anything that is not a plain MIME type (control characters,
/// non-ASCII, no `/`, over 200 bytes) is refused, since it could never be sent as a
/// header.
fn parse_filetype(value: &str) -> Result<Option<String>, TusError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let plain = value.len() <= 200
        && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && value.parse::<actix_web::mime::Mime>().is_ok();
    if !plain {
        return Err(TusError::BadRequest(
            "Upload-Metadata `filetype` must be a MIME type such as image/png".into(),
        ));
    }
    Ok(Some(value.to_owned()))
}

fn parse_checksum(request: &HttpRequest) -> Result<Option<Checksum>, TusError> {
    header(request, "Upload-Checksum")
        .map(parse_checksum_value)
        .transpose()
}

/// Parses `Upload-Checksum: <algorithm> <base64 digest>`; the digest must have the
/// algorithm's length.
fn parse_checksum_value(value: &str) -> Result<Checksum, TusError> {
    let (algorithm, encoded) = value.trim().split_once(' ').ok_or_else(|| {
        TusError::BadRequest("Upload-Checksum must be `algorithm base64digest`".into())
    })?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| TusError::BadRequest("Upload-Checksum digest is not base64".into()))?;
    let (checksum, length) = match algorithm {
        "sha1" => (Checksum::Sha1(sha1::Sha1::new(), expected), 20),
        "sha256" => (Checksum::Sha256(sha2::Sha256::new(), expected), 32),
        _ => {
            return Err(TusError::BadRequest(format!(
                "checksum algorithm `{}` is not supported (sha1, sha256)",
                algorithm.escape_debug()
            )));
        }
    };
    if checksum.expected_len() != length {
        return Err(TusError::BadRequest(format!(
            "Upload-Checksum digest of {algorithm} must be {length} bytes"
        )));
    }
    Ok(checksum)
}

/// The request's `Content-Length`, if it sent one. actix has already refused a value
/// that is not a `u64`, so this never overflows; callers compare it as `u64`.
fn content_length(request: &HttpRequest) -> Option<u64> {
    header(request, "Content-Length").and_then(|v| v.parse::<u64>().ok())
}

fn take_slot(request: &HttpRequest) -> Result<UploadSlot, TusError> {
    upload::take_slot(request).ok_or(TusError::Busy)
}

/// `POST /files/`: creates an upload, optionally with its first bytes.
///
/// Everything the request says is checked before anything is stored: a bad
/// `Upload-Metadata`, `Upload-Checksum` or length creates nothing. When the first bytes
/// fail (checksum mismatch, stalled or broken body) the upload is removed again: the
/// client never learnt its `Location`, so it could not resume it anyway.
async fn create(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> TusResult {
    require_version(&request)?;
    if header(&request, "Upload-Defer-Length").is_some() {
        return Err(TusError::BadRequest(
            "Upload-Defer-Length is not supported; send Upload-Length".into(),
        ));
    }
    let length: i64 = header(&request, "Upload-Length")
        .ok_or_else(|| TusError::BadRequest("Upload-Length is required".into()))?
        .parse()
        .ok()
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| {
            TusError::BadRequest("Upload-Length must be a non-negative integer".into())
        })?;
    if length as u64 > config.max_upload_size {
        return Err(TusError::TooLarge);
    }
    if length == 0 {
        return Err(TusError::BadRequest("empty files cannot be shared".into()));
    }
    let metadata = parse_metadata(header(&request, "Upload-Metadata"))?;
    let limit = i32::from(config.max_days_limit);
    let max_days = metadata
        .max_days
        .unwrap_or(i32::from(config.default_max_days));
    if max_days > limit {
        return Err(TusError::BadRequest(format!(
            "max_days must be at most {limit}"
        )));
    }
    let with_body = header(&request, "Content-Type") == Some(OFFSET_OCTET_STREAM);
    let (checksum, slot) = if with_body {
        if content_length(&request).is_some_and(|n| n > length as u64) {
            return Err(TusError::TooLarge);
        }
        (parse_checksum(&request)?, Some(take_slot(&request)?))
    } else {
        (None, None)
    };
    let content_type = metadata
        .filetype
        .clone()
        .unwrap_or_else(|| names::guess_type(&metadata.filename));
    let expires_at = Utc::now()
        + chrono::Duration::from_std(config.tus_upload_expiry)
            .unwrap_or(chrono::Duration::hours(24));
    let upload = state
        .create_upload(&NewUpload {
            length,
            metadata: metadata.raw,
            filename: metadata.filename,
            content_type,
            max_downloads: metadata.max_downloads,
            max_days,
            expires_at,
            draft: metadata.draft,
        })
        .await?;
    let base = public_url::base_url(&request, &config);
    let location = format!("{base}/files/{}", upload.id);

    let (offset, transfer) = if with_body {
        let written = write_locked(&state, &upload, 0, checksum, body, &config).await;
        drop(slot);
        match written {
            Ok(written) => written,
            Err(e) => {
                if let Err(cleanup) = state.terminate_upload(&upload.id).await {
                    tracing::warn!(error = %cleanup, "could not remove a failed new upload; it expires");
                }
                return Err(e);
            }
        }
    } else {
        (0, None)
    };
    if let Some(transfer) = &transfer {
        crate::curl_api::enqueue_jobs(&state, &config, transfer).await;
    }
    let mut response = tus_response(StatusCode::CREATED);
    response
        .insert_header((header::LOCATION, location))
        .insert_header(("Upload-Expires", http_date(upload.expires_at)))
        .insert_header(("Upload-Offset", offset.to_string()));
    if let Some(transfer) = transfer {
        share_headers(&mut response, &base, &transfer);
    }
    Ok(response.finish())
}

/// `HEAD /files/{id}`: the upload's offset (and share URL once complete).
async fn head(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> TusResult {
    require_version(&request)?;
    let upload = state.find_upload(&id).await?.ok_or(TusError::NotFound)?;
    let mut response = tus_response(StatusCode::OK);
    response
        .insert_header(("Upload-Offset", upload.offset.to_string()))
        .insert_header(("Upload-Length", upload.length.to_string()));
    if let Some(raw) = &upload.metadata {
        response.insert_header(("Upload-Metadata", raw.as_str()));
    }
    if upload.transfer_token.is_none() {
        response.insert_header(("Upload-Expires", http_date(upload.expires_at)));
    }
    if let Some(token) = &upload.transfer_token
        && let Some(transfer) = state.find_transfer(token).await?
    {
        share_headers(
            &mut response,
            &public_url::base_url(&request, &config),
            &transfer,
        );
    }
    Ok(response.finish())
}

/// `GET /files/{id}`: the upload as JSON (Ferry's own addition, not part of tus).
async fn status(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> TusResult {
    let upload = state.find_upload(&id).await?.ok_or(TusError::NotFound)?;
    let base = public_url::base_url(&request, &config);
    let transfer = match &upload.transfer_token {
        Some(token) => state.find_transfer(token).await?,
        None => None,
    };
    Ok(tus_response(StatusCode::OK).json(serde_json::json!({
        "id": upload.id,
        "offset": upload.offset,
        "length": upload.length,
        "complete": upload.completed_at.is_some() || upload.transfer_token.is_some(),
        "draft": upload.draft,
        "filename": upload.filename,
        "expires_at": upload.expires_at,
        "transfer": transfer.map(|t| share::transfer_json(&base, &t)),
    })))
}

/// `PATCH /files/{id}`: appends bytes at `Upload-Offset`.
async fn patch(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> TusResult {
    require_version(&request)?;
    if header(&request, "Content-Type") != Some(OFFSET_OCTET_STREAM) {
        return Err(TusError::ContentType);
    }
    let offset: i64 = header(&request, "Upload-Offset")
        .and_then(|v| v.parse().ok())
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| {
            TusError::BadRequest("Upload-Offset must be a non-negative integer".into())
        })?;
    let checksum = parse_checksum(&request)?;
    let declared = content_length(&request);
    // Compared as u64: a declared length near u64::MAX must not wrap around.
    if declared.is_some_and(|n| n > config.max_upload_size) {
        return Err(TusError::TooLarge);
    }
    let _slot = take_slot(&request)?;
    let upload = state.find_upload(&id).await?.ok_or(TusError::NotFound)?;
    if offset != upload.offset {
        return Err(TusError::Conflict);
    }
    let remaining = upload.length.saturating_sub(offset).max(0) as u64;
    if declared.is_some_and(|n| n > remaining) {
        return Err(TusError::TooLarge);
    }
    let (new_offset, transfer) =
        write_locked(&state, &upload, offset, checksum, body, &config).await?;
    if let Some(transfer) = &transfer {
        crate::curl_api::enqueue_jobs(&state, &config, transfer).await;
    }
    let mut response = tus_response(StatusCode::NO_CONTENT);
    response.insert_header(("Upload-Offset", new_offset.to_string()));
    match transfer {
        Some(transfer) => share_headers(
            &mut response,
            &public_url::base_url(&request, &config),
            &transfer,
        ),
        None => {
            response.insert_header(("Upload-Expires", http_date(upload.expires_at)));
        }
    }
    Ok(response.finish())
}

/// `DELETE /files/{id}`: termination.
async fn terminate(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<State>,
) -> TusResult {
    require_version(&request)?;
    let holder = lock_holder();
    lock(&state, &id, &holder).await?;
    let existed = state.terminate_upload(&id).await;
    let _ = state.unlock_upload(&id, &holder).await;
    if existed? {
        Ok(tus_response(StatusCode::NO_CONTENT).finish())
    } else {
        Err(TusError::NotFound)
    }
}

/// Under the upload's lock: re-checks the offset, writes the body, and completes the
/// upload when its last byte is in. Returns the new offset and, if complete, the transfer.
async fn write_locked(
    state: &State,
    upload: &Upload,
    offset: i64,
    checksum: Option<Checksum>,
    body: web::Payload,
    config: &Config,
) -> Result<(i64, Option<Transfer>), TusError> {
    let holder = lock_holder();
    lock(state, &upload.id, &holder).await?;
    let refresher = {
        let (state, id, holder) = (state.clone(), upload.id.clone(), holder.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(LOCK_TTL_MS / 3));
            tick.tick().await;
            loop {
                tick.tick().await;
                if !matches!(
                    state.refresh_upload_lock(&id, &holder, LOCK_TTL_MS).await,
                    Ok(true)
                ) {
                    tracing::warn!("lost the upload lock during a PATCH");
                }
            }
        })
    };
    // Aborted on drop too: when the client goes away actix drops this future, and a
    // refresher left running would hold the upload's lock forever.
    let refresher = AbortOnDrop(refresher);
    let result = write_under_lock(state, upload, offset, checksum, body, config).await;
    drop(refresher);
    if let Err(e) = state.unlock_upload(&upload.id, &holder).await {
        tracing::warn!(error = %e, "could not release the upload lock; it will expire");
    }
    result
}

async fn write_under_lock(
    state: &State,
    upload: &Upload,
    offset: i64,
    checksum: Option<Checksum>,
    body: web::Payload,
    config: &Config,
) -> Result<(i64, Option<Transfer>), TusError> {
    // Another PATCH may have finished while we waited for the lock.
    let current = state
        .find_upload(&upload.id)
        .await?
        .ok_or(TusError::NotFound)?;
    if current.offset != offset {
        return Err(TusError::Conflict);
    }
    if current.offset < current.length {
        state
            .discard_uncommitted(current.blob_id, current.offset)
            .await?;
        let target = Target {
            state,
            blob: current.blob_id,
            start: current.offset,
            hash: StreamHash::resume(current.hash_state.as_deref())?,
            limit: current.length,
            chunk_size: config.blob_chunk_size as usize,
            checksum,
            keep_partial: true,
            idle: config.upload_idle_timeout,
        };
        let written = write_body(target, body).await?;
        if written.size < current.length {
            return Ok((written.size, None));
        }
        let sha256 = written.hash.finish();
        let transfer = state.complete_upload(&current.id, &sha256).await?;
        return Ok((written.size, transfer));
    }
    // All bytes are in but the upload was not turned into a transfer yet (its writer
    // died in between), or it already was (a retried final PATCH): complete_upload is
    // idempotent and returns the same transfer either way.
    let sha256 = StreamHash::resume(current.hash_state.as_deref())?.finish();
    let transfer = state.complete_upload(&current.id, &sha256).await?;
    Ok((current.length, transfer))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn lock(state: &State, id: &str, holder: &str) -> Result<(), TusError> {
    match state.lock_upload(id, holder, LOCK_TTL_MS, LOCK_WAIT).await {
        Ok(()) => Ok(()),
        Err(ferry_state::Error::Locked) => Err(TusError::Locked),
        Err(e) => Err(e.into()),
    }
}

fn lock_holder() -> String {
    format!("{}:{}", std::process::id(), uuid::Uuid::new_v4())
}

fn share_headers(response: &mut HttpResponseBuilder, base: &str, transfer: &Transfer) {
    if let Some(file) = transfer.files.first() {
        response
            .insert_header((
                "X-Share-Url",
                share::file_url(base, &transfer.token, &file.name),
            ))
            .insert_header((
                "X-Url-Delete",
                share::delete_url(base, transfer, &file.name),
            ));
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use proptest::prelude::*;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn filetype_with_control_characters_is_refused() {
        assert!(parse_filetype("text/plain\u{1}").is_err());
        assert!(parse_filetype("text/plain\r\nX-Evil: 1").is_err());
        assert!(parse_filetype("textplain").is_err());
        assert_eq!(parse_filetype("").unwrap(), None);
        assert_eq!(
            parse_filetype("application/json; charset=utf-8").unwrap(),
            Some("application/json; charset=utf-8".to_owned())
        );
    }

    #[test]
    fn checksum_digests_must_have_the_algorithms_length() {
        assert!(parse_checksum_value(&format!("sha1 {}", b64(&[0; 20]))).is_ok());
        assert!(parse_checksum_value(&format!("sha256 {}", b64(&[0; 32]))).is_ok());
        assert!(parse_checksum_value(&format!("sha256 {}", b64(&[0; 20]))).is_err());
        assert!(parse_checksum_value("md5 AAAA").is_err());
        assert!(parse_checksum_value("sha1").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// No `Upload-Metadata` value makes the parser panic, and whatever it accepts
        /// is safe to store and to serve: a sanitised name and a type that is a valid
        /// header value.
        #[test]
        fn any_metadata_parses_or_is_refused(raw in any::<String>()) {
            if let Ok(metadata) = parse_metadata(Some(&raw)) {
                prop_assert!(!metadata.filename.is_empty());
                if let Some(filetype) = metadata.filetype {
                    prop_assert!(header::HeaderValue::from_str(&filetype).is_ok());
                }
            }
        }

        /// Well-formed pairs with arbitrary (base64) values: never a panic, and a
        /// filetype that gets through is always a valid header value.
        #[test]
        fn any_decoded_metadata_value_is_safe(
            pairs in proptest::collection::vec(
                ("filename|filetype|max_downloads|max_days|ferry_draft|other", any::<Vec<u8>>()),
                0..6,
            )
        ) {
            let raw = pairs
                .iter()
                .map(|(key, value)| format!("{key} {}", b64(value)))
                .collect::<Vec<_>>()
                .join(",");
            if let Ok(metadata) = parse_metadata(Some(&raw)) {
                prop_assert_eq!(metadata.filename.clone(), names::sanitize(&metadata.filename));
                if let Some(filetype) = &metadata.filetype {
                    prop_assert!(header::HeaderValue::from_str(filetype).is_ok());
                }
                if let Some(n) = metadata.max_downloads {
                    prop_assert!((1..=crate::curl_api::MAX_DOWNLOADS_LIMIT).contains(&n));
                }
            }
        }

        /// Valid metadata survives the round trip through the header.
        #[test]
        fn valid_metadata_round_trips(
            filename in "[a-zA-Z0-9][a-zA-Z0-9 _-]{0,40}\\.[a-z]{1,5}",
            filetype in "(text|image|application)/[a-z][a-z0-9.+-]{0,20}",
            max_downloads in 1..=crate::curl_api::MAX_DOWNLOADS_LIMIT,
            max_days in 1..=3650i32,
            draft in any::<bool>(),
        ) {
            let raw = format!(
                "filename {},filetype {},max_downloads {},max_days {},ferry_draft {}",
                b64(filename.as_bytes()),
                b64(filetype.as_bytes()),
                b64(max_downloads.to_string().as_bytes()),
                b64(max_days.to_string().as_bytes()),
                b64(if draft { b"1" } else { b"0" }),
            );
            let metadata = parse_metadata(Some(&raw)).unwrap();
            prop_assert_eq!(metadata.filename, names::sanitize(&filename));
            prop_assert_eq!(metadata.filetype, Some(filetype));
            prop_assert_eq!(metadata.max_downloads, Some(max_downloads));
            prop_assert_eq!(metadata.max_days, Some(max_days));
            prop_assert_eq!(metadata.draft, draft);
            prop_assert_eq!(metadata.raw, Some(raw));
        }

        /// No `Upload-Checksum` value makes the parser panic; what it accepts names a
        /// supported algorithm with a digest of the right length.
        #[test]
        fn any_checksum_header_parses_or_is_refused(raw in any::<String>()) {
            if let Ok(checksum) = parse_checksum_value(&raw) {
                let expected = if raw.trim_start().starts_with("sha1 ") { 20 } else { 32 };
                prop_assert_eq!(checksum.expected_len(), expected);
            }
        }

        /// Every well-formed checksum of either algorithm is accepted.
        #[test]
        fn valid_checksums_parse(sha1 in any::<bool>(), digest in any::<[u8; 32]>()) {
            let (algorithm, length) = if sha1 { ("sha1", 20) } else { ("sha256", 32) };
            let raw = format!("{algorithm} {}", b64(&digest[..length]));
            prop_assert_eq!(parse_checksum_value(&raw).unwrap().expected_len(), length);
        }
    }
}

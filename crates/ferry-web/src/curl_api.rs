//! The transfer.sh-compatible curl API.
//!
//! ```text
//! curl -T file.pdf https://host/                      PUT /{name}      → share URL
//! curl -F filedata=@a -F filedata=@b https://host/    POST /           → one URL per line
//! curl -X DELETE <X-Url-Delete>                        DELETE /{token}/{name}/{deletion}
//! ```
//! `Max-Downloads` and `Max-Days` request headers limit the transfer. Bodies stream
//! into the blob store; a body over `MAX_UPLOAD_SIZE` is refused with 413 from its
//! `Content-Length` before it is read, or as soon as it grows past the limit.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{Duration, Utc};
use ferry_state::{
    State,
    blob::StreamHash,
    transfer::{NewFile, Transfer, TransferOptions},
};
use futures::StreamExt;

use crate::{
    Config,
    error::{Error, Result},
    names, public_url, share,
    upload::{self, BlobCleanup, BodyStop, Target, write_body},
};

/// Largest `Max-Downloads` an uploader may ask for (curl headers and tus metadata).
pub const MAX_DOWNLOADS_LIMIT: i32 = 1_000_000;

/// `Max-Downloads` and `Max-Days` of an upload request.
pub struct Limits {
    /// Download limit, if any.
    pub max_downloads: Option<i32>,
    /// Lifetime in days.
    pub max_days: i32,
}

impl Limits {
    /// Reads the limits from request headers (defaults from config; 400 on nonsense).
    pub fn from_headers(request: &HttpRequest, config: &Config) -> Result<Limits> {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("?").trim().to_owned())
        };
        let max_downloads = match header("Max-Downloads") {
            None => None,
            Some(v) => Some(
                parse_max_downloads(&v)
                    .map_err(|e| Error::bad_request(format!("Max-Downloads {e}")))?,
            ),
        };
        let max_days = match header("Max-Days") {
            None => i32::from(config.default_max_days),
            Some(v) => parse_max_days(&v, config)
                .map_err(|e| Error::bad_request(format!("Max-Days {e}")))?,
        };
        Ok(Limits {
            max_downloads,
            max_days,
        })
    }

    /// When a transfer made now with these limits expires.
    pub fn expires_at(&self) -> chrono::DateTime<Utc> {
        Utc::now() + Duration::days(i64::from(self.max_days))
    }

    fn options(&self) -> TransferOptions {
        TransferOptions::new(self.expires_at(), self.max_downloads)
    }
}

/// Parses a download limit: a whole number from 1 to [`MAX_DOWNLOADS_LIMIT`]. The error
/// completes a sentence that starts with the field's name.
pub fn parse_max_downloads(value: &str) -> std::result::Result<i32, String> {
    value
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=MAX_DOWNLOADS_LIMIT).contains(n))
        .ok_or_else(|| format!("must be a whole number from 1 to {MAX_DOWNLOADS_LIMIT}"))
}

/// Parses a lifetime in days: a whole number from 1 to `MAX_DAYS_LIMIT`. The error
/// completes a sentence that starts with the field's name.
pub fn parse_max_days(value: &str, config: &Config) -> std::result::Result<i32, String> {
    let limit = i32::from(config.max_days_limit);
    value
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=limit).contains(n))
        .ok_or_else(|| format!("must be a whole number from 1 to {limit}"))
}

/// Refuses a body whose declared length is over the limit (or empty), before reading it.
pub fn check_declared_length(request: &HttpRequest, max: u64, empty_is_error: bool) -> Result<()> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max => Err(Error::TooLarge),
        Some(0) if empty_is_error => Err(Error::bad_request("the body is empty")),
        _ => Ok(()),
    }
}

/// `PUT /{name}` (and `/put/{name}`, `/upload/{name}`): one file, one transfer.
pub async fn put_file(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
    config: web::Data<Config>,
    raw_name: &str,
) -> Result<HttpResponse> {
    check_declared_length(&request, config.max_upload_size, true)?;
    let limits = Limits::from_headers(&request, &config)?;
    let _slot =
        upload::take_slot(&request).ok_or(Error::UploadsBusy(upload::BUSY_RETRY_AFTER_SECS))?;
    let name = names::sanitize(raw_name);
    let mut cleanup = BlobCleanup::new(&state);
    let file = store_file(
        &state,
        &config,
        &mut cleanup,
        name,
        body,
        config.max_upload_size,
    )
    .await?;
    let transfer = state
        .create_transfer(std::slice::from_ref(&file), &limits.options())
        .await?;
    cleanup.disarm();
    enqueue_jobs(&state, &config, &transfer).await;
    Ok(created(&request, &config, &transfer))
}

/// `POST /` with `multipart/form-data`: every file part becomes a file of one transfer.
///
/// The whole body is held to `MAX_UPLOAD_SIZE` as it is read, with or without a
/// `Content-Length`; at most `MAX_FILES_PER_TRANSFER` file parts are accepted; and
/// names are made unique in linear time. When the client goes away, the next read
/// fails (or actix drops this future) and every blob written so far is deleted.
pub async fn post_multipart(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    check_declared_length(&request, config.max_upload_size, true)?;
    let limits = Limits::from_headers(&request, &config)?;
    let _slot =
        upload::take_slot(&request).ok_or(Error::UploadsBusy(upload::BUSY_RETRY_AFTER_SECS))?;
    let (body, meter) =
        upload::guard_body(body, config.upload_idle_timeout, config.max_upload_size);
    let mut multipart = Multipart::new(request.headers(), body);
    let max_files = config.max_files_per_transfer as usize;
    let mut cleanup = BlobCleanup::new(&state);
    let mut files: Vec<NewFile> = Vec::new();
    let mut names = names::UniqueNames::default();
    let mut stored: u64 = 0;
    let outcome: Result<()> = async {
        while let Some(field) = multipart.next().await {
            let mut field =
                field.map_err(|e| Error::bad_request(format!("malformed multipart body: {e}")))?;
            meter.progress();
            let Some(filename) = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(str::to_owned)
            else {
                // A plain form field, not a file: read past it (not kept).
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|e| {
                        Error::bad_request(format!("malformed multipart body: {e}"))
                    })?;
                    meter.progress();
                }
                continue;
            };
            if files.len() >= max_files {
                return Err(Error::bad_request(format!(
                    "too many files: a transfer holds at most {max_files}"
                )));
            }
            let name = names.claim(names::sanitize(&filename));
            let room = config.max_upload_size.saturating_sub(stored);
            let field = field.inspect(|_| meter.progress());
            let file = store_file(&state, &config, &mut cleanup, name, field, room).await?;
            stored += file.size as u64;
            files.push(file);
        }
        Ok(())
    }
    .await;
    // The multipart parser reports a stalled or oversized body as a broken one.
    outcome.map_err(|e| match meter.stopped() {
        Some(BodyStop::Idle) => Error::BodyTimeout,
        Some(BodyStop::TooLarge) => Error::TooLarge,
        Some(BodyStop::Unparsed) => {
            Error::bad_request("a part's headers are too long or never end")
        }
        None => e,
    })?;
    if files.is_empty() {
        return Err(Error::bad_request(
            "no file parts in the form (use -F filedata=@file)",
        ));
    }
    let transfer = state.create_transfer(&files, &limits.options()).await?;
    cleanup.disarm();
    enqueue_jobs(&state, &config, &transfer).await;
    Ok(created(&request, &config, &transfer))
}

/// `DELETE /{token}/{name}/{deletion_token}`: deletes the whole transfer.
pub async fn delete(
    state: web::Data<State>,
    config: web::Data<Config>,
    token: &str,
    name: &str,
    deletion_token: &str,
) -> Result<HttpResponse> {
    let transfer = state.find_transfer(token).await?;
    if transfer.as_ref().is_some_and(|t| t.file(name).is_none()) {
        return Err(Error::NotFound);
    }
    match state.delete_transfer(token, deletion_token).await? {
        Some(id) => {
            // Gone for readers now; the bytes are freed by the purge job (or by the
            // clock's sweep, if this enqueue fails).
            if let Err(e) = state
                .enqueue_purge(id, usize::from(config.common.job_max_attempts))
                .await
            {
                tracing::warn!(error = %e, "could not enqueue the purge; the sweep will");
            }
            Ok(HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body("deleted\n"))
        }
        None => Err(Error::NotFound),
    }
}

/// Enqueues finishing (and bundling) of a new transfer. A failure is logged, not
/// returned: the upload is safe, and the clock's sweep enqueues what is missing.
pub async fn enqueue_jobs(state: &State, config: &Config, transfer: &Transfer) {
    if let Err(e) = state
        .enqueue_transfer_jobs(transfer, usize::from(config.common.job_max_attempts))
        .await
    {
        tracing::warn!(error = %e, transfer = %transfer.id, "could not enqueue finishing jobs; the sweep will");
    }
}

/// Streams one body (at most `limit` bytes) into a new, sealed blob, tracked by
/// `cleanup`. Empty bodies are refused.
async fn store_file<S, E>(
    state: &State,
    config: &Config,
    cleanup: &mut BlobCleanup,
    name: String,
    body: S,
    limit: u64,
) -> Result<NewFile>
where
    S: futures::Stream<Item = std::result::Result<bytes::Bytes, E>>,
    E: std::fmt::Display,
{
    let blob = state.create_blob().await?;
    cleanup.track(blob);
    let target = Target {
        state,
        blob,
        start: 0,
        hash: StreamHash::default(),
        limit: i64::try_from(limit).unwrap_or(i64::MAX),
        chunk_size: config.blob_chunk_size as usize,
        checksum: None,
        keep_partial: false,
        idle: config.upload_idle_timeout,
    };
    let written = write_body(target, body).await?;
    if written.size == 0 {
        return Err(Error::bad_request(format!("`{name}` is empty")));
    }
    let sha256 = written.hash.finish();
    state.finish_blob(blob, &sha256).await?;
    Ok(NewFile {
        content_type: names::guess_type(&name),
        name,
        blob_id: blob,
        size: written.size,
        sha256: sha256.to_vec(),
    })
}

/// The answer to a successful upload: URLs as text (one per line), or JSON.
fn created(request: &HttpRequest, config: &Config, transfer: &Transfer) -> HttpResponse {
    let base = public_url::base_url(request, config);
    let first = transfer
        .files
        .first()
        .map(|f| f.name.as_str())
        .unwrap_or("file");
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Url-Delete", share::delete_url(&base, transfer, first)));
    if share::wants_json(request) {
        return response.json(share::transfer_json(&base, transfer));
    }
    let body: String = transfer
        .files
        .iter()
        .map(|f| share::file_url(&base, &transfer.token, &f.name) + "\n")
        .collect();
    response
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

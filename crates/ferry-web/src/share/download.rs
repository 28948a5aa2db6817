//! Downloads: one file (`/{token}/{name}`, `/get/…` forcing attachment, `/inline/…`,
//! `/preview/…` for the browser's player, PDF viewer or plain text) or the whole
//! transfer as an archive (`/{token}.zip`, `/{token}.tar.gz`).
//!
//! A preview (`/preview/…`) of a transfer without a download limit counts nothing and
//! honours any Range, so a video seeks freely; on a transfer with a limit it is a
//! download like the others below, so previewing can never fetch more than the limit.
//!
//! Every GET of a file or archive counts one download, by one conditional UPDATE in
//! Postgres (so the limit holds across replicas); HEAD never counts. The exception is
//! a resume: a Range request for a file by the client that was counted a download of
//! it within `DOWNLOAD_RESUME_WINDOW` (recognised by its address, or by the resume
//! cookie set with that download) is served without counting, so an interrupted
//! download of a `Max-Downloads: 1` file can be finished; a plain GET always counts, so
//! the limit cannot be stretched by parallel requests. A single byte range is honoured
//! (`206`, `Content-Range`; `416` when unsatisfiable, counting nothing) by starting the
//! blob stream at the right chunk. Every response carries `nosniff`, a sandboxing CSP
//! and a `Content-Disposition` built by `names`.

use actix_web::cookie::Cookie;
use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{Method, StatusCode, header},
    web,
};
use ferry_core::{Service, archive};
use ferry_state::{
    State,
    transfer::{Admission, Blocked, Claim, Downloader, Grant, ResumeRules, StoredFile, Transfer},
};
use futures::{StreamExt, TryStreamExt};

use actix_session::Session;

use crate::{
    config::Config,
    http::{
        error::{Error, Result},
        html, links, names, request, visitor,
    },
};

/// How a file should be presented.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    /// Inline when the type is safe to show, else attachment (`/{token}/{name}`).
    Auto,
    /// Always attachment (`/get/…`).
    Attachment,
    /// Inline when safe (`/inline/…`).
    Inline,
    /// The file's preview (`/preview/…`; `names::preview` says which files have
    /// one): inline, as the type the preview is served as. Free on a transfer without
    /// a download limit; on a limited one it is a download like any other (counted,
    /// resumable under the same grant).
    Preview,
}

/// Serves one file of a transfer.
pub async fn file(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    token: &str,
    name: &str,
    presentation: Presentation,
) -> Result<HttpResponse> {
    let state = service.state();
    let transfer = state
        .find_transfer_to_download(token)
        .await?
        .ok_or(Error::NotFound)?;
    // The password first: without it nothing about the files (which exist, which
    // are used up) may be learnt.
    check_access(&session, &transfer)?;
    let file = transfer.file(name).ok_or(Error::NotFound)?.clone();
    // Its malware scan may keep it back (before anything is counted).
    if let Some(blocked) = file.blocked(scan_required(&request)?) {
        return refuse(&request, blocked, &transfer, Some(&file));
    }
    let preview = match presentation {
        Presentation::Preview => Some(names::preview(&file.content_type).ok_or(Error::NotFound)?),
        _ => None,
    };
    // A preview on a transfer without a download limit costs nothing: there is no
    // limit for it to stretch, and seeking in a video must not be refused by the
    // resume rules a counted download is under. It still holds off the purge, as a
    // download does (`State::admit_free_preview`).
    let free = preview.is_some() && transfer.file_remaining_downloads(&file).is_none();
    // A used-up file is gone for everything but a resume (or the HEAD before one).
    // Limits count per file: another file of the transfer may still have downloads.
    if transfer.file_remaining_downloads(&file) == Some(0)
        && request.method() != Method::HEAD
        && !request.headers().contains_key(header::RANGE)
    {
        return Err(Error::NotFound);
    }
    // Parsed before anything is counted: a bad range (416) costs no download.
    let range = match request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(value) => parse_range(value, file.size)?,
        None => None,
    };
    let (remaining, cookie, grant) = if free {
        if request.method() != Method::HEAD && !state.admit_free_preview(transfer.id).await? {
            return Err(Error::NotFound);
        }
        (None, None, None)
    } else {
        admit(&request, state, &transfer, &file, range).await?
    };

    let (inline, content_type) = match preview {
        Some(preview) => (true, names::preview_type(preview, &file.content_type)),
        None => (
            presentation != Presentation::Attachment && names::may_inline(&file.content_type),
            names::served_type(&file.content_type),
        ),
    };
    let (status, start, end) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end),
        None => (StatusCode::OK, 0, file.size),
    };
    let mut response = HttpResponse::build(status);
    common_headers(&mut response, &transfer, remaining);
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            names::content_disposition(&file.name, inline),
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, format!("\"{}\"", hex::encode(&file.sha256))))
        .insert_header(("Digest", format!("sha-256={}", base64_sha(&file))));
    if status == StatusCode::PARTIAL_CONTENT {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", end - 1, file.size),
        ));
    }
    let length = (end - start) as u64;
    if request.method() == Method::HEAD {
        return Ok(head_response(response, length));
    }
    let body = counted(
        service
            .blobs()
            .read(file.blob_id, start, end)
            .map_err(log_stream_error),
    );
    response.no_chunking(length);
    match grant {
        Some((grant, paid, first_end)) => {
            Ok(response.streaming(claimed(state.clone(), grant, paid, start, first_end, body)))
        }
        None => Ok(response.streaming(body)),
    }
}

/// Most bytes the resumes of one counted download may re-send, in all, from before
/// what it was cleared to send: what socket buffers and proxies held when the
/// connection broke, which the client never received and Ferry cannot see. 8 MiB, and
/// never more than half the file, so a small file is not handed out again whole. A
/// client that lost more in flight (a very fast link with huge buffers) cannot resume
/// and needs a new download.
const RESUME_OVERLAP: i64 = 8 * 1024 * 1024;
/// Bytes admission claims for a stream before its headers are sent.
const FIRST_CLAIM: i64 = 1024 * 1024;

/// `body` (the bytes from `start`), claiming each piece under `grant` before it is
/// handed on (see `State::claim_download_bytes`; one statement per piece, a
/// `BLOB_CHUNK_SIZE` chunk at most): the grant's high-water mark is never behind what
/// went out. A stream whose download a newer resume took over stops (the resume
/// continues it). A counted download (`paid`) whose grant a second counted download by
/// the same client restarted streams on, untracked: each used a download of its own,
/// and the second must not cut the first.
fn claimed(
    state: State,
    grant: Grant,
    paid: bool,
    start: i64,
    cleared: i64,
    body: impl futures::Stream<Item = Result<bytes::Bytes, actix_web::Error>> + 'static,
) -> impl futures::Stream<Item = Result<bytes::Bytes, actix_web::Error>> + 'static {
    async_stream::stream! {
        let mut body = Box::pin(body);
        let mut position = start;
        // Admission claimed the first piece already: it goes out unchecked, so a
        // stream is never cut before it has sent anything (a small file, never).
        let mut cleared = cleared;
        let mut tracked = true;
        while let Some(item) = body.next().await {
            let chunk = match item {
                Ok(chunk) => chunk,
                Err(e) => {
                    yield Err(e);
                    break;
                }
            };
            let end = position + chunk.len() as i64;
            let claim = if tracked && end > cleared {
                state.claim_download_bytes(&grant, end).await
            } else {
                Ok(Claim::Cleared)
            };
            cleared = cleared.max(end);
            match claim {
                Ok(Claim::Cleared) => {}
                Ok(Claim::Restarted) if paid => tracked = false,
                Ok(_) => {
                    tracing::info!("download stopped: a newer resume took over its grant");
                    yield Err(actix_web::error::ErrorConflict("superseded"));
                    break;
                }
                Err(e) => {
                    yield Err(log_stream_error(e));
                    break;
                }
            }
            position = end;
            yield Ok(chunk);
        }
    }
}

/// Most bytes of a text file the share page shows (and reads).
pub const TEXT_PREVIEW_BYTES: i64 = 64 * 1024;

/// The start of a text file for the share page: at most `TEXT_PREVIEW_BYTES`, read
/// from the blob store (never the whole file), cut at the last whole UTF-8 character,
/// and whether there is more. `None` when it is not text after all (a NUL byte, or
/// not UTF-8). The caller checks access and cost: this reads, and counts nothing.
pub async fn text_excerpt(service: &Service, file: &StoredFile) -> Result<Option<(String, bool)>> {
    let end = file.size.min(TEXT_PREVIEW_BYTES);
    let mut bytes = Vec::with_capacity(usize::try_from(end).unwrap_or(0));
    let mut stream = Box::pin(service.blobs().read(file.blob_id, 0, end));
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    bytes.truncate(usize::try_from(end).unwrap_or(0));
    if bytes.contains(&0) {
        return Ok(None);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // A character cut by the 64 KiB boundary is dropped; anything else is not text.
        Err(e) if e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))?
        }
        Err(_) => return Ok(None),
    };
    Ok(Some((text, file.size > end)))
}

/// Serves the worker-made preview of an image file (`/thumb/{token}/{name}`): a small
/// JPEG, never counted as a download. 404 until the worker has made it.
pub async fn thumbnail(
    request: &HttpRequest,
    session: Session,
    service: web::Data<Service>,
    token: &str,
    name: &str,
) -> Result<HttpResponse> {
    let transfer = service
        .state()
        .find_transfer(token)
        .await?
        .ok_or(Error::NotFound)?;
    check_access(&session, &transfer)?;
    let file = transfer.file(name).ok_or(Error::NotFound)?;
    if let Some(blocked) = file.blocked(scan_required(request)?) {
        return Err(Error::Blocked(blocked));
    }
    let blob = file.thumbnail_blob_id.ok_or(Error::NotFound)?;
    let blobs = service.blobs();
    let size = blobs.state(blob).await?.ok_or(Error::NotFound)?.size;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, "image/jpeg"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .no_chunking(size as u64);
    Ok(response.streaming(blobs.read(blob, 0, size).map_err(log_stream_error)))
}

/// Serves a whole transfer as `.zip` or `.tar.gz`.
pub async fn archive(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    token: &str,
    format: ArchiveFormat,
) -> Result<HttpResponse> {
    let state = service.state();
    let transfer = state.find_transfer(token).await?.ok_or(Error::NotFound)?;
    check_access(&session, &transfer)?;
    // Files their malware scan keeps back are left out; while one is still being
    // checked (SCAN_REQUIRED), the archive waits for it rather than go without it.
    let required = scan_required(&request)?;
    let blocked: Vec<_> = transfer
        .files
        .iter()
        .filter_map(|f| f.blocked(required).map(|b| (b, f)))
        .collect();
    if let Some((_, file)) = blocked.iter().find(|(b, _)| *b == Blocked::Pending) {
        return refuse(&request, Blocked::Pending, &transfer, Some(file));
    }
    if blocked.len() == transfer.files.len()
        && let Some((b, file)) = blocked.first()
    {
        return refuse(&request, *b, &transfer, Some(file));
    }
    let files: Vec<StoredFile> = transfer
        .files
        .iter()
        .filter(|f| f.blocked(required).is_none())
        .cloned()
        .collect();
    let complete = blocked.is_empty();
    // An archive is one download of every file in it, and only while each has one.
    let remaining = if request.method() == Method::HEAD {
        transfer.archive_remaining_downloads()
    } else {
        state
            .claim_archive_download(transfer.id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let mut response = HttpResponse::Ok();
    common_headers(&mut response, &transfer, remaining);
    let blobs = service.blobs().clone();
    match format {
        ArchiveFormat::Zip => {
            let plan = archive::zip_plan(&files, transfer.created_at);
            response
                .insert_header((header::CONTENT_TYPE, "application/zip"))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    names::content_disposition(&format!("{token}.zip"), false),
                ))
                .no_chunking(plan.len());
            if request.method() == Method::HEAD {
                return Ok(head_response(response, plan.len()));
            }
            // The worker stores the zip of multi-file transfers (the same bytes);
            // until it has, or when a file is left out, the zip is built while it
            // streams.
            match transfer.bundle_blob_id.filter(|_| complete) {
                Some(blob) => Ok(response.streaming(counted(
                    blobs
                        .read(blob, 0, plan.len() as i64)
                        .map_err(log_stream_error),
                ))),
                None => Ok(response.streaming(counted(
                    archive::zip_stream(blobs, files, plan).map_err(log_stream_error),
                ))),
            }
        }
        ArchiveFormat::TarGz => {
            response
                .insert_header((header::CONTENT_TYPE, "application/gzip"))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    names::content_disposition(&format!("{token}.tar.gz"), false),
                ));
            if request.method() == Method::HEAD {
                return Ok(response.finish());
            }
            Ok(response.streaming(counted(
                archive::tar_gz_stream(blobs, files, transfer.created_at).map_err(log_stream_error),
            )))
        }
    }
}

/// Archive formats of `/{token}.{ext}`.
#[derive(Clone, Copy)]
pub enum ArchiveFormat {
    /// `.zip` (stored).
    Zip,
    /// `.tar.gz`.
    TarGz,
}

impl ArchiveFormat {
    /// Splits `abc.zip` into (`abc`, Zip).
    pub fn split(name: &str) -> Option<(&str, ArchiveFormat)> {
        if let Some(token) = name.strip_suffix(".zip") {
            Some((token, ArchiveFormat::Zip))
        } else {
            name.strip_suffix(".tar.gz")
                .map(|token| (token, ArchiveFormat::TarGz))
        }
    }
}

/// Decides whether this request may have the file, and counts it when it must: HEAD
/// counts nothing (and, on a used-up transfer, answers only a client that may still
/// resume); a Range request by a client that may resume counts nothing, if it starts
/// where the counted download left off (see `State::admit_download_at`); anything else
/// counts one download. Returns the downloads left, for a counted download of a
/// limited transfer the resume cookie to set, and the grant the stream claims its
/// bytes under (with whether the stream is a counted download). `404` when nothing is
/// left.
async fn admit(
    request: &HttpRequest,
    state: &State,
    transfer: &Transfer,
    file: &StoredFile,
    range: Option<(i64, i64)>,
) -> Result<(
    Option<i32>,
    Option<Cookie<'static>>,
    Option<(Grant, bool, i64)>,
)> {
    let config = request
        .app_data::<web::Data<Config>>()
        .ok_or_else(|| Error::Internal("web config missing".into()))?;
    let address = request::client_ip(request, config);
    let cookie = request.cookie(&config.cookie_name(&resume_cookie_name(transfer, file)));
    let who = Downloader {
        address: &address,
        resume_secret: cookie.as_ref().map(|c| c.value()),
    };
    let window = config.download_resume_window;
    if request.method() == Method::HEAD {
        if transfer.file_remaining_downloads(file) == Some(0)
            && !state
                .may_resume(transfer.id, &file.name, who, window)
                .await?
        {
            return Err(Error::NotFound);
        }
        return Ok((transfer.file_remaining_downloads(file), None, None));
    }
    // The first piece the stream sends (a blob read hands out at most 1 MiB at a time).
    let (start, end) = range.unwrap_or((0, file.size));
    let first_end = end.min(start.saturating_add(FIRST_CLAIM));
    let rules = ResumeRules {
        window,
        max_resumes: i32::try_from(config.download_resumes).unwrap_or(i32::MAX),
        overlap: RESUME_OVERLAP.min(file.size / 2),
    };
    let (admission, grant) = state
        .admit_download_at(
            transfer.id,
            &file.name,
            who,
            range.map(|(start, _)| start),
            first_end,
            rules,
        )
        .await?
        .ok_or(Error::NotFound)?;
    Ok(match admission {
        Admission::Counted {
            remaining,
            resume_secret,
        } => (
            remaining,
            resume_secret.map(|secret| resume_cookie(config, transfer, file, secret, window)),
            grant.map(|grant| (grant, true, first_end)),
        ),
        Admission::Resumed(remaining) => (
            remaining,
            None,
            grant.map(|grant| (grant, false, first_end)),
        ),
    })
}

/// The resume cookie's name for one file: one per file, so resuming one download
/// never invalidates another's (the name reveals nothing: a hash).
fn resume_cookie_name(transfer: &Transfer, file: &StoredFile) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(transfer.id.as_bytes())
        .chain_update(file.id.as_bytes())
        .finalize();
    format!("ferry_resume_{}", hex::encode(&digest[..8]))
}

/// The cookie that lets this client resume the download it was just counted, from
/// any address, for `window`. `HttpOnly`, `SameSite=Lax`; `Secure` behind https (added
/// to every cookie by `mark_cookies_secure`).
fn resume_cookie(
    config: &Config,
    transfer: &Transfer,
    file: &StoredFile,
    secret: String,
    window: std::time::Duration,
) -> Cookie<'static> {
    Cookie::build(
        config.cookie_name(&resume_cookie_name(transfer, file)),
        secret,
    )
    .path("/")
    .http_only(true)
    .same_site(actix_web::cookie::SameSite::Lax)
    .max_age(actix_web::cookie::time::Duration::seconds(
        i64::try_from(window.as_secs()).unwrap_or(i64::MAX),
    ))
    .finish()
}

/// A HEAD answer that announces the `Content-Length` a GET would send (actix writes
/// the length of the body it is given, so give it a sized, empty body).
fn head_response(mut response: HttpResponseBuilder, length: u64) -> HttpResponse {
    response.body(actix_web::body::SizedStream::new(
        length,
        futures::stream::empty::<Result<bytes::Bytes, actix_web::Error>>(),
    ))
}

/// Whether this web process serves only files whose scan finished (SCAN_REQUIRED).
fn scan_required(request: &HttpRequest) -> Result<bool> {
    let config = request
        .app_data::<web::Data<Config>>()
        .ok_or_else(|| Error::Internal("web config missing".into()))?;
    Ok(config.common.scan.scan_required)
}

/// The answer for a file its malware scan keeps back: a page for a browser, else the
/// JSON error (`malware_found`, `not_scanned`, or `being_scanned` with `Retry-After`).
fn refuse(
    request: &HttpRequest,
    blocked: Blocked,
    transfer: &Transfer,
    file: Option<&StoredFile>,
) -> Result<HttpResponse> {
    if request::wants_html(request) {
        let status = Error::Blocked(blocked).status();
        Ok(html::blocked_page(request, status, blocked, transfer, file))
    } else {
        Err(Error::Blocked(blocked))
    }
}

/// A password-protected transfer is served only to sessions that unlocked it on its
/// share page (403 `password_required` otherwise; nothing is counted).
fn check_access(session: &Session, transfer: &Transfer) -> Result<()> {
    if transfer.password_hash.is_some() && !visitor::has_unlocked(session, &transfer.token) {
        return Err(Error::Forbidden("password_required"));
    }
    Ok(())
}

fn common_headers(response: &mut HttpResponseBuilder, transfer: &Transfer, remaining: Option<i32>) {
    response
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "X-Remaining-Days",
            links::remaining_days(transfer).to_string(),
        ));
    if let Some(left) = remaining {
        response.insert_header(("X-Remaining-Downloads", left.max(0).to_string()));
    }
}

fn base64_sha(file: &StoredFile) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(&file.sha256)
}

/// Counts bytes as they leave (a download cut short counts what was sent).
fn counted(
    stream: impl futures::Stream<Item = Result<bytes::Bytes, actix_web::Error>>,
) -> impl futures::Stream<Item = Result<bytes::Bytes, actix_web::Error>> {
    stream.inspect_ok(|chunk| {
        metrics::counter!(ferry_telemetry::DOWNLOAD_BYTES).increment(chunk.len() as u64)
    })
}

fn log_stream_error(error: ferry_state::Error) -> actix_web::Error {
    tracing::error!(error.cause_chain = ?error, "download stream failed");
    actix_web::error::ErrorInternalServerError("download failed")
}

/// Parses a `Range` header against a file of `size` bytes into `[start, end)`.
///
/// Guarantees, for any input: no panic, no overflow, and `Ok(Some((start, end)))` only
/// with `0 <= start < end <= size`. Follows RFC 9110 §14.1.2 / §14.2:
/// - `bytes=a-b` serves `a..=min(b, size-1)` (a last-byte-pos past the end is clamped,
///   however large, `bytes=0-9223372036854775807` included);
/// - `bytes=a-` serves from `a`; `bytes=-n` the last `n` bytes (all of them if `n`
///   is larger than the file);
/// - a first-byte-pos at or past the end, or `bytes=-0`, is unsatisfiable (`Err`, 416);
/// - anything else — another unit, a syntax error, `b < a`, signs, or several ranges —
///   is `Ok(None)`: the header is ignored and the whole file is sent (200), which the
///   RFC allows. Several ranges are not served as `multipart/byteranges`.
pub fn parse_range(value: &str, size: i64) -> Result<Option<(i64, i64)>> {
    let size = u64::try_from(size).unwrap_or(0);
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return Ok(None);
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => {
            let Some(suffix) = position(last) else {
                return Ok(None);
            };
            if suffix == 0 || size == 0 {
                return Err(Error::RangeNotSatisfiable(size as i64));
            }
            (size.saturating_sub(suffix), size)
        }
        (false, true) => {
            let Some(start) = position(first) else {
                return Ok(None);
            };
            (start, size)
        }
        (false, false) => {
            let (Some(start), Some(last)) = (position(first), position(last)) else {
                return Ok(None);
            };
            if last < start {
                return Ok(None);
            }
            (start, last.saturating_add(1).min(size))
        }
    };
    if start >= size {
        return Err(Error::RangeNotSatisfiable(size as i64));
    }
    // start < end <= size <= i64::MAX, so both fit.
    Ok(Some((start as i64, end as i64)))
}

/// A byte position: one or more ASCII digits (no sign, no spaces); a number too large
/// for `u64` is still a valid position, just past any file, so it saturates.
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99", 1000).unwrap(), Some((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000).unwrap(), Some((900, 1000)));
        assert_eq!(parse_range("bytes=-100", 1000).unwrap(), Some((900, 1000)));
        assert_eq!(
            parse_range("bytes=990-2000", 1000).unwrap(),
            Some((990, 1000))
        );
        assert_eq!(parse_range("bytes=0-1,5-6", 1000).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 1000).unwrap(), None);
        assert!(matches!(
            parse_range("bytes=1000-", 1000),
            Err(Error::RangeNotSatisfiable(1000))
        ));
        assert!(matches!(
            parse_range("bytes=-0", 1000),
            Err(Error::RangeNotSatisfiable(1000))
        ));
    }

    #[test]
    fn huge_and_odd_ranges_are_clamped_refused_or_ignored() {
        assert_eq!(
            parse_range("bytes=0-9223372036854775807", 1000).unwrap(),
            Some((0, 1000))
        );
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999999", 1000).unwrap(),
            Some((0, 1000))
        );
        assert_eq!(
            parse_range("bytes=-9223372036854775807", 1000).unwrap(),
            Some((0, 1000))
        );
        assert!(parse_range("bytes=9223372036854775807-", 1000).is_err());
        assert!(parse_range("bytes=99999999999999999999999-", 1000).is_err());
        assert!(parse_range("bytes=0-", 0).is_err());
        assert_eq!(parse_range("BYTES = 1-2", 1000).unwrap(), Some((1, 3)));
        for garbage in [
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=--5",
            "bytes=a-b",
            "bytes=5-1",
            "bytes=-",
            "bytes=",
            "bytes",
            "=0-1",
            "bytes=0x10-",
            "bytes=1 2-3",
        ] {
            assert_eq!(parse_range(garbage, 1000).unwrap(), None, "{garbage}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]

        /// Any header text against any size: never panics, and a range it accepts lies
        /// inside the file.
        #[test]
        fn any_range_header_yields_a_range_inside_the_file(
            value in "(?i:bytes)?[ =,+-]{0,3}[0-9]{0,25}[ ,+-]{0,3}[0-9]{0,25}[ ,-]{0,2}.{0,4}",
            size in proptest::prop_oneof![0i64..4096, proptest::num::i64::ANY],
        ) {
            if let Ok(Some((start, end))) = parse_range(&value, size) {
                proptest::prop_assert!(0 <= start && start < end && end <= size);
            }
        }

        /// Well-formed `bytes=a-b` against any size: served exactly as RFC 9110 says.
        #[test]
        fn well_formed_ranges_are_served_as_the_rfc_says(
            a in proptest::num::u64::ANY,
            b in proptest::num::u64::ANY,
            size in 0i64..=i64::MAX,
        ) {
            match parse_range(&format!("bytes={a}-{b}"), size) {
                Ok(Some((start, end))) => {
                    proptest::prop_assert_eq!(start as u64, a);
                    proptest::prop_assert_eq!(end as u64, b.saturating_add(1).min(size as u64));
                }
                Ok(None) => proptest::prop_assert!(b < a),
                Err(_) => proptest::prop_assert!(a >= size as u64 && b >= a),
            }
        }
    }
}

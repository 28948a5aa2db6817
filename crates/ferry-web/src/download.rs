//! Downloads: one file (`/{token}/{name}`, `/get/…` forcing attachment, `/inline/…`)
//! or the whole transfer as an archive (`/{token}.zip`, `/{token}.tar.gz`).
//!
//! Every GET of a file or archive counts one download, by one conditional UPDATE in
//! Postgres (so the limit holds across replicas); HEAD never counts. A single byte
//! range is honoured (`206`, `Content-Range`; `416` when unsatisfiable) by starting the
//! blob stream at the right chunk. Every response carries `nosniff`, a sandboxing CSP
//! and a `Content-Disposition` built by `names`.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{Method, StatusCode, header},
    web,
};
use ferry_state::{
    State,
    transfer::{StoredFile, Transfer},
};
use futures::TryStreamExt;

use actix_session::Session;

use crate::{
    archive,
    error::{Error, Result},
    names, share, visitor,
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
}

/// Serves one file of a transfer.
pub async fn file(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    token: &str,
    name: &str,
    presentation: Presentation,
) -> Result<HttpResponse> {
    let transfer = state.find_transfer(token).await?.ok_or(Error::NotFound)?;
    check_access(&session, &transfer)?;
    let file = transfer.file(name).ok_or(Error::NotFound)?.clone();
    let range = match request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(value) => parse_range(value, file.size)?,
        None => None,
    };
    let remaining = if request.method() == Method::HEAD {
        transfer.remaining_downloads()
    } else {
        state
            .claim_download(transfer.id)
            .await?
            .ok_or(Error::NotFound)?
    };

    let inline = presentation != Presentation::Attachment && names::may_inline(&file.content_type);
    let (status, start, end) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end),
        None => (StatusCode::OK, 0, file.size),
    };
    let mut response = HttpResponse::build(status);
    common_headers(&mut response, &transfer, remaining);
    response
        .insert_header((header::CONTENT_TYPE, names::served_type(&file.content_type)))
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
        state
            .read_blob(file.blob_id, start, end)
            .map_err(log_stream_error),
    );
    response.no_chunking(length);
    Ok(response.streaming(body))
}

/// Serves the worker-made preview of an image file (`/thumb/{token}/{name}`): a small
/// JPEG, never counted as a download. 404 until the worker has made it.
pub async fn thumbnail(
    session: Session,
    state: web::Data<State>,
    token: &str,
    name: &str,
) -> Result<HttpResponse> {
    let transfer = state.find_transfer(token).await?.ok_or(Error::NotFound)?;
    check_access(&session, &transfer)?;
    let blob = transfer
        .file(name)
        .and_then(|f| f.thumbnail_blob_id)
        .ok_or(Error::NotFound)?;
    let size = state.blob_state(blob).await?.ok_or(Error::NotFound)?.size;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, "image/jpeg"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .no_chunking(size as u64);
    Ok(response.streaming(state.read_blob(blob, 0, size).map_err(log_stream_error)))
}

/// Serves a whole transfer as `.zip` or `.tar.gz`.
pub async fn archive(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    token: &str,
    format: ArchiveFormat,
) -> Result<HttpResponse> {
    let transfer = state.find_transfer(token).await?.ok_or(Error::NotFound)?;
    check_access(&session, &transfer)?;
    let remaining = if request.method() == Method::HEAD {
        transfer.remaining_downloads()
    } else {
        state
            .claim_download(transfer.id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let mut response = HttpResponse::Ok();
    common_headers(&mut response, &transfer, remaining);
    let state = state.get_ref().clone();
    let files = transfer.files.clone();
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
            // until it has, the zip is built while it streams.
            match transfer.bundle_blob_id {
                Some(blob) => Ok(response.streaming(counted(
                    state
                        .read_blob(blob, 0, plan.len() as i64)
                        .map_err(log_stream_error),
                ))),
                None => Ok(response.streaming(counted(
                    archive::zip_stream(state, files, plan).map_err(log_stream_error),
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
                archive::tar_gz_stream(state, files, transfer.created_at).map_err(log_stream_error),
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

/// A HEAD answer that announces the `Content-Length` a GET would send (actix writes
/// the length of the body it is given, so give it a sized, empty body).
fn head_response(mut response: HttpResponseBuilder, length: u64) -> HttpResponse {
    response.body(actix_web::body::SizedStream::new(
        length,
        futures::stream::empty::<Result<bytes::Bytes, actix_web::Error>>(),
    ))
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
            share::remaining_days(transfer).to_string(),
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

/// Parses a single `bytes=` range against a file of `size` bytes into `[start, end)`.
/// `Ok(None)` means "ignore the header and send everything" (several ranges, or a
/// syntax we do not serve, which RFC 9110 allows).
pub fn parse_range(value: &str, size: i64) -> Result<Option<(i64, i64)>> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let parse = |s: &str| s.trim().parse::<i64>().ok();
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => {
            let Some(suffix) = parse(last) else {
                return Ok(None);
            };
            if suffix == 0 || size == 0 {
                return Err(Error::RangeNotSatisfiable(size));
            }
            ((size - suffix).max(0), size)
        }
        (false, true) => {
            let Some(start) = parse(first) else {
                return Ok(None);
            };
            (start, size)
        }
        (false, false) => {
            let (Some(start), Some(last)) = (parse(first), parse(last)) else {
                return Ok(None);
            };
            if last < start {
                return Ok(None);
            }
            (start, (last + 1).min(size))
        }
        (true, true) => return Ok(None),
    };
    if start >= size {
        return Err(Error::RangeNotSatisfiable(size));
    }
    Ok(Some((start, end)))
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
}

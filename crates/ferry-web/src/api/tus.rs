//! tus 1.0 resumable uploads at `/files/`: core protocol plus creation,
//! creation-with-upload, creation-defer-length, expiration, checksum (`sha1`,
//! `sha256`), termination and concatenation.
//!
//! No state lives in the process: an upload's offset is its blob's committed size in
//! Postgres, and PATCHes on one upload are serialised by a Redis lock every web process
//! sees (see `ferry_state::tus`). An upload started through one process continues
//! through any other, and bytes acknowledged with an `Upload-Offset` are durable.
//!
//! When the last byte arrives the upload becomes a transfer with one file; the share
//! URL comes back in `X-Share-Url` (and `X-Url-Delete`) on that PATCH, on HEAD, and in
//! `GET /files/{id}` as JSON.
//!
//! Parallel uploads (concatenation): pieces created with `Upload-Concat: partial`
//! never become transfers; `Upload-Concat: final;/files/a /files/b` makes one upload
//! of their bytes, in that order, which becomes the transfer (its 201 carries the
//! share URL) and removes the pieces. A stream of unknown size is created with
//! `Upload-Defer-Length: 1` and declares `Upload-Length` on a later PATCH, at the
//! latest on the one with its last bytes; until then it may grow to `Tus-Max-Size`.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError,
    http::{StatusCode, header},
    web,
};
use base64::Engine;
use chrono::{DateTime, Utc};
use ferry_core::{FileName, MaxDownloads, NewUploadRequest, Service, blob::Checksum};
use ferry_state::{transfer::Transfer, tus::Upload};

use crate::{
    Config,
    http::{
        budget::{self, Hold},
        caller,
        error::Error,
        links,
        password::Passwords,
        request,
        upload_limits::{self, UploadSlot},
    },
};
use actix_session::Session;

/// The tus protocol version spoken here.
pub const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,expiration,\
                          checksum,termination,concatenation";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

type TusResult = Result<HttpResponse, Tus>;

fn require_version(request: &HttpRequest) -> Result<(), Tus> {
    match request
        .headers()
        .get("Tus-Resumable")
        .and_then(|v| v.to_str().ok())
    {
        Some(VERSION) => Ok(()),
        _ => Err(Tus(Error::TusVersion)),
    }
}

fn bad_request(message: impl Into<String>) -> Tus {
    Tus(Error::BadRequest(message.into()))
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
pub async fn options(config: web::Data<Config>) -> HttpResponse {
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
    filename: FileName,
    filetype: Option<String>,
    max_downloads: Option<MaxDownloads>,
    max_days: Option<String>,
    draft: bool,
    /// The link token of the file request it goes into (`file_request`).
    file_request: Option<String>,
    /// That request's password, if it has one (`file_request_password`).
    file_request_password: Option<String>,
}

fn parse_metadata(raw: Option<&str>) -> Result<Metadata, Tus> {
    let mut metadata = Metadata {
        raw: raw.map(str::to_owned),
        filename: FileName::parse("file"),
        filetype: None,
        max_downloads: None,
        max_days: None,
        draft: false,
        file_request: None,
        file_request_password: None,
    };
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(metadata);
    };
    if raw.len() > 4096 {
        return Err(bad_request("Upload-Metadata is too long"));
    }
    for pair in raw.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        let key = parts.next().unwrap_or_default();
        let value = match parts.next() {
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        bad_request(format!("Upload-Metadata value of `{key}` is not base64"))
                    })?;
                String::from_utf8(bytes).map_err(|_| {
                    bad_request(format!("Upload-Metadata value of `{key}` is not UTF-8"))
                })?
            }
            None => String::new(),
        };
        match key {
            "filename" | "name" => metadata.filename = FileName::parse(&value),
            "filetype" | "type" => metadata.filetype = parse_filetype(&value)?,
            "max_downloads" | "max-downloads" => {
                metadata.max_downloads = Some(
                    MaxDownloads::parse(&value)
                        .map_err(|e| bad_request(format!("Upload-Metadata `max_downloads` {e}")))?,
                )
            }
            // Checked against the deployment's lifetimes by the service.
            "max_days" | "max-days" => metadata.max_days = Some(value),
            "ferry_draft" => metadata.draft = value == "1",
            "file_request" => metadata.file_request = Some(value),
            "file_request_password" => metadata.file_request_password = Some(value),
            _ => {}
        }
    }
    // A request's password is checked, never kept: the metadata is stored and echoed
    // back to anyone who learns the upload's id.
    if metadata.file_request_password.is_some() {
        metadata.raw = Some(
            raw.split(',')
                .filter(|pair| pair.trim().split(' ').next() != Some("file_request_password"))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    Ok(metadata)
}

/// The `filetype` metadata as a `Content-Type` to serve the file with: empty means
/// "guess from the name"; anything that is not a plain MIME type (control characters,
/// non-ASCII, no `/`, over 200 bytes) is refused, since it could never be sent as a
/// header.
fn parse_filetype(value: &str) -> Result<Option<String>, Tus> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let plain = value.len() <= 200
        && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && value.parse::<actix_web::mime::Mime>().is_ok();
    if !plain {
        return Err(bad_request(
            "Upload-Metadata `filetype` must be a MIME type such as image/png",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// An `Upload-Length` value.
fn parse_length(value: &str) -> Result<u64, Tus> {
    value
        .parse()
        .map_err(|_| bad_request("Upload-Length must be a non-negative integer"))
}

/// What `Upload-Concat` asks for.
#[derive(Debug, PartialEq)]
enum Concat {
    /// An ordinary upload.
    None,
    /// A piece of a parallel upload.
    Partial,
    /// The concatenation of these uploads (ids), in order; `value` is the header to
    /// echo on HEAD.
    Final { parts: Vec<String>, value: String },
}

/// Parses `Upload-Concat`: `partial`, or `final;` and the space-separated URLs (or
/// paths) of the partial uploads, each ending in `/files/{id}`.
fn parse_concat(raw: Option<&str>) -> Result<Concat, Tus> {
    let Some(raw) = raw else {
        return Ok(Concat::None);
    };
    if raw == "partial" {
        return Ok(Concat::Partial);
    }
    let Some(urls) = raw.strip_prefix("final;") else {
        return Err(bad_request(
            "Upload-Concat must be `partial` or `final;` followed by the partial uploads' URLs",
        ));
    };
    if raw.len() > 16 * 1024 {
        return Err(bad_request("Upload-Concat is too long"));
    }
    let parts = urls
        .split_ascii_whitespace()
        .map(|url| {
            let path = url.split(['?', '#']).next().unwrap_or_default();
            match path.rsplit_once("/files/") {
                Some((_, id))
                    if !id.is_empty()
                        && id.len() <= 64
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    Ok(id.to_owned())
                }
                _ => Err(bad_request(format!(
                    "Upload-Concat: `{}` is not the URL of an upload here (…/files/ID)",
                    url.chars().take(100).collect::<String>()
                ))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Echoed on HEAD as paths, whatever form the client sent.
    let value = format!(
        "final;{}",
        parts
            .iter()
            .map(|id| format!("/files/{id}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(Concat::Final { parts, value })
}

fn parse_checksum(request: &HttpRequest) -> Result<Option<Checksum>, Tus> {
    Ok(header(request, "Upload-Checksum")
        .map(Checksum::parse)
        .transpose()?)
}

/// The request's `Content-Length`, if it sent one. actix has already refused a value
/// that is not a `u64`, so this never overflows; callers compare it as `u64`.
fn take_slot(request: &HttpRequest) -> Result<UploadSlot, Tus> {
    upload_limits::take_slot(request).ok_or(Tus(Error::UploadsBusy(
        upload_limits::BUSY_RETRY_AFTER_SECS,
    )))
}

/// `POST /files/`: creates an upload, optionally with its first bytes.
///
/// Everything the request says is checked before anything is stored: a bad
/// `Upload-Metadata`, `Upload-Checksum` or length creates nothing. When the first bytes
/// fail (checksum mismatch, stalled or broken body) the upload is removed again: the
/// client never learnt its `Location`, so it could not resume it anyway.
pub async fn create(
    request: HttpRequest,
    session: Session,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
) -> TusResult {
    require_version(&request)?;
    let concat = parse_concat(header(&request, "Upload-Concat"))?;
    let metadata = parse_metadata(header(&request, "Upload-Metadata"))?;
    let with_body = header(&request, "Content-Type") == Some(OFFSET_OCTET_STREAM);
    // Who uploads: a token sent must be good; an upload into a file request is open
    // to anyone (and is the request owner's), any other needs an account when
    // `UPLOADS=members`, and is the caller's.
    let caller = caller::of(&request, &session, &service, &config).await?;
    let owner = match metadata.file_request {
        Some(_) => None,
        None => caller.uploader(&config)?,
    };
    let new = |length| NewUploadRequest {
        length,
        metadata: metadata.raw.clone(),
        filename: metadata.filename.clone(),
        filetype: metadata.filetype.clone(),
        max_downloads: metadata.max_downloads,
        max_days: metadata.max_days.clone(),
        draft: metadata.draft,
        partial: matches!(concat, Concat::Partial),
        owner,
    };
    // Into a file request: it must still take uploads (410 otherwise), and its
    // password, if any, must have been given.
    let file_request = match &metadata.file_request {
        Some(token) => Some(
            super::admit_file_request(
                &request,
                &session,
                &service,
                &config,
                &passwords,
                token,
                metadata.file_request_password.clone(),
            )
            .await?,
        ),
        None => None,
    };
    budget::count_new_upload(&request, service.state(), &config).await?;
    if let Concat::Final { parts, value } = &concat {
        if file_request.is_some() {
            return Err(bad_request(
                "an upload into a file request cannot be a parallel upload's final upload",
            ));
        }
        // Not charged to the byte budget: its pieces were, and they are removed once
        // it is complete.
        if with_body {
            return Err(bad_request(
                "a final upload (Upload-Concat: final) takes no body of its own",
            ));
        }
        // It writes a whole file's bytes: it takes an upload slot like any upload.
        let _slot = take_slot(&request)?;
        let (upload, transfer) = service
            .concatenate_uploads(new(None), parts, value.clone())
            .await?;
        let base = request::base_url(&request, &config);
        let mut response = tus_response(StatusCode::CREATED);
        response
            .insert_header((header::LOCATION, format!("{base}/files/{}", upload.id)))
            .insert_header(("Upload-Offset", upload.offset.to_string()));
        if let Some(transfer) = transfer {
            share_headers(&mut response, &base, &transfer, &upload);
        }
        return Ok(response.finish());
    }
    let length = match (
        header(&request, "Upload-Length"),
        header(&request, "Upload-Defer-Length"),
    ) {
        (Some(_), Some(_)) => {
            return Err(bad_request(
                "send either Upload-Length or Upload-Defer-Length, not both",
            ));
        }
        (Some(length), None) => Some(parse_length(length)?),
        (None, Some("1")) => None,
        (None, Some(_)) => return Err(bad_request("Upload-Defer-Length must be 1")),
        (None, None) => {
            return Err(bad_request(
                "Upload-Length is required (or Upload-Defer-Length: 1 for a stream of unknown size)",
            ));
        }
    };
    if let Some(length) = length {
        service.check_upload_length(length)?;
        super::check_quota_room(&service, owner, length).await?;
    }
    let limit = length.unwrap_or(config.max_upload_size);
    // An upload that announces more than the client may still store today is refused
    // before it starts (its bytes are taken from the budget as they arrive).
    let hold = Hold::open(&request, service.state(), &config, 0).await?;
    if let Some(length) = length {
        hold.check_room(length).await?;
    }
    let (checksum, slot) = if with_body {
        if request::content_length(&request).is_some_and(|n| n > limit) {
            return Err(Tus(Error::TooLarge));
        }
        hold.take(request::content_length(&request).unwrap_or(0))
            .await?;
        (parse_checksum(&request)?, Some(take_slot(&request)?))
    } else {
        (None, None)
    };
    let upload = match &file_request {
        Some(file_request) => {
            service
                .create_request_upload(file_request, new(length))
                .await?
        }
        None => service.create_upload(new(length)).await?,
    };
    let base = request::base_url(&request, &config);
    let location = format!("{base}/files/{}", upload.id);

    let (offset, transfer) = if with_body {
        let written = service
            .write_upload(&upload, 0, checksum, None, hold.meter(body))
            .await;
        drop(slot);
        match written {
            Ok(written) => written,
            Err(e) => {
                service.abandon_upload(&upload.id).await;
                return Err(Tus(hold.refused().unwrap_or_else(|| e.into())));
            }
        }
    } else {
        (0, None)
    };
    hold.settle(offset.max(0) as u64).await;
    let mut response = tus_response(StatusCode::CREATED);
    response
        .insert_header((header::LOCATION, location))
        .insert_header(("Upload-Expires", http_date(upload.expires_at)))
        .insert_header(("Upload-Offset", offset.to_string()));
    if let Some(transfer) = transfer {
        if upload.file_request_id.is_some() {
            service
                .announce_request_upload(&transfer, &format!("{base}/me"))
                .await;
        }
        share_headers(&mut response, &base, &transfer, &upload);
    }
    Ok(response.finish())
}

/// `HEAD /files/{id}`: the upload's offset (and share URL once complete).
pub async fn head(
    request: HttpRequest,
    id: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> TusResult {
    require_version(&request)?;
    caller::refuse_bad_token(&request, &service).await?;
    let state = service.state();
    let upload = state.find_upload(&id).await?.ok_or(Error::NotFound)?;
    let mut response = tus_response(StatusCode::OK);
    response.insert_header(("Upload-Offset", upload.offset.to_string()));
    match upload.length {
        Some(length) => response.insert_header(("Upload-Length", length.to_string())),
        None => response.insert_header(("Upload-Defer-Length", "1")),
    };
    if let Some(concat) = &upload.concat {
        response.insert_header(("Upload-Concat", concat.as_str()));
    }
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
            &request::base_url(&request, &config),
            &transfer,
            &upload,
        );
    }
    Ok(response.finish())
}

/// `GET /files/{id}`: the upload as JSON (Ferry's own addition, not part of tus).
pub async fn status(
    request: HttpRequest,
    id: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> TusResult {
    let state = service.state();
    let upload = state.find_upload(&id).await?.ok_or(Error::NotFound)?;
    let base = request::base_url(&request, &config);
    // An upload into a file request became its owner's transfer: the uploader gets
    // no link to it.
    let transfer = match &upload.transfer_token {
        Some(token) if upload.file_request_id.is_none() => state.find_transfer(token).await?,
        _ => None,
    };
    Ok(tus_response(StatusCode::OK).json(serde_json::json!({
        "id": upload.id,
        "offset": upload.offset,
        "length": upload.length,
        "complete": upload.completed_at.is_some() || upload.transfer_token.is_some(),
        "draft": upload.draft,
        "partial": upload.is_partial(),
        "filename": upload.filename,
        "expires_at": upload.expires_at,
        "transfer": transfer.map(|t| super::transfer_json(&base, &t)),
    })))
}

/// `PATCH /files/{id}`: appends bytes at `Upload-Offset`.
pub async fn patch(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> TusResult {
    require_version(&request)?;
    // A script whose token was revoked stops here too, not only at its next upload.
    caller::refuse_bad_token(&request, &service).await?;
    if header(&request, "Content-Type") != Some(OFFSET_OCTET_STREAM) {
        return Err(Tus(Error::UnsupportedMediaType(
            "PATCH needs Content-Type: application/offset+octet-stream",
        )));
    }
    let offset: i64 = header(&request, "Upload-Offset")
        .and_then(|v| v.parse().ok())
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| bad_request("Upload-Offset must be a non-negative integer"))?;
    let checksum = parse_checksum(&request)?;
    let length = header(&request, "Upload-Length")
        .map(parse_length)
        .transpose()?;
    let declared = request::content_length(&request);
    // Compared as u64: a declared length near u64::MAX must not wrap around.
    if declared.is_some_and(|n| n > config.max_upload_size) {
        return Err(Tus(Error::TooLarge));
    }
    let _slot = take_slot(&request)?;
    let upload = service
        .state()
        .find_upload(&id)
        .await?
        .ok_or(Error::NotFound)?;
    if upload.is_final() {
        return Err(Tus(Error::Forbidden("final_upload")));
    }
    if offset != upload.offset {
        return Err(Tus(Error::Conflict));
    }
    // A declared length past the limit is refused here, before it could wrap as i64.
    if length.is_some_and(|l| l > config.max_upload_size) {
        return Err(Tus(Error::TooLarge));
    }
    let total = upload
        .length
        .map(|l| l as u64)
        .or(length)
        .unwrap_or(config.max_upload_size);
    if declared.is_some_and(|n| n > total.saturating_sub(offset as u64)) {
        return Err(Tus(Error::TooLarge));
    }
    // The declared bytes are taken from the client's budget before any is read (a
    // chunked body's as they arrive); what was not committed is given back.
    let hold = Hold::open(&request, service.state(), &config, declared.unwrap_or(0)).await?;
    let written = service
        .write_upload(
            &upload,
            offset,
            checksum,
            length.map(|l| l as i64),
            hold.meter(body),
        )
        .await;
    let (new_offset, transfer) = match written {
        Ok(written) => written,
        Err(e) => {
            // Bytes this request committed before the failure stay stored (and
            // counted). One refused before it wrote — another PATCH held the upload
            // (423), or moved its offset while this one waited for it (409) — committed
            // nothing: the offset moved by the other request's bytes, counted there.
            let wrote_nothing =
                matches!(e, ferry_core::Error::Locked | ferry_core::Error::Conflict);
            let committed = if wrote_nothing {
                0
            } else {
                service
                    .state()
                    .find_upload(&id)
                    .await
                    .ok()
                    .flatten()
                    .map_or(0, |u| (u.offset - offset).max(0) as u64)
            };
            let refused = hold.refused();
            hold.settle(committed).await;
            return Err(Tus(refused.unwrap_or_else(|| e.into())));
        }
    };
    hold.settle((new_offset - offset).max(0) as u64).await;
    let mut response = tus_response(StatusCode::NO_CONTENT);
    response.insert_header(("Upload-Offset", new_offset.to_string()));
    match transfer {
        Some(transfer) => {
            let base = request::base_url(&request, &config);
            if upload.file_request_id.is_some() {
                service
                    .announce_request_upload(&transfer, &format!("{base}/me"))
                    .await;
            }
            share_headers(&mut response, &base, &transfer, &upload)
        }
        None => {
            response.insert_header(("Upload-Expires", http_date(upload.expires_at)));
        }
    }
    Ok(response.finish())
}

/// `DELETE /files/{id}`: termination.
pub async fn terminate(
    request: HttpRequest,
    id: web::Path<String>,
    service: web::Data<Service>,
) -> TusResult {
    require_version(&request)?;
    caller::refuse_bad_token(&request, &service).await?;
    service.terminate_upload(&id).await?;
    Ok(tus_response(StatusCode::NO_CONTENT).finish())
}

/// The links of the transfer a finished upload became. An upload into a file request
/// became its owner's transfer: the uploader gets no link to it (nor a way to delete
/// it), only `X-File-Request: received`.
fn share_headers(
    response: &mut HttpResponseBuilder,
    base: &str,
    transfer: &Transfer,
    upload: &Upload,
) {
    if upload.file_request_id.is_some() {
        response.insert_header(("X-File-Request", "received"));
        return;
    }
    if let Some(file) = transfer.files.first() {
        response
            .insert_header((
                "X-Share-Url",
                links::file_url(base, &transfer.token, &file.name),
            ))
            .insert_header((
                "X-Url-Delete",
                links::delete_url(base, transfer, &file.name),
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// No `Upload-Metadata` value makes the parser panic, and whatever it accepts
        /// is safe to store and to serve: a sanitised name and a type that is a valid
        /// header value.
        #[test]
        fn any_metadata_parses_or_is_refused(raw in any::<String>()) {
            if let Ok(metadata) = parse_metadata(Some(&raw)) {
                prop_assert!(!metadata.filename.as_str().is_empty());
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
                prop_assert_eq!(metadata.filename.clone(), FileName::parse(metadata.filename.as_str()));
                if let Some(filetype) = &metadata.filetype {
                    prop_assert!(header::HeaderValue::from_str(filetype).is_ok());
                }
                if let Some(n) = metadata.max_downloads {
                    prop_assert!((1..=ferry_core::MAX_DOWNLOADS_LIMIT).contains(&n.get()));
                }
            }
        }

        /// Valid metadata survives the round trip through the header.
        #[test]
        fn valid_metadata_round_trips(
            filename in "[a-zA-Z0-9][a-zA-Z0-9 _-]{0,40}\\.[a-z]{1,5}",
            filetype in "(text|image|application)/[a-z][a-z0-9.+-]{0,20}",
            max_downloads in 1..=ferry_core::MAX_DOWNLOADS_LIMIT,
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
            prop_assert_eq!(metadata.filename, FileName::parse(&filename));
            prop_assert_eq!(metadata.filetype, Some(filetype));
            prop_assert_eq!(metadata.max_downloads.map(MaxDownloads::get), Some(max_downloads));
            prop_assert_eq!(metadata.max_days, Some(max_days.to_string()));
            prop_assert_eq!(metadata.draft, draft);
            prop_assert_eq!(metadata.raw, Some(raw));
        }
    }
}

/// An [`Error`] rendered the tus way (plain text, `Tus-Resumable`): what the tus routes
/// return. Same status codes as everywhere else.
#[derive(Debug)]
pub struct Tus(pub Error);

impl<E: Into<Error>> From<E> for Tus {
    fn from(error: E) -> Tus {
        Tus(error.into())
    }
}

impl std::fmt::Display for Tus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Tus {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.tus_response()
    }
}

impl Tus {
    /// The tus rendering: the status, `Tus-Resumable`, and one line of plain text.
    fn tus_response(&self) -> HttpResponse {
        let mut response = self.0.start_response();
        response.insert_header(("Tus-Resumable", VERSION));
        if matches!(self.0, Error::TusVersion) {
            response.insert_header(("Tus-Version", VERSION));
        }
        let text = match &self.0 {
            _ if self.0.is_failure() => format!("{}\n", self.0.code().replace('_', " ")),
            Error::BadRequest(message) => format!("{message}\n"),
            _ => format!("{}\n", self.0),
        };
        let mut response = response
            .content_type("text/plain; charset=utf-8")
            .body(text);
        if matches!(self.0, Error::ChecksumMismatch) {
            response.head_mut().reason = Some("Checksum Mismatch");
        }
        response
    }
}

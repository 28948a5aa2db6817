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
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::{FileName, Limits, NewUploadRequest, Service};
use ferry_state::transfer::{NewFile, Transfer};
use futures::StreamExt;
use uuid::Uuid;

use crate::{
    Config,
    http::{
        budget::{self, Hold},
        caller,
        error::{Error, Result},
        links,
        password::Passwords,
        request,
        upload_limits::{self, BodyStop},
    },
};

/// `Max-Downloads` and `Max-Days` of an upload request, checked by the service: up to
/// a signed-in user's lifetimes for an upload an account makes (`owner`).
fn limits(request: &HttpRequest, service: &Service, owner: Option<Uuid>) -> Result<Limits> {
    // transfer.sh encrypts on the server when asked; Ferry does not. Ignoring the
    // header would let the uploader believe a plaintext file is encrypted, so the
    // upload is refused before a byte is read.
    if request.headers().contains_key("X-Encrypt-Password") {
        return Err(Error::bad_request(
            "X-Encrypt-Password is not supported: Ferry stores files as they are sent and \
             does not encrypt them on the server, so nothing was stored. Encrypt before \
             uploading (e.g. gpg -c, age -p) and send the result.",
        ));
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("?"))
    };
    Ok(match owner {
        Some(_) => service.account_limits(header("Max-Downloads"), header("Max-Days"))?,
        None => service.limits(header("Max-Downloads"), header("Max-Days"))?,
    })
}

/// The body's declared `Content-Length`, 0 when it has none (chunked).
pub fn declared_length(request: &HttpRequest) -> u64 {
    request::content_length(request).unwrap_or(0)
}

/// Refuses a body whose declared length is over the limit (or empty), before reading it.
pub fn check_declared_length(request: &HttpRequest, max: u64, empty_is_error: bool) -> Result<()> {
    match request::content_length(request) {
        Some(n) if n > max => Err(Error::TooLarge),
        Some(0) if empty_is_error => Err(Error::bad_request("the body is empty")),
        _ => Ok(()),
    }
}

/// What an admitted upload holds while its body is read.
struct Admitted {
    /// The account it is made for (an API token's or a session's), if any.
    owner: Option<Uuid>,
    limits: Limits,
    hold: Hold,
    _slot: upload_limits::UploadSlot,
}

/// Everything an upload must pass before its body is read, in order: who calls (an
/// API token must be good and may upload; with `UPLOADS=members` an account is
/// needed), its declared length, its `Max-Downloads`/`Max-Days`, the client's
/// new-upload rate, the declared bytes taken from the client's byte budget, and an
/// upload slot.
async fn admit(
    request: &HttpRequest,
    session: &Session,
    service: &Service,
    config: &Config,
) -> Result<Admitted> {
    let owner = caller::of(request, session, service, config)
        .await?
        .uploader(config)?;
    check_declared_length(request, config.max_upload_size, true)?;
    super::check_quota_room(service, owner, declared_length(request)).await?;
    let limits = limits(request, service, owner)?;
    let (hold, slot) = admit_body(request, service, config).await?;
    Ok(Admitted {
        owner,
        limits,
        hold,
        _slot: slot,
    })
}

/// The part of [`admit`] every anonymous upload passes: the client's new-upload rate,
/// its byte budget (the declared bytes taken), an upload slot.
async fn admit_body(
    request: &HttpRequest,
    service: &Service,
    config: &Config,
) -> Result<(Hold, upload_limits::UploadSlot)> {
    budget::count_new_upload(request, service.state(), config).await?;
    let hold = Hold::open(request, service.state(), config, declared_length(request)).await?;
    let slot = upload_limits::take_slot(request)
        .ok_or(Error::UploadsBusy(upload_limits::BUSY_RETRY_AFTER_SECS))?;
    Ok((hold, slot))
}

/// `PUT /r/{token}/{name}`: one file into a file request. It becomes a transfer of the
/// request's owner, with their rules (`Max-Downloads`/`Max-Days` do not apply); the
/// uploader gets a receipt, not a link. The body must declare its length
/// (`Content-Length`, as `curl -T` does): the request counts the bytes before any is
/// stored. The upload goes through the resumable-upload rows, so a process killed
/// midway leaves an unfinished upload that the idle sweep removes, giving the
/// request's file and bytes back.
#[allow(clippy::too_many_arguments)]
pub async fn put_into_request(
    request: HttpRequest,
    session: Session,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    token: &str,
    raw_name: &str,
) -> Result<HttpResponse> {
    let password = request
        .headers()
        .get("Ferry-Request-Password")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let file_request = super::admit_file_request(
        &request, &session, &service, &config, &passwords, token, password,
    )
    .await?;
    check_declared_length(&request, config.max_upload_size, true)?;
    let length = request::content_length(&request).ok_or_else(|| {
        Error::bad_request("an upload into a file request needs Content-Length (curl -T sends it)")
    })?;
    let (hold, _slot) = admit_body(&request, &service, &config).await?;
    let name = FileName::parse(raw_name);
    let upload = service
        .create_request_upload(
            &file_request,
            NewUploadRequest {
                length: Some(length),
                metadata: None,
                filename: name,
                filetype: None,
                max_downloads: None,
                max_days: None,
                draft: false,
                partial: false,
                owner: None,
            },
        )
        .await?;
    let written = service
        .write_upload(&upload, 0, None, None, hold.meter(body))
        .await;
    let (size, transfer) = match written {
        Ok((size, Some(transfer))) => (size, transfer),
        outcome => {
            service.abandon_upload(&upload.id).await;
            let error = match outcome {
                Err(e) => hold.refused().unwrap_or_else(|| e.into()),
                Ok(_) => Error::bad_request("the body ended before its Content-Length"),
            };
            hold.settle(0).await;
            return Err(error);
        }
    };
    hold.settle(size.max(0) as u64).await;
    let base = request::base_url(&request, &config);
    service
        .announce_request_upload(&transfer, &format!("{base}/me"))
        .await;
    let received = transfer
        .files
        .first()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    if request::wants_json(&request) {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "received": received,
            "size": size,
            "request": file_request.title,
        })));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "received {received} ({size} bytes) for the request \"{}\"\n",
            file_request.title.replace(['\r', '\n'], " ")
        )))
}

/// `PUT /{name}` (and `/put/{name}`, `/upload/{name}`): one file, one transfer.
pub async fn put_file(
    request: HttpRequest,
    session: Session,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
    raw_name: &str,
) -> Result<HttpResponse> {
    let Admitted {
        owner,
        limits,
        hold,
        _slot,
    } = admit(&request, &session, &service, &config).await?;
    let mut guard = service.blob_guard();
    let file = service
        .store_file(
            &mut guard,
            FileName::parse(raw_name),
            hold.meter(body),
            config.max_upload_size,
        )
        .await
        .map_err(|e| hold.refused().unwrap_or_else(|| e.into()))?;
    let size = file.size as u64;
    let transfer = service
        .create_transfer(guard, vec![file], limits, owner)
        .await?;
    hold.settle(size).await;
    Ok(created(&request, &config, &transfer))
}

/// `POST /` with `multipart/form-data`: every file part becomes a file of one transfer.
///
/// The whole body is held to `MAX_UPLOAD_SIZE` as it is read, with or without a
/// `Content-Length`; at most `MAX_FILES_PER_TRANSFER` file parts are accepted (checked
/// before each part is stored); names are made unique by the service. When the client goes away, the next read
/// fails (or actix drops this future) and every blob written so far is deleted.
pub async fn post_multipart(
    request: HttpRequest,
    session: Session,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let Admitted {
        owner,
        limits,
        hold,
        _slot,
    } = admit(&request, &session, &service, &config).await?;
    let (body, meter) =
        upload_limits::guard_body(body, config.upload_idle_timeout, config.max_upload_size);
    let body = hold.meter(body);
    let mut multipart = Multipart::new(request.headers(), body);
    let mut guard = service.blob_guard();
    let mut files: Vec<NewFile> = Vec::new();
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
            service.check_file_count(files.len() + 1)?;
            let name = FileName::parse(&filename);
            let room = config.max_upload_size.saturating_sub(stored);
            let field = field.inspect(|_| meter.progress());
            let file = service.store_file(&mut guard, name, field, room).await?;
            stored += file.size as u64;
            files.push(file);
        }
        Ok(())
    }
    .await;
    // The multipart parser reports a stalled, oversized or over-budget body as a
    // broken one.
    outcome.map_err(|e| match meter.stopped() {
        Some(BodyStop::Idle) => Error::BodyTimeout,
        Some(BodyStop::TooLarge) => Error::TooLarge,
        Some(BodyStop::Unparsed) => {
            Error::bad_request("a part's headers are too long or never end")
        }
        None => hold.refused().unwrap_or(e),
    })?;
    // Several files get a zip beside them: a second copy, charged too.
    hold.take_bundle(files.len(), stored).await?;
    let kept = if files.len() > 1 { 2 * stored } else { stored };
    let transfer = service.create_transfer(guard, files, limits, owner).await?;
    hold.settle(kept).await;
    Ok(created(&request, &config, &transfer))
}

/// `DELETE /{token}/{name}/{deletion_token}`: deletes the whole transfer.
pub async fn delete(
    service: web::Data<Service>,
    token: &str,
    name: &str,
    deletion_token: &str,
) -> Result<HttpResponse> {
    service
        .delete_transfer(token, Some(name), deletion_token)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("deleted\n"))
}

/// The answer to a successful upload: URLs as text (one per line), or JSON.
fn created(request: &HttpRequest, config: &Config, transfer: &Transfer) -> HttpResponse {
    let base = request::base_url(request, config);
    let first = transfer
        .files
        .first()
        .map(|f| f.name.as_str())
        .unwrap_or("file");
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Url-Delete", links::delete_url(&base, transfer, first)));
    if request::wants_json(request) {
        return response.json(super::transfer_json(&base, transfer));
    }
    let body: String = transfer
        .files
        .iter()
        .map(|f| links::file_url(&base, &transfer.token, &f.name) + "\n")
        .collect();
    response
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

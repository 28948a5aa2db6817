//! The web UI: upload page with the draft transfer, sending it, the share page, and
//! password unlocking. Server-rendered; the only scripts are `/assets/upload.js`
//! (resumable uploads with progress) and `/assets/share.js` (copy buttons). Downloads
//! work without JavaScript.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use ferry_core::{
    MIN_SHARE_PASSWORD_CHARS, PasswordCheck, SendDraft, Service, SharePassword, Unlock,
};
use ferry_state::transfer::Transfer;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    Config,
    http::{
        budget::Hold,
        csrf,
        error::{Error, Result},
        html::{csrf_field, human_size, page, plural, redirect, respond},
        links,
        password::Passwords,
        request,
        visitor::{self, Visitor},
    },
};

/// Registers the UI routes (before the curl API's catch-alls).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(asset))
        // Browsers ask for it on every site; without it each page view logged a 404.
        .route(
            "/favicon.ico",
            web::get().to(|| async { asset_named("favicon.svg") }),
        )
        .route("/draft", web::post().to(add_to_draft))
        .route("/draft/remove", web::post().to(remove_from_draft))
        .route("/send", web::post().to(send))
        .route("/sent/{token}", web::get().to(sent))
        .route("/s/{token}", web::get().to(share_page))
        .route("/s/{token}/unlock", web::post().to(unlock))
        .route("/s/{token}/delete", web::post().to(delete));
}

fn ok(body: Markup) -> HttpResponse {
    respond(actix_web::http::StatusCode::OK, body)
}

/// Static assets, compiled into the binary (no CDN, no disk).
async fn asset(name: web::Path<String>) -> HttpResponse {
    asset_named(&name)
}

fn asset_named(name: &str) -> HttpResponse {
    let (body, kind): (&'static str, &str) = match name {
        "app.css" => (include_str!("../assets/app.css"), "text/css; charset=utf-8"),
        "upload.js" => (
            include_str!("../assets/upload.js"),
            "text/javascript; charset=utf-8",
        ),
        "share.js" => (
            include_str!("../assets/share.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_str!("../assets/favicon.svg"), "image/svg+xml"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// `GET /` for browsers: drop files, watch them upload into the draft, send it.
pub async fn upload_page(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let draft = visitor::draft_id(&request, &session, &config).ok_or(Error::NotFound)?;
    let draft_token = visitor::draft_token(&config, &draft);
    // Redis is read only for a returning visitor: a first page view has no draft yet.
    let drafted = if csrf::returning(&request) {
        service.draft(&draft).await?
    } else {
        Vec::new()
    };
    // Without an account a transfer lives at most MAX_DAYS_ANONYMOUS days.
    let max_days = match visitor.user {
        Some(_) => config.max_days_limit,
        None => config.max_days_anonymous.min(config.max_days_limit),
    };
    let default_days = config.default_max_days.min(max_days);
    let day_choices = [1u16, 3, 7, 14, 30, 90, 365]
        .into_iter()
        .filter(|d| *d <= max_days);
    let csrf = visitor.csrf.as_str();
    let body = html! {
        section.card {
            h1 { "Send files" }
            p.lead { "Drop files to upload them. They wait in your draft until you send it — even if you reload, or our servers restart." }
            div #drop .drop data-draft-token=(draft_token) {
                strong { "Drag and drop files here" }
                " " span.muted { "or" } " "
                button #pick .secondary type="button" { "choose files" }
                input #file-input .sr-only type="file" multiple aria-label="Choose files";
            }
        }
        section.card aria-labelledby="draft-title" {
            h2 #draft-title { "Your draft" }
            p #draft-empty .muted hidden[!drafted.is_empty()] { "No files yet." }
            ul #draft-files .files {
                @for upload in &drafted {
                    li data-done="1" {
                        span.name { (upload.filename) }
                        span.size { (human_size(upload.offset)) }
                        form method="post" action="/draft/remove" {
                            (csrf_field(csrf))
                            input type="hidden" name="upload_id" value=(upload.id);
                            button.link type="submit" aria-label={ "Remove " (upload.filename) } { "Remove" }
                        }
                    }
                }
            }
            progress #overall max="100" value="0" aria-label="Overall upload progress" {}
            p #overall-text .muted aria-live="polite" {}
            form method="post" action="/send" {
                (csrf_field(csrf))
                div.row {
                    div {
                        label for="days" { "Expires after" }
                        select #days name="days" {
                            @for days in day_choices {
                                option value=(days) selected[days == default_days] { (days) " day" (plural(days)) }
                            }
                        }
                    }
                    div {
                        label for="max_downloads" { "Download limit" }
                        input #max_downloads name="max_downloads" type="number" min="1" max="1000000" placeholder="No limit";
                    }
                    div {
                        label for="password" { "Password (optional)" }
                        input #password name="password" type="password" autocomplete="new-password"
                            minlength=(MIN_SHARE_PASSWORD_CHARS) aria-describedby="password-hint";
                        small #password-hint .hint { "At least " (MIN_SHARE_PASSWORD_CHARS) " characters. Send it apart from the link." }
                    }
                }
                p { button #send-button type="submit" disabled[drafted.is_empty()] { "Send and get a link" } }
            }
        }
    };
    Ok(ok(page(
        "Send files",
        &visitor.viewer(),
        body,
        Some("upload.js"),
    )))
}

#[derive(Deserialize)]
struct DraftAdd {
    upload_id: String,
}

/// `POST /draft` (script, JSON, `X-CSRF-Token`): adds a finished draft upload. Only
/// the page that started the upload may add it: its draft token is in the upload's
/// metadata.
async fn add_to_draft(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    body: web::Json<DraftAdd>,
) -> Result<HttpResponse> {
    let presented = request
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok());
    csrf::verify(&request, &session, &config, presented)?;
    let draft = visitor::draft_id(&request, &session, &config)
        .ok_or(Error::Forbidden("csrf_token_invalid"))?;
    let token = visitor::draft_token(&config, &draft);
    let files = service
        .add_to_draft(&draft, &body.upload_id, &token)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "files": files })))
}

#[derive(Deserialize)]
struct DraftRemove {
    _csrf: String,
    upload_id: String,
}

/// `POST /draft/remove` (form): takes a file out of the draft.
async fn remove_from_draft(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<DraftRemove>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let draft = visitor::draft_id(&request, &session, &config)
        .ok_or(Error::Forbidden("csrf_token_invalid"))?;
    service.remove_from_draft(&draft, &form.upload_id).await?;
    Ok(redirect("/"))
}

#[derive(Deserialize)]
struct SendForm {
    _csrf: String,
    days: String,
    #[serde(default)]
    max_downloads: String,
    #[serde(default)]
    password: String,
}

/// `POST /send`: the draft becomes one transfer.
async fn send(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let max_downloads = Some(form.max_downloads.as_str()).filter(|v| !v.trim().is_empty());
    let limits = match visitor.user {
        Some(_) => service.account_limits(max_downloads, Some(&form.days))?,
        None => service.limits(max_downloads, Some(&form.days))?,
    };
    let password = SharePassword::parse_optional(&form.password)
        .map_err(|weak| Error::bad_request(weak.to_string()))?;
    let password_hash = match password {
        None => None,
        Some(password) => Some(passwords.hash(password.expose().to_owned()).await?),
    };
    let draft = visitor::draft_id(&request, &session, &config)
        .ok_or(Error::Forbidden("csrf_token_invalid"))?;
    // Several files get a zip beside them, a second copy: charged to the sender's
    // byte budget (the files themselves were, as they arrived over tus). Given back
    // when the draft turns out empty or the send fails.
    let drafted = service.draft(&draft).await?;
    let bytes: u64 = drafted.iter().map(|u| u.offset.max(0) as u64).sum();
    let hold = Hold::open(&request, service.state(), &config, 0).await?;
    hold.take_bundle(drafted.len(), bytes).await?;
    let send = SendDraft {
        limits,
        password_hash,
        owner_id: visitor.user.as_ref().map(|u| u.id),
    };
    let Some(transfer) = service.send_draft(&draft, send).await? else {
        return Ok(redirect("/"));
    };
    hold.settle(if drafted.len() > 1 { bytes } else { 0 }).await;
    let mut response = redirect(&format!("/sent/{}", transfer.token));
    response
        .add_cookie(&visitor::sent_cookie(&config, &transfer.token))
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(response)
}

/// `GET /sent/{token}`: the link to share, for the session that sent it.
async fn sent(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let state = service.state();
    let visitor = visitor::load(&request, &session, state, &config).await?;
    if !visitor::sent(&request, &config, &token) {
        return Err(Error::NotFound);
    }
    let transfer = state.find_transfer(&token).await?.ok_or(Error::NotFound)?;
    let deletion = transfer.deletion_token.clone();
    let base = request::base_url(&request, &config);
    let link = format!("{base}/s/{}", transfer.token);
    let count = transfer.files.len();
    let body = html! {
        section.card {
            div.notice.ok {
                "Sent. Share this link — anyone with it can download " (count) " file" (plural(count as i64))
                " (" (human_size(transfer.total_size())) ")."
            }
            label for="share-link" { "Share link" }
            div.share-link {
                input #share-link type="text" readonly value=(link);
                button type="button" data-copy="share-link" { "Copy" }
            }
            div.meta.spaced { (limits_line(&transfer)) }
            p { a.button.secondary href={ "/s/" (transfer.token) } { "Open the share page" } }
        }
        section.card {
            h2 { "Changed your mind?" }
            form method="post" action={ "/s/" (transfer.token) "/delete" } {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="deletion" value=(deletion);
                p.muted { "Deleting makes the link stop working at once and frees the files." }
                button.secondary type="submit" { "Delete this transfer" }
            }
        }
    };
    Ok(ok(page("Sent", &visitor.viewer(), body, Some("share.js"))))
}

/// "Expires in 3 days · 5 downloads left · password protected". A limit counts per
/// file: with several files it says so ("per file"; "up to" once they differ).
pub fn limits_line(transfer: &Transfer) -> Markup {
    let days = links::remaining_days(transfer);
    let several = transfer.files.len() > 1;
    let differ = transfer.archive_remaining_downloads() != transfer.remaining_downloads();
    html! {
        span { "Expires in " (days) " day" (plural(days)) }
        @if let Some(left) = transfer.remaining_downloads() {
            span {
                @if differ { "up to " }
                (left) " download" (plural(left)) " left"
                @if several { " per file" }
            }
        }
        @if transfer.password_hash.is_some() {
            span { "password protected" }
        }
    }
}

/// `GET /s/{token}`: what a recipient sees.
async fn share_page(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let state = service.state();
    let visitor = visitor::load(&request, &session, state, &config).await?;
    let Some(transfer) = state.find_transfer(&token).await? else {
        return Ok(gone_page(&visitor));
    };
    if transfer.password_hash.is_some() && !visitor::has_unlocked(&session, &transfer.token) {
        return Ok(password_page(
            &visitor,
            &transfer,
            "Password required",
            None,
            actix_web::http::StatusCode::OK,
        ));
    }
    let count = transfer.files.len();
    let token = transfer.token.as_str();
    let body = html! {
        section.card {
            h1 { (count) " file" (plural(count as i64)) " for you" }
            div.meta { span { (human_size(transfer.total_size())) } (limits_line(&transfer)) }
            ul.files {
                @for file in &transfer.files {
                    @let href = links::encode_segment(&file.name);
                    li {
                        @if file.thumbnail_blob_id.is_some() {
                            img.thumb src={ "/thumb/" (token) "/" (href) } alt="" loading="lazy";
                        }
                        span.name { (file.name) }
                        span.size { (human_size(file.size)) }
                        a.button.secondary href={ "/get/" (token) "/" (href) } download { "Download" }
                    }
                }
            }
            @if count > 1 {
                p { a.button href={ "/" (token) ".zip" } { "Download all as .zip" } }
            }
        }
    };
    Ok(ok(page("Download", &visitor.viewer(), body, None)))
}

fn gone_page(visitor: &Visitor) -> HttpResponse {
    let body = html! {
        section.card {
            h1 { "This link no longer works" }
            p.lead { "The transfer expired, was deleted, or has been downloaded as many times as its sender allowed. Ask the sender for a new link." }
            p { a.button href="/" { "Send your own files" } }
        }
    };
    respond(
        actix_web::http::StatusCode::NOT_FOUND,
        page("Link expired", &visitor.viewer(), body, None),
    )
}

fn password_page(
    visitor: &Visitor,
    transfer: &Transfer,
    title: &str,
    error: Option<&str>,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { "The sender protected these files with a password." }
            @if let Some(error) = error {
                div.notice.error role="alert" { (error) }
            }
            form method="post" action={ "/s/" (transfer.token) "/unlock" } {
                (csrf_field(&visitor.csrf))
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required autofocus;
                p { button type="submit" { "Unlock" } }
            }
        }
    };
    respond(status, page(title, &visitor.viewer(), body, None))
}

/// The password page saying the password cannot be checked right now (503).
fn cannot_check_now(visitor: &Visitor, transfer: &Transfer) -> HttpResponse {
    let mut response = password_page(
        visitor,
        transfer,
        "Try again in a minute",
        Some("The password can't be checked right now. Please try again in a minute."),
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(crate::http::error::RETRY_AFTER_SECS),
    );
    response
}

#[derive(Deserialize)]
struct UnlockForm {
    _csrf: String,
    password: String,
}

/// `POST /s/{token}/unlock`: checks the share password. The counting (per client IP,
/// per transfer, in Redis) is the use case's, `Service::unlock_transfer`; this handler
/// brings the bounded hasher and renders the verdict.
async fn unlock(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<UnlockForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let client = request::client_ip(&request, &config);
    let verdict = service
        .unlock_transfer(
            &token,
            &client,
            config.unlock_limits(),
            async |hash| match passwords.verify(form.password.clone(), hash).await {
                Ok(true) => Ok(PasswordCheck::Right),
                Ok(false) => Ok(PasswordCheck::Wrong),
                Err(Error::Busy) => Ok(PasswordCheck::Busy),
                Err(e) => Err(e),
            },
        )
        .await?;
    match verdict {
        Unlock::Gone => Ok(gone_page(&visitor)),
        Unlock::Unprotected(transfer) => Ok(redirect(&format!("/s/{}", transfer.token))),
        // Without Redis the attempt cannot be counted (or the hasher is full), so the
        // password was not checked: say so, rather than "password required" or a bare
        // error.
        Unlock::CannotCheck(transfer) => Ok(cannot_check_now(&visitor, &transfer)),
        Unlock::Unlocked(transfer) => {
            visitor::unlock(&session, &transfer.token)?;
            Ok(redirect(&format!("/s/{}", transfer.token)))
        }
        Unlock::Wrong(transfer) => Ok(password_page(
            &visitor,
            &transfer,
            "Password required",
            Some("That password is not right."),
            actix_web::http::StatusCode::FORBIDDEN,
        )),
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    _csrf: String,
    deletion: String,
}

/// `POST /s/{token}/delete`: deletion by the sender (who has the deletion token).
async fn delete(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    service
        .delete_transfer(&token, None, &form.deletion)
        .await?;
    let body = html! {
        section.card {
            h1 { "Deleted" }
            p.lead { "The link no longer works, and the files are being erased." }
            p { a.button href="/" { "Send more files" } }
        }
    };
    Ok(ok(page("Deleted", &visitor.viewer(), body, None)))
}

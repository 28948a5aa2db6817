//! The web UI: upload page with the draft transfer, sending it, the share page, and
//! password unlocking. Server-rendered; the only scripts are `/assets/upload.js`
//! (resumable uploads with progress) and `/assets/share.js` (copy buttons). Downloads
//! work without JavaScript.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{Duration, Utc};
use ferry_state::{
    State,
    transfer::{Transfer, TransferOptions},
};
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    Config, csrf,
    error::{Error, Result},
    html::{csrf_field, human_size, page, plural, redirect, respond},
    limits::{self, Bucket},
    names,
    password::Passwords,
    public_url, share,
    visitor::{self, Visitor},
};

/// Registers the UI routes (before the curl API's catch-alls).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(asset))
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

/// True when a browser asks (it wants HTML); curl gets text.
pub fn wants_html(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Static assets, compiled into the binary (no CDN, no disk).
async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, kind): (&'static str, &str) = match name.as_str() {
        "app.css" => (include_str!("../assets/app.css"), "text/css; charset=utf-8"),
        "upload.js" => (
            include_str!("../assets/upload.js"),
            "text/javascript; charset=utf-8",
        ),
        "share.js" => (
            include_str!("../assets/share.js"),
            "text/javascript; charset=utf-8",
        ),
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
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let draft = visitor::draft_id(&request, &config).ok_or(Error::NotFound)?;
    let draft_token = visitor::draft_token(&config, &draft);
    let items = visitor::draft(&request, &state, &config).await?;
    let drafted = if items.is_empty() {
        Vec::new()
    } else {
        state.draft_uploads(&items).await?
    };
    let max_days = config.max_days_limit;
    let default_days = config.default_max_days;
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
                        span.size { (human_size(upload.length)) }
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
                        input #password name="password" type="password" autocomplete="new-password";
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

/// `POST /draft` (script, JSON, `X-CSRF-Token`): adds a finished draft upload.
async fn add_to_draft(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
    body: web::Json<DraftAdd>,
) -> Result<HttpResponse> {
    let presented = request
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok());
    csrf::verify(&request, &session, &config, presented)?;
    let draft =
        visitor::draft_id(&request, &config).ok_or(Error::Forbidden("csrf_token_invalid"))?;
    let found = state
        .draft_uploads(std::slice::from_ref(&body.upload_id))
        .await?;
    let Some(upload) = found.first() else {
        return Err(Error::bad_request(
            "that upload is not a finished draft upload",
        ));
    };
    // Only the page that started the upload may add it: its draft token is in the
    // upload's metadata. Knowing an upload id is not enough.
    let expected = visitor::draft_token(&config, &draft);
    let carried = upload
        .metadata
        .as_deref()
        .and_then(|raw| metadata_value(raw, DRAFT_TOKEN_KEY));
    if !carried.is_some_and(|token| csrf::same(&expected, &token)) {
        return Err(Error::Forbidden("not_your_upload"));
    }
    // One atomic Redis command per addition: uploads finishing at the same time all land.
    let files = state
        .draft_add(
            &draft,
            &body.upload_id,
            config.max_files_per_transfer as usize,
            config.session_ttl.as_secs(),
        )
        .await?
        .ok_or_else(|| {
            Error::bad_request(format!(
                "a draft holds at most {} files (MAX_FILES_PER_TRANSFER)",
                config.max_files_per_transfer
            ))
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "files": files })))
}

/// The `Upload-Metadata` key that carries the draft token.
const DRAFT_TOKEN_KEY: &str = "ferry_draft_token";

/// The decoded value of `key` in a tus `Upload-Metadata` header (`key base64,…`).
fn metadata_value(raw: &str, key: &str) -> Option<String> {
    use base64::Engine;
    raw.split(',').find_map(|pair| {
        let (k, v) = pair.trim().split_once(' ')?;
        (k == key)
            .then(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()
            })
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    })
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
    state: web::Data<State>,
    config: web::Data<Config>,
    form: web::Form<DraftRemove>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let draft =
        visitor::draft_id(&request, &config).ok_or(Error::Forbidden("csrf_token_invalid"))?;
    state.draft_remove(&draft, &form.upload_id).await?;
    Ok(redirect("/"))
}

#[derive(Deserialize)]
struct SendForm {
    _csrf: String,
    days: u16,
    #[serde(default)]
    max_downloads: String,
    #[serde(default)]
    password: String,
}

/// `POST /send`: the draft becomes one transfer.
async fn send(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    if form.days == 0 || form.days > config.max_days_limit {
        return Err(Error::bad_request(format!(
            "expiry must be 1 to {} days",
            config.max_days_limit
        )));
    }
    let max_downloads = match form.max_downloads.trim() {
        "" => None,
        n => Some(
            n.parse::<i32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| Error::bad_request("the download limit must be 1 to 1000000"))?,
        ),
    };
    let password_hash = match form.password.as_str() {
        "" => None,
        p if p.len() > 1024 => return Err(Error::bad_request("that password is too long")),
        p => Some(passwords.hash(p.to_owned()).await?),
    };
    let options = TransferOptions {
        expires_at: Utc::now() + Duration::days(i64::from(form.days)),
        max_downloads,
        password_hash,
        owner_id: visitor.user.as_ref().map(|u| u.id),
    };
    let draft =
        visitor::draft_id(&request, &config).ok_or(Error::Forbidden("csrf_token_invalid"))?;
    let items = state.draft_items(&draft).await?;
    let Some(transfer) = state
        .create_transfer_from_uploads(&items, &options, {
            let mut names = names::UniqueNames::default();
            move |name| names.claim(name)
        })
        .await?
    else {
        return Ok(redirect("/"));
    };
    state.draft_clear(&draft).await?;
    visitor::remember_sent(&session, &transfer.token, &transfer.deletion_token)?;
    crate::curl_api::enqueue_jobs(&state, &config, &transfer).await;
    Ok(redirect(&format!("/sent/{}", transfer.token)))
}

/// `GET /sent/{token}`: the link to share, for the session that sent it.
async fn sent(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let deletion = visitor::sent(&session, &token).ok_or(Error::NotFound)?;
    let transfer = state.find_transfer(&token).await?.ok_or(Error::NotFound)?;
    let base = public_url::base_url(&request, &config);
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

/// "Expires in 3 days · 5 downloads left · password protected".
pub fn limits_line(transfer: &Transfer) -> Markup {
    let days = share::remaining_days(transfer);
    html! {
        span { "Expires in " (days) " day" (plural(days)) }
        @if let Some(left) = transfer.remaining_downloads() {
            span { (left) " download" (plural(left)) " left" }
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
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
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
                    @let href = share::encode_segment(&file.name);
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
        header::HeaderValue::from_static(crate::error::RETRY_AFTER_SECS),
    );
    response
}

#[derive(Deserialize)]
struct UnlockForm {
    _csrf: String,
    password: String,
}

/// `POST /s/{token}/unlock`: checks the share password; rate limited per client IP and
/// per transfer, in Redis, so the limit holds across every web process.
async fn unlock(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    state: web::Data<State>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<UnlockForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let Some(transfer) = state.find_transfer(&token).await? else {
        return Ok(gone_page(&visitor));
    };
    let ip = public_url::client_ip(&request, &config);
    let buckets = [
        Bucket {
            name: format!("unlock-ip:{ip}"),
            max: config.unlock_attempts_per_ip,
            window_secs: 60,
        },
        Bucket {
            name: format!("unlock-transfer:{}", transfer.token),
            max: config.unlock_attempts_per_transfer,
            window_secs: 600,
        },
    ];
    // Without Redis the attempt cannot be counted, so the password is not checked:
    // say so, rather than "password required" or a bare error.
    match limits::enforce(&state, &buckets).await {
        Err(Error::State(e)) if e.is_unavailable() => {
            tracing::warn!(error = %e, "share password not checked: Redis unreachable");
            return Ok(cannot_check_now(&visitor, &transfer));
        }
        other => other?,
    }
    let Some(hash) = transfer.password_hash.clone() else {
        return Ok(redirect(&format!("/s/{}", transfer.token)));
    };
    let matches = match passwords.verify(form.password.clone(), hash).await {
        Err(Error::Busy) => return Ok(cannot_check_now(&visitor, &transfer)),
        other => other?,
    };
    if matches {
        visitor::unlock(&session, &transfer.token)?;
        Ok(redirect(&format!("/s/{}", transfer.token)))
    } else {
        Ok(password_page(
            &visitor,
            &transfer,
            "Password required",
            Some("That password is not right."),
            actix_web::http::StatusCode::FORBIDDEN,
        ))
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
    state: web::Data<State>,
    config: web::Data<Config>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let id = state
        .delete_transfer(&token, &form.deletion)
        .await?
        .ok_or(Error::NotFound)?;
    if let Err(e) = state
        .enqueue_purge(id, usize::from(config.common.job_max_attempts))
        .await
    {
        tracing::warn!(error = %e, "could not enqueue the purge; the sweep will");
    }
    let body = html! {
        section.card {
            h1 { "Deleted" }
            p.lead { "The link no longer works, and the files are being erased." }
            p { a.button href="/" { "Send more files" } }
        }
    };
    Ok(ok(page("Deleted", &visitor.viewer(), body, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_values_are_found_by_key_and_decoded() {
        let raw = "filename YS50eHQ=,ferry_draft MQ==,ferry_draft_token YWJj";
        assert_eq!(
            metadata_value(raw, "ferry_draft_token").as_deref(),
            Some("abc")
        );
        assert_eq!(metadata_value(raw, "filename").as_deref(), Some("a.txt"));
        assert_eq!(metadata_value(raw, "missing"), None);
        assert_eq!(
            metadata_value("ferry_draft_token", "ferry_draft_token"),
            None
        );
        assert_eq!(
            metadata_value("ferry_draft_token !!!", "ferry_draft_token"),
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn metadata_values_round_trip_and_garbage_never_panics(
            value in ".{1,64}",
            other in "[a-z_]{1,12}",
            garbage in "\\PC{0,200}",
        ) {
            use base64::Engine;
            let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
            let raw = format!("{other} {},ferry_draft_token {}", encode("x"), encode(&value));
            let found = metadata_value(&raw, "ferry_draft_token");
            proptest::prop_assert_eq!(found.as_deref(), Some(value.as_str()));
            let _ = metadata_value(&garbage, "ferry_draft_token");
        }
    }
}

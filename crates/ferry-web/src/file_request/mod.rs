//! File requests (`ferry_core::file_request`): the owner's page (`/requests`: create,
//! list, close) and the uploader's page (`/r/{token}`: drop files, watch them upload,
//! send them). The curl route `PUT /r/{token}/{name}` is in `api::curl`, tus uploads
//! name the request in `Upload-Metadata` (`api::tus`).
//!
//! An uploader's visit collects its files in a draft of its own — the visitor's draft
//! id and the request's id together — so an uploader sees only what they uploaded
//! here, and sending it makes one transfer of the request's owner.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;
use ferry_core::{
    MIN_SHARE_PASSWORD_CHARS, Service, SharePassword, Verdict, file_request::RequestForm,
};
use ferry_state::file_request::FileRequest;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    Config,
    http::{
        csrf, drop,
        error::{Error, Result},
        html::{self, CsrfOnly, csrf_field, page, redirect, respond},
        language::Locale,
        password::Passwords,
        qr, request,
        visitor::{self, Visitor},
    },
};

/// The draft of this visitor's visit to request `file_request`.
fn visit_draft(
    request: &HttpRequest,
    session: &Session,
    config: &Config,
    file_request: &FileRequest,
) -> Option<String> {
    visitor::draft_id(request, session, config)
        .map(|draft| format!("{draft}:r:{}", file_request.id))
}

/// Whether this session may upload into `file_request` ([`visitor::may_upload_into`]).
fn unlocked(session: &Session, file_request: &FileRequest) -> bool {
    visitor::may_upload_into(
        session,
        &file_request.token,
        file_request.password_hash.as_deref(),
    )
}

/// The page asking for a request's password (`problem`: why again).
fn password_page(
    visitor: &Visitor,
    file_request: &FileRequest,
    problem: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    html::password_page(
        &visitor.viewer(),
        &file_request.title,
        &visitor.locale.t("request-password-lead"),
        &format!("/r/{}/unlock", file_request.token),
        problem,
        status,
    )
}

/// The request-password form.
#[derive(Deserialize)]
pub struct UnlockForm {
    _csrf: String,
    password: String,
}

/// `POST /r/{token}/unlock`: checks a request's password, counted like a share
/// password's guesses (`Service::unlock_file_request`).
pub async fn unlock(
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
    let file_request = service.open_file_request(&token).await?;
    let client = request::client_ip(&request, &config);
    let verdict = service
        .unlock_file_request(
            &file_request,
            &client,
            config.unlock_limits(),
            async |hash| passwords.check(form.password.clone(), hash).await,
        )
        .await?;
    match verdict {
        Verdict::Right => {
            visitor::unlock(&session, &visitor::request_scope(&file_request.token))?;
            Ok(redirect(&format!("/r/{}", file_request.token)))
        }
        Verdict::Wrong => Ok(password_page(
            &visitor,
            &file_request,
            Some(&visitor.locale.t("wrong-password")),
            StatusCode::FORBIDDEN,
        )),
        Verdict::CannotCheck => Ok(password_page(
            &visitor,
            &file_request,
            Some(&visitor.locale.t("unavailable-unlock")),
            StatusCode::SERVICE_UNAVAILABLE,
        )),
    }
}

/// `GET /r/{token}`: the uploader's page (a browser), or what the request takes (JSON,
/// for scripts). A closed or expired request answers 410.
pub async fn request_page(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    query: web::Query<SentQuery>,
) -> Result<HttpResponse> {
    let file_request = service.open_file_request(&token).await?;
    if !request::wants_html(&request) {
        // A protected request's message is for those who gave the password.
        let protected = file_request.password_hash.is_some();
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "title": file_request.title,
            "message": if protected { "" } else { file_request.message.as_str() },
            "password_required": protected,
            "files_left": file_request.files_left(),
            "bytes_left": file_request.bytes_left(),
            "expires_at": file_request.expires_at,
            "upload": format!("{}/r/{}/{{name}}", request::base_url(&request, &config), file_request.token),
        })));
    }
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    if !unlocked(&session, &file_request) {
        return Ok(password_page(&visitor, &file_request, None, StatusCode::OK));
    }
    let draft = visit_draft(&request, &session, &config, &file_request).ok_or(Error::NotFound)?;
    let draft_token = visitor::draft_token(&config, &draft);
    let l = visitor.locale;
    let drafted = if csrf::returning(&request) {
        service.draft(&draft).await?
    } else {
        Vec::new()
    };
    let path = format!("/r/{}", file_request.token);
    let body = html! {
        section.card {
            h1 { (file_request.title) }
            @if !file_request.message.is_empty() {
                p.lead.message { (file_request.message) }
            }
            div.meta.spaced {
                span { (l.t_args("request-files-left", &[("n", file_request.files_left().into())])) }
                span { (l.t_args("request-bytes-left", &[("size", l.size(file_request.bytes_left()).into())])) }
                span { (l.t_args("request-open-until", &[("date", l.date_time(file_request.expires_at).into())])) }
            }
            @if let Some(sent) = query.sent {
                p.notice role="status" {
                    (l.t_args("request-sent", &[("n", sent.into())]))
                }
            }
            (drop::drop_zone(l, &draft_token, Some(&file_request.token)))
        }
        section.card aria-labelledby="draft-title" {
            h2 #draft-title { (l.t("request-your-files")) }
            p.muted { (l.t("request-only-you")) }
            (drop::draft_list(l, &drafted, None))
            form method="post" action={ (path) "/send" } {
                (csrf_field(&visitor.csrf))
                p { button #send-button type="submit" disabled[drafted.is_empty()] { (l.t("request-send")) } }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(
            &file_request.title,
            &visitor.viewer(),
            body,
            Some("upload.js"),
        ),
    ))
}

/// `GET /r/{token}`'s query: `sent=N` after a send.
#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<u32>,
}

/// `POST /r/{token}/draft` (script, JSON, `X-CSRF-Token`): adds a finished upload
/// into this request to this visit's draft.
pub async fn add_to_draft(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    body: web::Json<drop::DraftAdd>,
) -> Result<HttpResponse> {
    let presented = request
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok());
    csrf::verify(&request, &session, &config, presented)?;
    let file_request = service.open_file_request(&token).await?;
    if !unlocked(&session, &file_request) {
        return Err(Error::Forbidden("password_required"));
    }
    let draft = visit_draft(&request, &session, &config, &file_request)
        .ok_or(Error::Forbidden("csrf_token_invalid"))?;
    let files = service
        .add_to_draft(
            &draft,
            body.upload_id(),
            &visitor::draft_token(&config, &draft),
        )
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "files": files })))
}

/// `POST /r/{token}/send` (form): this visit's files become one transfer of the
/// request's owner, who is told by e-mail.
pub async fn send(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let file_request = service.open_file_request(&token).await?;
    if !unlocked(&session, &file_request) {
        return Err(Error::Forbidden("password_required"));
    }
    let draft = visit_draft(&request, &session, &config, &file_request)
        .ok_or(Error::Forbidden("csrf_token_invalid"))?;
    let Some(transfer) = service.send_request_draft(&draft, &file_request).await? else {
        return Err(Error::bad_request("no finished files to send yet"));
    };
    let base = request::base_url(&request, &config);
    service
        .announce_request_upload(&transfer, &format!("{base}/me"))
        .await;
    Ok(redirect(&format!(
        "/r/{}?sent={}",
        file_request.token,
        transfer.files.len()
    )))
}

/// The owner's "new request" form.
#[derive(Deserialize)]
pub struct NewRequestForm {
    _csrf: String,
    title: String,
    #[serde(default)]
    message: String,
    days: String,
    max_files: String,
    max_size: String,
    transfer_days: String,
    #[serde(default)]
    transfer_max_downloads: String,
    #[serde(default)]
    password: String,
}

/// `GET /requests`: the signed-in user's requests and the form for a new one.
pub async fn my_requests(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    requests_page(&request, &session, &service, &config, None, StatusCode::OK).await
}

async fn requests_page(
    request: &HttpRequest,
    session: &Session,
    service: &Service,
    config: &Config,
    problem: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse> {
    let visitor = visitor::load(request, session, service.state(), config).await?;
    let Some(user) = &visitor.user else {
        return Ok(redirect("/signin"));
    };
    let requests = service.state().file_requests_of(user.id, 200).await?;
    let base = request::base_url(request, config);
    let now = Utc::now();
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("requests-title")) }
            p.lead { (l.t("requests-lead")) " " a href="/me" { (l.t("nav-my-transfers")) } }
            @for file_request in &requests {
                (request_row(l, file_request, &base, &visitor.csrf, now))
            }
            @if requests.is_empty() {
                p.muted { (l.t("requests-none")) }
            }
            // Announced by screen readers when share.js copies a link.
            span.sr-only #copy-status role="status" aria-live="polite" {}
        }
        section.card aria-labelledby="new-title" {
            h2 #new-title { (l.t("requests-new")) }
            @if let Some(problem) = problem {
                p.notice.error role="alert" { (problem) }
            }
            form method="post" action="/requests" {
                (csrf_field(&visitor.csrf))
                label for="title" { (l.t("requests-field-title")) }
                input #title name="title" type="text" required maxlength=(ferry_core::file_request::MAX_TITLE_CHARS);
                label for="message" { (l.t("requests-field-message")) }
                textarea #message name="message" rows="2" maxlength=(ferry_core::file_request::MAX_MESSAGE_CHARS) {}
                div.row {
                    div {
                        label for="days" { (l.t("requests-field-days")) }
                        input #days name="days" type="number" min="1" max=(ferry_core::file_request::MAX_REQUEST_DAYS) value="7" required;
                    }
                    div {
                        label for="max_files" { (l.t("requests-field-max-files")) }
                        input #max_files name="max_files" type="number" min="1" value="10" required;
                    }
                    div {
                        label for="max_size" { (l.t("requests-field-max-size")) }
                        input #max_size name="max_size" type="text" value="1 GB" required aria-describedby="size-hint";
                        small #size-hint .hint { (l.t("requests-size-hint")) }
                    }
                }
                div.row {
                    div {
                        label for="transfer_days" { (l.t("requests-field-transfer-days")) }
                        input #transfer_days name="transfer_days" type="number" min="1" max=(config.max_days_limit) value=(config.default_max_days.min(config.max_days_limit)) required;
                    }
                    div {
                        label for="transfer_max_downloads" { (l.t("requests-field-transfer-max-downloads")) }
                        input #transfer_max_downloads name="transfer_max_downloads" type="number" min="1" max="1000000" placeholder=(l.t("send-no-limit"));
                    }
                    div {
                        label for="request_password" { (l.t("requests-field-password")) }
                        input #request_password name="password" type="password" autocomplete="new-password"
                            minlength=(MIN_SHARE_PASSWORD_CHARS) aria-describedby="request-password-hint";
                        small #request-password-hint .hint { (l.t_args("send-password-hint", &[("min", MIN_SHARE_PASSWORD_CHARS.into())])) }
                    }
                }
                p { button type="submit" { (l.t("requests-create")) } }
            }
        }
    };
    Ok(respond(
        status,
        page(
            &l.t("requests-title"),
            &visitor.viewer(),
            body,
            Some("share.js"),
        ),
    ))
}

/// One of the owner's requests: its link (with a QR code while open), what arrived,
/// and the close button.
fn request_row(
    l: Locale,
    file_request: &FileRequest,
    base: &str,
    csrf: &str,
    now: chrono::DateTime<Utc>,
) -> Markup {
    let link = format!("{base}/r/{}", file_request.token);
    let open = file_request.is_open(now);
    html! {
        article.request {
            h2 { (file_request.title) }
            div.meta.spaced {
                span { (l.t_args("requests-files-used", &[("used", file_request.files_used.into()), ("max", file_request.max_files.into())])) }
                span { (l.t_args("requests-bytes-used", &[("used", l.size(file_request.bytes_used).into()), ("max", l.size(file_request.max_bytes).into())])) }
                @if file_request.password_hash.is_some() {
                    span { (l.t("password-protected")) }
                }
                @if file_request.closed_at.is_some() {
                    span { (l.t("requests-closed")) }
                } @else if !open {
                    span { (l.t("requests-expired")) }
                } @else {
                    span { (l.t_args("request-open-until", &[("date", l.date_time(file_request.expires_at).into())])) }
                }
            }
            @if open {
                div.share-link {
                    input id={ "link-" (file_request.token) } type="text" readonly value=(link)
                        aria-label=(l.t_args("requests-link-label", &[("title", file_request.title.as_str().into())]));
                    button type="button" data-copy={ "link-" (file_request.token) } data-status="copy-status"
                        data-copied=(l.t("copied")) data-copied-status=(l.t("copied-status")) { (l.t("copy")) }
                }
                details {
                    summary { (l.t("requests-qr")) }
                    (qr::figure(l, &link))
                }
                form method="post" action={ "/requests/" (file_request.token) "/close" } {
                    (csrf_field(csrf))
                    button.link type="submit" { (l.t("requests-close")) }
                }
            }
        }
    }
}

/// `POST /requests`: creates a request; a bad field shows the form again with why.
pub async fn create(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<NewRequestForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor.user.ok_or(Error::Forbidden("sign_in_required"))?;
    let form = form.into_inner();
    let password_hash = match SharePassword::parse_optional(&form.password) {
        Ok(None) => None,
        Ok(Some(password)) => Some(passwords.hash(password.expose().to_owned()).await?),
        Err(weak) => {
            return requests_page(
                &request,
                &session,
                &service,
                &config,
                Some(&weak.message(visitor.locale)),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let typed = RequestForm {
        title: form.title,
        message: form.message,
        days: form.days,
        max_files: form.max_files,
        max_size: form.max_size,
        transfer_days: form.transfer_days,
        transfer_max_downloads: form.transfer_max_downloads,
        password_hash,
        locale: visitor.locale,
    };
    match service.create_file_request(user.id, &typed).await {
        Ok(_) => Ok(redirect("/requests")),
        Err(ferry_core::Error::Invalid(problem)) => {
            requests_page(
                &request,
                &session,
                &service,
                &config,
                Some(&problem),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /requests/{token}/close`: closes one of the signed-in user's requests.
pub async fn close(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor.user.ok_or(Error::Forbidden("sign_in_required"))?;
    service.close_file_request(&token, user.id).await?;
    Ok(redirect("/requests"))
}

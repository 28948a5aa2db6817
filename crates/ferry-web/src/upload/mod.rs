//! What a sender sees in a browser: the upload page (`GET /` when the client wants
//! HTML) with its draft — files land in it over tus, and the page's script adds them
//! (`POST /draft`) or the sender removes one (`POST /draft/remove`) — sending the draft
//! as one transfer (`POST /send`), and the page with the link to share (`/sent/…`).
//! Server-rendered; the scripts are `/assets/upload.js` (resumable uploads with
//! progress) and, on the sent page, `/assets/share.js` (the copy button).
//!
//! A new page or form of the sender goes here, beside the handler its markup belongs
//! to; its route goes in `routes.rs`. The bytes themselves arrive through
//! `crate::api::tus`; what the upload and share pages both render is in
//! `crate::http::html`.
//!
//! A new setting is a field of `Config`; a new job type is enqueued through a use case
//! of `ferry_core::Service`, never built here; a new string stays beside the markup
//! that shows it (the full list is in `crate::http`'s module docs).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::{
    MIN_SHARE_PASSWORD_CHARS, SendDraft, Service, SharePassword,
    mail::{MAX_MESSAGE_CHARS, plausible_email},
    rate_limit::{self, Bucket},
};
use maud::html;
use serde::Deserialize;

use crate::{
    Config,
    http::{
        budget::Hold,
        csrf, drop,
        error::{Error, Result},
        html::{csrf_field, limits_line, ok, page, redirect},
        language::Locale,
        password::Passwords,
        qr, request, visitor,
    },
};

/// `GET /` for browsers: drop files, watch them upload into the draft, send it.
pub async fn upload_page(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    if visitor.user.is_none() && !config.uploads.anyone() {
        return Ok(members_only_page(&visitor));
    }
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
    // E-mail is offered only to a signed-in sender whose address is confirmed: to
    // anyone else, a recipients field would be an open relay for spam.
    let mail_on = config.mail.enabled()
        && visitor
            .user
            .as_ref()
            .is_some_and(|u| u.email_verified_at.is_some());
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("upload-title")) }
            p.lead { (l.t("upload-lead")) }
            (drop::drop_zone(l, &draft_token, None))
        }
        section.card aria-labelledby="draft-title" {
            h2 #draft-title { (l.t("draft-title")) }
            (drop::draft_list(l, &drafted, Some(csrf)))
            form method="post" action="/send" {
                (csrf_field(csrf))
                div.row {
                    div {
                        label for="days" { (l.t("send-expires-after")) }
                        select #days name="days" {
                            @for days in day_choices {
                                option value=(days) selected[days == default_days] { (l.t_args("days-count", &[("days", days.into())])) }
                            }
                        }
                    }
                    div {
                        label for="max_downloads" { (l.t("send-download-limit")) }
                        input #max_downloads name="max_downloads" type="number" min="1" max="1000000" placeholder=(l.t("send-no-limit"));
                    }
                    div {
                        label for="password" { (l.t("send-password")) }
                        input #password name="password" type="password" autocomplete="new-password"
                            minlength=(MIN_SHARE_PASSWORD_CHARS) aria-describedby="password-hint";
                        small #password-hint .hint { (l.t_args("send-password-hint", &[("min", MIN_SHARE_PASSWORD_CHARS.into())])) }
                    }
                }
                @if mail_on {
                    div.row {
                        div {
                            label for="recipients" { (l.t("send-recipients")) }
                            input #recipients name="recipients" type="text" autocomplete="off"
                                aria-describedby="recipients-hint";
                            small #recipients-hint .hint {
                                (l.t_args("send-recipients-hint", &[("max", config.mail_recipients_per_send.into())]))
                            }
                        }
                        div {
                            label for="message" { (l.t("send-message")) }
                            textarea #message name="message" maxlength=(MAX_MESSAGE_CHARS) rows="2" {}
                        }
                    }
                    p {
                        label.check {
                            input #notify name="notify" type="checkbox" value="1";
                            " " (l.t("send-notify"))
                        }
                    }
                }
                p { button #send-button type="submit" disabled[drafted.is_empty()] { (l.t("send-button")) } }
            }
        }
    };
    Ok(ok(page(
        &l.t("upload-title"),
        &visitor.viewer(),
        body,
        Some("upload.js"),
    )))
}

/// The upload page for a visitor without an account when `UPLOADS=members`: what to
/// do instead (sign in; a share link or a file request needs no account).
fn members_only_page(visitor: &visitor::Visitor) -> HttpResponse {
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("upload-title")) }
            p.lead { (l.t("members-only-lead")) }
            p {
                a.button href="/signin" { (l.t("sign-in")) }
            }
            p.muted { (l.t("members-only-links")) }
        }
    };
    ok(page(&l.t("upload-title"), &visitor.viewer(), body, None))
}

/// `POST /draft` (script, JSON, `X-CSRF-Token`): adds a finished draft upload. Only
/// the page that started the upload may add it: its draft token is in the upload's
/// metadata.
pub async fn add_to_draft(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    body: web::Json<drop::DraftAdd>,
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
        .add_to_draft(&draft, body.upload_id(), &token)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "files": files })))
}

/// The form that takes a file out of the draft.
#[derive(Deserialize)]
pub struct DraftRemove {
    _csrf: String,
    upload_id: String,
}

/// `POST /draft/remove` (form): takes a file out of the draft.
pub async fn remove_from_draft(
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

/// The send form: lifetime, download limit, optional password.
#[derive(Deserialize)]
pub struct SendForm {
    _csrf: String,
    days: String,
    #[serde(default)]
    max_downloads: String,
    #[serde(default)]
    password: String,
    /// Addresses to mail the link to, separated by commas (or spaces, semicolons).
    #[serde(default)]
    recipients: String,
    /// A short message for them.
    #[serde(default)]
    message: String,
    /// Tell the sender of the first download.
    #[serde(default)]
    notify: Option<String>,
}

/// The recipients typed on the send form: each a plausible address, at most
/// `most`, no repeats; a clear message in `locale` otherwise.
fn parse_recipients(typed: &str, most: usize, locale: Locale) -> Result<Vec<String>> {
    let mut recipients: Vec<String> = Vec::new();
    for address in typed.split([',', ';', ' ', '\n', '\r', '\t']) {
        let address = address.trim().to_lowercase();
        if address.is_empty() || recipients.contains(&address) {
            continue;
        }
        if !plausible_email(&address) {
            return Err(Error::bad_request(locale.t_args(
                "send-error-not-address",
                &[("address", address.as_str().into())],
            )));
        }
        recipients.push(address);
    }
    if recipients.len() > most {
        return Err(Error::bad_request(
            locale.t_args("send-error-too-many", &[("max", most.into())]),
        ));
    }
    Ok(recipients)
}

/// `POST /send`: the draft becomes one transfer.
pub async fn send(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    if visitor.user.is_none() && !config.uploads.anyone() {
        return Err(Error::Unauthorized("sign_in_required"));
    }
    let max_downloads = Some(form.max_downloads.as_str()).filter(|v| !v.trim().is_empty());
    let limits = match visitor.user {
        Some(_) => service.account_limits(max_downloads, Some(&form.days))?,
        None => service.limits(max_downloads, Some(&form.days))?,
    };
    let password = SharePassword::parse_optional(&form.password)
        .map_err(|weak| Error::bad_request(weak.message(visitor.locale)))?;
    let password_hash = match password {
        None => None,
        Some(password) => Some(passwords.hash(password.expose().to_owned()).await?),
    };
    // Mail: checked before anything is sent, so a refused list sends nothing.
    let recipients = parse_recipients(
        &form.recipients,
        config.mail_recipients_per_send as usize,
        visitor.locale,
    )?;
    let message = Some(form.message.trim().to_owned()).filter(|m| !m.is_empty());
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
    {
        return Err(Error::bad_request(visitor.locale.t_args(
            "send-error-message-long",
            &[("max", MAX_MESSAGE_CHARS.into())],
        )));
    }
    let notify = form.notify.is_some();
    let mailer = match &visitor.user {
        _ if recipients.is_empty() && !notify => None,
        Some(user) if config.mail.enabled() && user.email_verified_at.is_some() => Some(user),
        _ => return Err(Error::Forbidden("address_not_verified")),
    };
    if let Some(user) = mailer
        && !recipients.is_empty()
    {
        let ip = request::client_ip(&request, &config);
        rate_limit::enforce(
            service.state(),
            &[
                Bucket {
                    name: format!("link-mail-account:{}", user.id),
                    max: config.link_mails_per_account_per_hour,
                    window_secs: 3600,
                },
                Bucket {
                    name: format!("link-mail-ip:{ip}"),
                    max: config.link_mails_per_ip_per_hour,
                    window_secs: 3600,
                },
            ],
        )
        .await?;
    }
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
    // The transfer exists from here on: a failure to queue its mails must not hide
    // the link from the sender, so it becomes a notice on the sent page.
    let mut to = format!("/sent/{}", transfer.token);
    if let Some(user) = mailer {
        let queued = async {
            if notify {
                service
                    .notify_first_download(transfer.id, visitor.locale)
                    .await?;
            }
            if !recipients.is_empty() {
                let base = request::base_url(&request, &config);
                let url = format!("{base}/s/{}", transfer.token);
                let files = transfer.files.iter().map(|f| f.name.clone()).collect();
                service
                    .send_link(user, &recipients, &url, files, message, visitor.locale)
                    .await?;
            }
            Ok::<(), ferry_core::Error>(())
        };
        if let Err(error) = queued.await {
            tracing::error!(error.cause_chain = ?error, "queueing a sent transfer's mails");
            to.push_str("?mail=failed");
        }
    }
    let mut response = redirect(&to);
    response
        .add_cookie(&visitor::sent_cookie(&config, &transfer.token))
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(response)
}

/// `GET /sent/{token}`'s query: `mail=failed` when the transfer's mails could not be queued.
#[derive(serde::Deserialize)]
pub struct SentQuery {
    mail: Option<String>,
}

/// `GET /sent/{token}`: the link to share, for the session that sent it.
pub async fn sent(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    query: web::Query<SentQuery>,
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
    let l = visitor.locale;
    let body = html! {
        section.card {
            div.notice.ok {
                (l.t_args("sent-notice", &[("count", count.into()), ("size", l.size(transfer.total_size()).into())]))
            }
            @if query.mail.as_deref() == Some("failed") {
                div.notice.error role="alert" {
                    (l.t("sent-mail-failed"))
                }
            }
            label for="share-link" { (l.t("share-link-label")) }
            div.share-link {
                input #share-link type="text" readonly dir="ltr" value=(link);
                button type="button" data-copy="share-link" data-status="copy-status"
                    data-copied=(l.t("copied")) data-copied-status=(l.t("copied-status")) { (l.t("copy")) }
            }
            // Announced by screen readers when share.js copies the link.
            span.sr-only #copy-status role="status" aria-live="polite" {}
            (qr::figure(l, &link))
            div.meta.spaced { (limits_line(l, &transfer)) }
            p { a.button.secondary href={ "/s/" (transfer.token) } { (l.t("open-share-page")) } }
        }
        section.card {
            h2 { (l.t("changed-mind")) }
            form method="post" action={ "/s/" (transfer.token) "/delete" } {
                (csrf_field(&visitor.csrf))
                input type="hidden" name="deletion" value=(deletion);
                p.muted { (l.t("delete-explain")) }
                button.secondary type="submit" { (l.t("delete-transfer")) }
            }
        }
    };
    Ok(ok(page(
        &l.t("sent-title"),
        &visitor.viewer(),
        body,
        Some("share.js"),
    )))
}

//! What a recipient sees: the share page of a transfer (`/s/{token}`), unlocking it
//! with its password, the sender's deletion from it, and the downloads themselves —
//! single files with Range, the archive of all of them, thumbnails, previews
//! ([`download`]).
//! Server-rendered; the only script is `/assets/share.js` (copy buttons), and
//! downloads work without JavaScript.
//!
//! A new page a recipient sees goes here, beside the handler its markup belongs to;
//! its route goes in `routes.rs`. What the share page and another feature both render
//! (the limits line, the page layout) is in `crate::http::html`.
//!
//! A new setting is a field of `Config`; a new job type is enqueued through a use case
//! of `ferry_core::Service`, never built here; a new string stays beside the markup
//! that shows it (the full list is in `crate::http`'s module docs).

pub mod download;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::{Service, Unlock};
use ferry_state::transfer::{Blocked, Transfer};
use maud::html;
use serde::Deserialize;

use crate::{
    Config,
    http::{
        csrf,
        error::Result,
        html::{self, limits_line, linked, ok, page, redirect, respond},
        links,
        names::{self, Preview},
        password::Passwords,
        qr, request,
        visitor::{self, Visitor},
    },
};

/// Text files whose start the share page shows (64 KiB each, read from the blob store
/// on every view): the rest get a link. Bounds what one page view reads.
const TEXT_PREVIEWS_PER_PAGE: usize = 3;

/// `GET /s/{token}`: what a recipient sees — the files, their previews (see
/// `download::Presentation::Preview` for what one costs) and the link's QR code.
pub async fn share_page(
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
            "password-required",
            None,
            actix_web::http::StatusCode::OK,
        ));
    }
    let count = transfer.files.len();
    let token = transfer.token.as_str();
    let link = format!("{}/s/{token}", request::base_url(&request, &config));
    // Previews are free only without a download limit: with one, each is a download,
    // so none is shown before a click and the page reads no file's bytes.
    let limited = transfer.max_downloads.is_some();
    // A file its malware scan keeps back gets a label instead of its links.
    let blocked: Vec<Option<Blocked>> = transfer
        .files
        .iter()
        .map(|file| file.blocked(config.common.scan.scan_required))
        .collect();
    let previews: Vec<Option<Preview>> = transfer
        .files
        .iter()
        .zip(&blocked)
        .map(|(file, blocked)| match blocked {
            Some(_) => None,
            None => names::preview(&file.content_type),
        })
        .collect();
    let mut excerpts = vec![None; count];
    if !limited {
        let texts = previews
            .iter()
            .enumerate()
            .filter(|(_, preview)| **preview == Some(Preview::Text))
            .take(TEXT_PREVIEWS_PER_PAGE);
        for (i, _) in texts {
            excerpts[i] = download::text_excerpt(&service, &transfer.files[i]).await?;
        }
    }
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t_args("files-for-you", &[("count", count.into())])) }
            div.meta { span { (l.size(transfer.total_size())) } (limits_line(l, &transfer)) }
            @if limited && previews.iter().any(Option::is_some) {
                p.muted #preview-cost { (l.t("preview-cost")) }
            }
            ul.files {
                @for (i, file) in transfer.files.iter().enumerate() {
                    @let href = links::encode_segment(&file.name);
                    @let preview_url = format!("/preview/{token}/{href}");
                    li {
                        @if file.thumbnail_blob_id.is_some() && blocked[i].is_none() {
                            img.thumb src={ "/thumb/" (token) "/" (href) } alt="" loading="lazy";
                        }
                        span.name dir="auto" { (file.name) }
                        span.size { (l.size(file.size)) }
                        @if let Some(blocked) = blocked[i] {
                            span.scan role="status" { (match blocked {
                                Blocked::Infected => l.t_args("scan-label-infected", &[("signature", file.scan_signature.as_deref().unwrap_or("?").into())]),
                                Blocked::Pending => l.t("scan-label-pending"),
                                Blocked::Unscanned => l.t("scan-label-unscanned"),
                            }) }
                        } @else {
                            @match (previews[i], limited, &excerpts[i]) {
                                (None, _, _) | (Some(Preview::Video | Preview::Audio), false, _) | (Some(Preview::Text), false, Some(_)) => {}
                                // A button, not a link: it spends a download.
                                (Some(_), true, _) => {
                                    form.inline method="get" action=(preview_url) {
                                        button.secondary type="submit" aria-describedby="preview-cost" { (l.t("preview")) }
                                    }
                                }
                                (Some(Preview::Pdf), false, _) => {
                                    a.button.secondary href=(preview_url) target="_blank" rel="noopener" { (l.t("view-pdf")) }
                                }
                                (Some(Preview::Text), false, None) => {
                                    a.button.secondary href=(preview_url) { (l.t("view-text")) }
                                }
                            }
                            a.button.secondary href={ "/get/" (token) "/" (href) } download { (l.t("download")) }
                        }
                        @if !limited {
                            @match (previews[i], &excerpts[i]) {
                                (Some(Preview::Video), _) => div.preview {
                                    video controls preload="metadata" src=(preview_url)
                                        aria-label=(l.t_args("play-label", &[("name", file.name.as_str().into())])) {}
                                },
                                (Some(Preview::Audio), _) => div.preview {
                                    audio controls preload="metadata" src=(preview_url)
                                        aria-label=(l.t_args("play-label", &[("name", file.name.as_str().into())])) {}
                                },
                                (Some(Preview::Text), Some((text, more))) => div.preview {
                                    pre.text-preview tabindex="0" dir="auto"
                                        aria-label=(l.t_args("text-start-label", &[("name", file.name.as_str().into())])) { (text) }
                                    @if *more {
                                        p.muted { (linked(l, "text-first-part", &preview_url, "view-all-text")) }
                                    }
                                },
                                _ => {}
                            }
                        }
                    }
                }
            }
            @if blocked.contains(&Some(Blocked::Infected)) {
                p #scan-notice { (l.t(if transfer.owner_id.is_some() { "scan-owner-told" } else { "scan-no-owner" })) }
            }
            @if count > 1 && blocked.iter().any(Option::is_none) {
                p { a.button href={ "/" (token) ".zip" } { (l.t("download-zip")) } }
                @if blocked.iter().any(Option::is_some) {
                    p.muted { (l.t("scan-zip-leaves-out")) }
                }
            }
        }
        section.card {
            h2 { (l.t("share-this-page")) }
            (qr::figure(l, &link))
        }
    };
    Ok(ok(page(
        &l.t("download-title"),
        &visitor.viewer(),
        body,
        None,
    )))
}

fn gone_page(visitor: &Visitor) -> HttpResponse {
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("gone-heading")) }
            p.lead { (l.t("gone-lead")) }
            p { a.button href="/" { (l.t("send-your-own")) } }
        }
    };
    respond(
        actix_web::http::StatusCode::NOT_FOUND,
        page(&l.t("gone-title"), &visitor.viewer(), body, None),
    )
}

/// The share's password page ([`html::password_page`]); `title` and `error` are
/// catalogue keys.
fn password_page(
    visitor: &Visitor,
    transfer: &Transfer,
    title: &str,
    error: Option<&str>,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let l = visitor.locale;
    html::password_page(
        &visitor.viewer(),
        &l.t(title),
        &l.t("share-password-lead"),
        &format!("/s/{}/unlock", transfer.token),
        error.map(|key| l.t(key)).as_deref(),
        status,
    )
}

/// The password page saying the password cannot be checked right now (503).
fn cannot_check_now(visitor: &Visitor, transfer: &Transfer) -> HttpResponse {
    password_page(
        visitor,
        transfer,
        "try-again-title",
        Some("unavailable-unlock"),
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
    )
}

/// The share-password form.
#[derive(Deserialize)]
pub struct UnlockForm {
    _csrf: String,
    password: String,
}

/// `POST /s/{token}/unlock`: checks the share password. The counting (per client IP,
/// per transfer, in Redis) is the use case's, `Service::unlock_transfer`; this handler
/// brings the bounded hasher and renders the verdict.
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
    let client = request::client_ip(&request, &config);
    let verdict = service
        .unlock_transfer(&token, &client, config.unlock_limits(), async |hash| {
            passwords.check(form.password.clone(), hash).await
        })
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
            "password-required",
            Some("wrong-password"),
            actix_web::http::StatusCode::FORBIDDEN,
        )),
    }
}

/// The sender's deletion form (it carries the deletion token).
#[derive(Deserialize)]
pub struct DeleteForm {
    _csrf: String,
    deletion: String,
}

/// `POST /s/{token}/delete`: deletion by the sender (who has the deletion token).
pub async fn delete(
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
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("deleted-title")) }
            p.lead { (l.t("deleted-lead")) }
            p { a.button href="/" { (l.t("send-more")) } }
        }
    };
    Ok(ok(page(
        &l.t("deleted-title"),
        &visitor.viewer(),
        body,
        None,
    )))
}

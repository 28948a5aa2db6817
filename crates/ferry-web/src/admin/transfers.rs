//! `/admin/transfers`: find a transfer by its token, a file's name or its owner's
//! address, and take it down (links 404 at once, bytes freed before the answer; the
//! audit log records it).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::Service;
use maud::html;

use crate::{
    Config,
    http::{
        error::{Error, Result},
        html::{CsrfOnly, csrf_field, redirect},
    },
};

use super::{acting_admin, admin, admin_page, nav, users::Search};

/// `GET /admin/transfers?q=`: the transfers `q` finds, newest first.
pub async fn transfers(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    query: web::Query<Search>,
) -> Result<HttpResponse> {
    let visitor = admin(&request, &session, service.state(), &config).await?;
    let l = visitor.locale;
    let q = query.into_inner().q;
    let found = service.state().search_transfers(q.trim(), 200).await?;
    let body = html! {
        section.card {
            h1 { (l.t("admin-transfers")) }
            (nav(l))
            form.search method="get" action="/admin/transfers" role="search" {
                label for="transfer-search" { (l.t("admin-search-transfers")) }
                input #transfer-search name="q" type="search" value=(q);
                button type="submit" { (l.t("admin-search")) }
            }
            ul.files #transfer-list {
                @for hit in &found {
                    li {
                        div.progress-row {
                            a.name href={ "/s/" (hit.token) } { (hit.names) }
                            span.meta.spaced {
                                span { code { (hit.token) } }
                                span { (hit.owner_email.as_deref().map(str::to_owned).unwrap_or_else(|| l.t("admin-anonymous"))) }
                                span { (l.date_time(hit.created_at)) }
                                @if !hit.live { span { (l.t("admin-not-live")) } }
                            }
                        }
                        span.size { (l.size(hit.size)) }
                        form method="post" action={ "/admin/transfers/" (hit.token) "/take-down" } {
                            (csrf_field(&visitor.csrf))
                            button.secondary type="submit" { (l.t("admin-take-down")) }
                        }
                    }
                }
                @if found.is_empty() {
                    li.muted { (l.t("admin-none")) }
                }
            }
        }
    };
    Ok(admin_page(&l.t("admin-transfers"), &visitor, body))
}

/// `POST /admin/transfers/{token}/take-down`: takes the transfer down now.
pub async fn take_down(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    let actor = acting_admin(&request, &session, service.state(), &config, &form._csrf).await?;
    if !service.take_down(&actor, &token).await? {
        return Err(Error::NotFound);
    }
    Ok(redirect("/admin/transfers"))
}

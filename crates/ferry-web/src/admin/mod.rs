//! The operations view at `/admin`, for signed-in admins: live processes per type (from
//! their heartbeats), queue depths, dead jobs with retry, schedules with last and next
//! slot. Grant access with `ferry admin users make-admin EMAIL`.
//!
//! A new operator page goes here, its route in `routes.rs`, and what it does in a use
//! case of `ferry_core::Service` (shared with the admin CLI), never in the handler.
//!
//! A new setting is a field of `Config`; a new job type is enqueued through a use case
//! of `ferry_core::Service`, never built here; a new string stays beside the markup
//! that shows it (the full list is in `crate::http`'s module docs).

pub mod transfers;
pub mod users;

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use ferry_core::Service;
use ferry_state::State;
use maud::html;

use crate::{
    Config,
    http::{
        csrf,
        error::{Error, Result},
        html::{CsrfOnly, csrf_field, page},
        language::Locale,
        visitor::{self, Visitor},
    },
};

pub(crate) async fn admin(
    request: &HttpRequest,
    session: &Session,
    state: &State,
    config: &Config,
) -> Result<Visitor> {
    let visitor = visitor::load(request, session, state, config).await?;
    match &visitor.user {
        Some(user) if user.is_admin => Ok(visitor),
        // Not even that the page exists: whoever is not an admin gets the 404 any
        // unknown address gets.
        _ => Err(Error::NotFound),
    }
}

/// `GET /admin`: the operations view.
pub async fn overview(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = admin(&request, &session, &state, &config).await?;
    let l = visitor.locale;
    let processes = state.live_processes().await?;
    let depths = state.queue_depths().await?;
    let dead = state.dead_jobs().await?;
    let audit = state.audit_entries(50).await?;
    let last_slots: BTreeMap<String, chrono::DateTime<Utc>> =
        state.last_slots().await?.into_iter().collect();

    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &processes {
        *per_kind.entry(p.kind.as_str()).or_default() += 1;
    }
    let count = |kind: &str| per_kind.get(kind).copied().unwrap_or(0);
    // Schedules announced by live clocks (once each), then slots no clock announces.
    let mut seen = std::collections::BTreeSet::new();
    let mut announced = Vec::new();
    for clock in processes.iter().filter(|p| p.kind == "clock") {
        for schedule in clock.details["schedules"].as_array().into_iter().flatten() {
            let name = schedule["name"].as_str().unwrap_or_default().to_owned();
            if !seen.insert(name.clone()) {
                continue;
            }
            let last = last_slots
                .get(&name)
                .map(|t| l.date_time(*t))
                .unwrap_or_else(|| l.t("admin-never"));
            let expression = schedule["expression"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let next = schedule["next"].as_str().unwrap_or("?").to_owned();
            announced.push((name, expression, last, next));
        }
    }
    let now = Utc::now();
    let body = html! {
        section.card {
            h1 { (l.t("admin-title")) }
            (nav(l))
            div.meta {
                span { "web: " (count("web")) }
                span { "worker: " (count("worker")) }
                span { "clock: " (count("clock")) }
            }
            h2 { (l.t("admin-processes")) }
            ul.files {
                @for p in &processes {
                    li {
                        span.name { strong { (p.kind) } " " (p.id) }
                        span.size {
                            (l.t_args("admin-process-line", &[
                                ("pid", p.pid.into()),
                                ("version", p.version.as_str().into()),
                                ("uptime", humanize(l, (now - p.started_at).num_seconds()).into()),
                                ("seen", humanize(l, (now - p.last_seen).num_seconds()).into()),
                            ]))
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (l.t("admin-queues")) }
            ul.files {
                @for d in &depths {
                    li { span.name { (d.queue) " — " (d.status) } span.size { (d.count) } }
                }
                @if depths.is_empty() {
                    li.muted { (l.t("admin-no-jobs")) }
                }
            }
        }
        section.card {
            h2 { (l.t("admin-dead")) }
            ul.files {
                @for job in dead.iter().take(100) {
                    li {
                        span.name {
                            (job.queue) " " span.muted { (job.id) } br;
                            span.muted { (job.last_error.as_deref().unwrap_or("")) }
                        }
                        span.size { (l.t_args("admin-attempts", &[("count", job.attempts.into())])) }
                        form method="post" action={ "/admin/jobs/" (job.id) "/retry" } {
                            (csrf_field(&visitor.csrf))
                            button.secondary type="submit" { (l.t("admin-retry")) }
                        }
                    }
                }
                @if dead.is_empty() {
                    li.muted { (l.t("admin-none")) }
                }
            }
        }
        section.card #audit {
            h2 { (l.t("admin-audit")) }
            p.muted { (l.t("admin-audit-lead")) }
            ul.files {
                @for entry in &audit {
                    li {
                        span.name { strong { (entry.action) } " " (entry.target) br; span.muted { (entry.actor) } }
                        span.size { (l.date_time(entry.at)) }
                    }
                }
                @if audit.is_empty() {
                    li.muted { (l.t("admin-none")) }
                }
            }
        }
        section.card {
            h2 { (l.t("admin-schedules")) }
            ul.files {
                @for (name, expression, last, next) in &announced {
                    li {
                        span.name { strong { (name) } " " span.muted { (expression) } }
                        span.size { (l.t_args("admin-last-next", &[("last", last.as_str().into()), ("next", next.as_str().into())])) }
                    }
                }
                @for (name, last) in &last_slots {
                    @if !seen.contains(name) {
                        li {
                            span.name { strong { (name) } " " span.muted { (l.t("admin-unannounced")) } }
                            span.size { (l.t_args("admin-last", &[("last", l.date_time(*last).into())])) }
                        }
                    }
                }
            }
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(page(&l.t("admin-title"), &visitor.viewer(), body, None).into_string()))
}

/// The admin pages' own links.
fn nav(l: Locale) -> maud::Markup {
    html! {
        p.spaced {
            a href="/admin" { (l.t("admin-title")) }
            " · " a href="/admin/users" { (l.t("admin-users")) }
            " · " a href="/admin/transfers" { (l.t("admin-transfers")) }
        }
    }
}

/// An admin page's answer: never cached, varies with the visitor.
fn admin_page(title: &str, visitor: &Visitor, body: maud::Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(page(title, &visitor.viewer(), body, None).into_string())
}

fn humanize(locale: Locale, seconds: i64) -> String {
    let (key, n) = match seconds {
        s if s < 120 => ("duration-seconds", s),
        s if s < 7200 => ("duration-minutes", s / 60),
        s if s < 172_800 => ("duration-hours", s / 3600),
        s => ("duration-days", s / 86_400),
    };
    locale.t_args(key, &[("n", n.into())])
}

/// The start of every admin action: the caller is an admin — checked first, so that
/// to anyone else the action does not exist (404), whatever they send — then the
/// form's CSRF token. Returns the admin's address, the audit log's actor.
pub(crate) async fn acting_admin(
    request: &HttpRequest,
    session: &Session,
    state: &State,
    config: &Config,
    presented_csrf: &str,
) -> Result<String> {
    let visitor = admin(request, session, state, config).await?;
    csrf::verify(request, session, config, Some(presented_csrf))?;
    Ok(visitor.user.map(|u| u.email).unwrap_or_default())
}

/// `POST /admin/jobs/{id}/retry`: gives a dead job another set of attempts.
pub async fn retry(
    request: HttpRequest,
    session: Session,
    id: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    let actor = acting_admin(&request, &session, service.state(), &config, &form._csrf).await?;
    service.retry_dead_job(&actor, &id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}

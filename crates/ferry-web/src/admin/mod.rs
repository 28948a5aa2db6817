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
        visitor::{self, Visitor},
    },
};

async fn admin(
    request: &HttpRequest,
    session: &Session,
    state: &State,
    config: &Config,
) -> Result<Visitor> {
    let visitor = visitor::load(request, session, state, config).await?;
    match &visitor.user {
        Some(user) if user.is_admin => Ok(visitor),
        _ => Err(Error::Forbidden("admin_only")),
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
    let processes = state.live_processes().await?;
    let depths = state.queue_depths().await?;
    let dead = state.dead_jobs().await?;
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
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "never".into());
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
            h1 { "Operations" }
            div.meta {
                span { "web: " (count("web")) }
                span { "worker: " (count("worker")) }
                span { "clock: " (count("clock")) }
            }
            h2 { "Processes" }
            ul.files {
                @for p in &processes {
                    li {
                        span.name { strong { (p.kind) } " " (p.id) }
                        span.size {
                            "pid " (p.pid) " · v" (p.version) " · up "
                            (humanize((now - p.started_at).num_seconds()))
                            " · seen " ((now - p.last_seen).num_seconds()) "s ago"
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Queues" }
            ul.files {
                @for d in &depths {
                    li { span.name { (d.queue) " — " (d.status) } span.size { (d.count) } }
                }
                @if depths.is_empty() {
                    li.muted { "No jobs yet." }
                }
            }
        }
        section.card {
            h2 { "Dead jobs" }
            ul.files {
                @for job in dead.iter().take(100) {
                    li {
                        span.name {
                            (job.queue) " " span.muted { (job.id) } br;
                            span.muted { (job.last_error.as_deref().unwrap_or("")) }
                        }
                        span.size { (job.attempts) " attempts" }
                        form method="post" action={ "/admin/jobs/" (job.id) "/retry" } {
                            (csrf_field(&visitor.csrf))
                            button.secondary type="submit" { "Retry" }
                        }
                    }
                }
                @if dead.is_empty() {
                    li.muted { "None." }
                }
            }
        }
        section.card {
            h2 { "Schedules" }
            ul.files {
                @for (name, expression, last, next) in &announced {
                    li {
                        span.name { strong { (name) } " " span.muted { (expression) } }
                        span.size { "last " (last) " · next " (next) }
                    }
                }
                @for (name, last) in &last_slots {
                    @if !seen.contains(name) {
                        li {
                            span.name { strong { (name) } " " span.muted { "no clock announces it now" } }
                            span.size { "last " (last.format("%Y-%m-%d %H:%M:%S UTC").to_string()) }
                        }
                    }
                }
            }
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page("Operations", &visitor.viewer(), body, None).into_string()))
}

fn humanize(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
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
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    admin(&request, &session, service.state(), &config).await?;
    service.retry_dead_job(&id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}

//! The operations view at `/admin`, for signed-in admins: live processes per type (from
//! their heartbeats), queue depths, dead jobs with retry, schedules with last and next
//! slot. Grant access with `ferry admin users make-admin EMAIL`.

use std::{collections::BTreeMap, fmt::Write};

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use ferry_state::State;

use crate::{
    Config, csrf,
    error::{Error, Result},
    html::{CsrfOnly, esc, page},
    visitor::{self, Visitor},
};

/// Registers the admin routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(overview))
        .route("/admin/jobs/{id}/retry", web::post().to(retry));
}

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

async fn overview(
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

    let mut body = String::from(r#"<section class="card"><h1>Operations</h1>"#);
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &processes {
        *per_kind.entry(p.kind.as_str()).or_default() += 1;
    }
    let _ = write!(
        body,
        r#"<div class="meta"><span>web: {}</span><span>worker: {}</span><span>clock: {}</span></div>"#,
        per_kind.get("web").unwrap_or(&0),
        per_kind.get("worker").unwrap_or(&0),
        per_kind.get("clock").unwrap_or(&0)
    );
    body.push_str(r#"<h2>Processes</h2><ul class="files">"#);
    for p in &processes {
        let _ = write!(
            body,
            r#"<li><span class="name"><strong>{kind}</strong> {id}</span><span class="size">pid {pid} · v{version} · up {up} · seen {seen}s ago</span></li>"#,
            kind = esc(&p.kind),
            id = esc(&p.id),
            pid = p.pid,
            version = esc(&p.version),
            up = humanize((Utc::now() - p.started_at).num_seconds()),
            seen = (Utc::now() - p.last_seen).num_seconds(),
        );
    }
    body.push_str("</ul></section>");

    body.push_str(r#"<section class="card"><h2>Queues</h2><ul class="files">"#);
    for d in &depths {
        let _ = write!(
            body,
            r#"<li><span class="name">{} — {}</span><span class="size">{}</span></li>"#,
            esc(&d.queue),
            esc(&d.status),
            d.count
        );
    }
    if depths.is_empty() {
        body.push_str(r#"<li class="muted">No jobs yet.</li>"#);
    }
    body.push_str("</ul></section>");

    body.push_str(r#"<section class="card"><h2>Dead jobs</h2><ul class="files">"#);
    for job in dead.iter().take(100) {
        let _ = write!(
            body,
            r#"<li><span class="name">{queue} <span class="muted">{id}</span><br><span class="muted">{error}</span></span><span class="size">{attempts} attempts</span>
<form method="post" action="/admin/jobs/{id}/retry"><input type="hidden" name="_csrf" value="{csrf}"><button class="secondary" type="submit">Retry</button></form></li>"#,
            queue = esc(&job.queue),
            id = esc(&job.id),
            error = esc(job.last_error.as_deref().unwrap_or("")),
            attempts = job.attempts,
            csrf = esc(&visitor.csrf),
        );
    }
    if dead.is_empty() {
        body.push_str(r#"<li class="muted">None.</li>"#);
    }
    body.push_str("</ul></section>");

    body.push_str(r#"<section class="card"><h2>Schedules</h2><ul class="files">"#);
    let mut seen = std::collections::BTreeSet::new();
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
            let _ = write!(
                body,
                r#"<li><span class="name"><strong>{name}</strong> <span class="muted">{expr}</span></span><span class="size">last {last} · next {next}</span></li>"#,
                name = esc(&name),
                expr = esc(schedule["expression"].as_str().unwrap_or_default()),
                last = esc(&last),
                next = esc(schedule["next"].as_str().unwrap_or("?")),
            );
        }
    }
    for (name, last) in &last_slots {
        if !seen.contains(name) {
            let _ = write!(
                body,
                r#"<li><span class="name"><strong>{}</strong> <span class="muted">no clock announces it now</span></span><span class="size">last {}</span></li>"#,
                esc(name),
                last.format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
    }
    body.push_str("</ul></section>");
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page("Operations", &visitor.viewer(), &body, None)))
}

fn humanize(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

async fn retry(
    request: HttpRequest,
    session: Session,
    id: web::Path<String>,
    state: web::Data<State>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    admin(&request, &session, &state, &config).await?;
    state.retry_dead_job(&id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}

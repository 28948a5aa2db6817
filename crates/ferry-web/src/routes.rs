//! HTTP routes of the foundation: probes, the visitor's session data, job submission.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpResponse, get, post, web};
use ferry_state::{State, jobs::DemoJob};
use serde::Deserialize;

use crate::{
    Config,
    error::{Error, RETRY_AFTER_SECS, Result},
};

/// Session entries set through the API are stored under this prefix, apart from the
/// entries Ferry itself keeps in the session.
const VALUE_PREFIX: &str = "v:";
const MAX_KEY_LEN: usize = 64;
const MAX_VALUE_LEN: usize = 4096;
const MAX_ENTRIES: usize = 64;

/// Registers every route of the web process.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(get_session)
        .service(set_session_value)
        .service(enqueue_demo_job);
}

/// Liveness: the process is up and serving. Never touches a backing service.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 200 when Postgres and Redis both answer, else 503 with `Retry-After`.
/// Checked on every call, so it turns back to 200 by itself when a service returns.
#[get("/readyz")]
async fn readyz(state: web::Data<State>) -> HttpResponse {
    let (pg, redis) = tokio::join!(state.ping_postgres(), state.ping_redis());
    let describe = |r: &ferry_state::Result<()>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
    };
    let body = serde_json::json!({ "postgres": describe(&pg), "redis": describe(&redis) });
    if pg.is_ok() && redis.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", RETRY_AFTER_SECS))
            .json(body)
    }
}

/// The visitor's session values (whatever any web process stored for them).
#[get("/api/session")]
async fn get_session(session: Session) -> Result<HttpResponse> {
    let entries = session
        .entries()
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix(VALUE_PREFIX)?;
            let value: String = serde_json::from_str(v).ok()?;
            Some((key.to_owned(), value))
        })
        .collect::<BTreeMap<_, _>>();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "values": entries })))
}

#[derive(Deserialize)]
struct SessionValue {
    key: String,
    value: String,
}

/// Stores one value in the visitor's session (creating the session if needed).
#[post("/api/session")]
async fn set_session_value(
    session: Session,
    body: web::Json<SessionValue>,
) -> Result<HttpResponse> {
    let SessionValue { key, value } = body.into_inner();
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::BadRequest("key must be 1 to 64 bytes"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::BadRequest("value must be at most 4096 bytes"));
    }
    let full_key = format!("{VALUE_PREFIX}{key}");
    let count = session
        .entries()
        .keys()
        .filter(|k| k.starts_with(VALUE_PREFIX))
        .count();
    if count >= MAX_ENTRIES && session.get::<String>(&full_key).ok().flatten().is_none() {
        return Err(Error::BadRequest("a session holds at most 64 values"));
    }
    session
        .insert(full_key, value)
        .map_err(|e| Error::Session(e.to_string()))?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct DemoJobRequest {
    key: String,
    #[serde(default)]
    work_ms: u64,
    #[serde(default)]
    fail_attempts: u32,
}

/// Enqueues a demonstration job; answers `202` with its id once it is durably queued.
#[post("/api/jobs/demo")]
async fn enqueue_demo_job(
    state: web::Data<State>,
    config: web::Data<Config>,
    body: web::Json<DemoJobRequest>,
) -> Result<HttpResponse> {
    let DemoJobRequest {
        key,
        work_ms,
        fail_attempts,
    } = body.into_inner();
    if key.is_empty() || key.len() > 200 {
        return Err(Error::BadRequest("key must be 1 to 200 bytes"));
    }
    if work_ms > 600_000 {
        return Err(Error::BadRequest("work_ms must be at most 600000"));
    }
    let job = DemoJob {
        key,
        work_ms,
        fail_attempts,
    };
    let id = state
        .enqueue_demo(job, usize::from(config.job_max_attempts))
        .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id })))
}

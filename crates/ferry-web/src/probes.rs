//! Probes: liveness (`/healthz`) and readiness (`/readyz`).

use actix_web::{HttpResponse, get, web};
use ferry_state::State;

use crate::error::RETRY_AFTER_SECS;

/// Liveness: the process is up and serving. Never touches a backing service.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 200 when Postgres and Redis both answer, else 503 with `Retry-After`.
/// Checked on every call, so it turns back to 200 by itself when a service returns.
#[get("/readyz")]
pub async fn readyz(state: web::Data<State>) -> HttpResponse {
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

//! Probes: liveness (`/healthz`) and readiness (`/readyz`).

use actix_web::{HttpResponse, web};
use ferry_state::State;

use crate::http::error::RETRY_AFTER_SECS;

/// Liveness: the process is up and serving. Never touches a backing service.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 200 when Postgres, Redis and (when one is configured) the S3 bucket all
/// answer, else 503 with `Retry-After`.
/// Checked on every call, so it turns back to 200 by itself when a service returns.
pub async fn readyz(state: web::Data<State>) -> HttpResponse {
    let (pg, redis, objects) = tokio::join!(
        state.ping_postgres(),
        state.ping_redis(),
        state.ping_object_store()
    );
    let describe = |r: &ferry_state::Result<()>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
    };
    let mut body = serde_json::json!({ "postgres": describe(&pg), "redis": describe(&redis) });
    if state.has_object_store() {
        body["object_store"] = describe(&objects).into();
    }
    if pg.is_ok() && redis.is_ok() && objects.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", RETRY_AFTER_SECS))
            .json(body)
    }
}

/// The OpenAPI 3.1 description of the HTTP API (curl API, downloads, tus, probes),
/// kept true by schemathesis running against a real web process in the test suite
/// (`ops::the_openapi_description_holds_against_schemathesis`). Written by hand:
/// the routes dispatch on path shapes (`/{name}` is an upload for PUT and an archive
/// for GET) that derive macros would describe worse than a document does.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(OPENAPI)
}

const OPENAPI: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    /// The description is valid JSON and says OpenAPI 3.1.
    #[test]
    fn openapi_description_parses() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/files/{id}"]["patch"].is_object());
    }
}

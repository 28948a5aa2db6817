//! Test-only endpoints, registered only when `FERRY_TEST_ENDPOINTS` is on (anonymous
//! clients must not be able to queue jobs or store session data in a real
//! deployment): the visitor's session values (`/api/session`, proof that any web
//! process reads what another wrote) and submitting the demonstration job
//! (`/api/jobs/demo`, for drills and benchmarks).

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpResponse, web};
use ferry_core::Service;
use serde::Deserialize;

use crate::http::error::{Error, Result};

/// Session entries set through the API are stored under this prefix, apart from the
/// entries Ferry itself keeps in the session.
const VALUE_PREFIX: &str = "v:";
const MAX_KEY_LEN: usize = 64;
const MAX_VALUE_LEN: usize = 4096;
const MAX_ENTRIES: usize = 64;

/// The visitor's session values (whatever any web process stored for them).
pub async fn get_session(session: Session) -> Result<HttpResponse> {
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

/// One session value to store.
#[derive(Deserialize)]
pub struct SessionValue {
    key: String,
    value: String,
}

/// Stores one value in the visitor's session (creating the session if needed).
pub async fn set_session_value(
    session: Session,
    body: web::Json<SessionValue>,
) -> Result<HttpResponse> {
    let SessionValue { key, value } = body.into_inner();
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::bad_request("key must be 1 to 64 bytes"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::bad_request("value must be at most 4096 bytes"));
    }
    let full_key = format!("{VALUE_PREFIX}{key}");
    let count = session
        .entries()
        .keys()
        .filter(|k| k.starts_with(VALUE_PREFIX))
        .count();
    if count >= MAX_ENTRIES && session.get::<String>(&full_key).ok().flatten().is_none() {
        return Err(Error::bad_request("a session holds at most 64 values"));
    }
    session
        .insert(full_key, value)
        .map_err(|e| Error::Session(e.to_string()))?;
    Ok(HttpResponse::NoContent().finish())
}

/// What the demonstration job should do.
#[derive(Deserialize)]
pub struct DemoJobRequest {
    key: String,
    #[serde(default)]
    work_ms: u64,
    #[serde(default)]
    fail_attempts: u32,
}

/// Enqueues a demonstration job; answers `202` with its id once it is durably queued.
pub async fn enqueue_demo_job(
    service: web::Data<Service>,
    body: web::Json<DemoJobRequest>,
) -> Result<HttpResponse> {
    let DemoJobRequest {
        key,
        work_ms,
        fail_attempts,
    } = body.into_inner();
    let id = service.enqueue_demo(key, work_ms, fail_attempts).await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id })))
}

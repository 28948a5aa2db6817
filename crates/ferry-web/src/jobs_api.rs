//! Submitting the demonstration job.

use actix_web::{HttpResponse, post, web};
use ferry_core::Service;
use serde::Deserialize;

use crate::http::error::Result;

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

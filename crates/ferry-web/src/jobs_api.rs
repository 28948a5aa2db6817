//! Submitting the demonstration job.

use actix_web::{HttpResponse, post, web};
use ferry_state::{State, jobs::DemoJob};
use serde::Deserialize;

use crate::{
    Config,
    error::{Error, Result},
};

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
        return Err(Error::bad_request("key must be 1 to 200 bytes"));
    }
    if work_ms > 600_000 {
        return Err(Error::bad_request("work_ms must be at most 600000"));
    }
    let job = DemoJob {
        key,
        work_ms,
        fail_attempts,
    };
    let id = state
        .enqueue_demo(job, usize::from(config.common.job_max_attempts))
        .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id })))
}

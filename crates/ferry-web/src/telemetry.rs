//! The web process's metrics: a per-request middleware, byte counters, and the
//! `/metrics` endpoint (Prometheus text format), which also refreshes the queue
//! gauges from Postgres so any web process can be scraped for them.

use std::time::Instant;

use actix_web::{
    HttpResponse,
    dev::{Service, ServiceRequest, ServiceResponse},
    web,
};
use ferry_state::State;
use ferry_telemetry::{DEAD_JOBS, HTTP_DURATION, HTTP_REQUESTS};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::PrometheusHandle;

/// Records one line per request into the request counter and latency histogram, by
/// route pattern (never the raw path: tokens must not become label values).
pub fn observe<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let started = Instant::now();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = service.call(request);
    async move {
        let response = response.await?;
        let status = response.status().as_u16().to_string();
        counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status)
            .increment(1);
        histogram!(HTTP_DURATION, "route" => route, "method" => method)
            .record(started.elapsed().as_secs_f64());
        Ok(response)
    }
}

/// Sets the queue gauges from the database.
pub async fn refresh_queue_gauges(state: &State) {
    match state.queue_depths().await {
        Ok(depths) => {
            for depth in depths {
                ferry_telemetry::set_queue_depth(depth.queue, depth.status, depth.count);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read queue depths for metrics"),
    }
    if let Ok(dead) = state.dead_jobs().await {
        let mut per_queue = std::collections::BTreeMap::<String, u64>::new();
        for job in dead {
            *per_queue.entry(job.queue).or_default() += 1;
        }
        for queue in ferry_state::jobs::QUEUES {
            gauge!(DEAD_JOBS, "queue" => *queue)
                .set(per_queue.get(*queue).copied().unwrap_or(0) as f64);
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(
    state: web::Data<State>,
    handle: web::Data<Option<PrometheusHandle>>,
) -> HttpResponse {
    refresh_queue_gauges(&state).await;
    match handle.get_ref() {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(handle.render()),
        None => HttpResponse::ServiceUnavailable().body("metrics recorder not installed\n"),
    }
}

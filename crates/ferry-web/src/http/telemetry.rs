//! The web process's per-request metrics. They are exported on `METRICS_PORT` (see
//! `ferry_telemetry::serve`), never on the app port: queue gauges come from the
//! workers, which refresh them from Postgres.

use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use ferry_telemetry::{HTTP_DURATION, HTTP_REQUESTS};
use metrics::{counter, histogram};

/// Records every request: one access-log line (`"request"`: method, route pattern,
/// status and duration in milliseconds, as numbers, inside the request span that
/// carries the client address and request id) and the request counter and latency
/// histogram. Both use the route pattern, never the raw path: tokens in paths must
/// not reach logs or label values. Any status logs at info, 404s included: errors
/// worth a human's attention (5xx) also log their cause chain where they happen
/// (`error.rs`).
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
        let response = response.await;
        let status = match &response {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        let elapsed = started.elapsed();
        tracing::info!(
            http.method = %method,
            http.route = %route,
            http.status_code = status.as_u16(),
            duration_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3,
            "request"
        );
        counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.as_u16().to_string())
            .increment(1);
        histogram!(HTTP_DURATION, "route" => route, "method" => method)
            .record(elapsed.as_secs_f64());
        response
    }
}

//! The web process's per-request metrics. They are exported on `METRICS_PORT` (see
//! `ferry_telemetry::serve`), never on the app port: queue gauges come from the
//! workers, which refresh them from Postgres.

use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use ferry_telemetry::{HTTP_DURATION, HTTP_REQUESTS};
use metrics::{counter, histogram};

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

//! The per-request log line, without secrets, and the `X-Request-Id` every response
//! carries so a client's report can be found in it.
//!
//! Share tokens, deletion tokens and tus upload ids are capabilities: whoever reads one
//! can download, delete or hijack an upload. They travel in paths, so an access log of
//! raw paths hands them to everyone with log access (and to every log pipeline). The
//! request span therefore records the *route pattern* (`/{first}/{second}`,
//! `/files/{id}`), never the path or query, and the client address as the trusted-proxy
//! logic of [`crate::http::request::client_addr`] sees it, never a forwarding header a
//! client wrote.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    web,
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::{Config, http::request};

/// Builds the request span (see the module docs for what it leaves out).
pub struct RedactedSpan;

impl RootSpanBuilder for RedactedSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let client_ip = request
            .app_data::<web::Data<Config>>()
            .and_then(|config| request::client_addr(request.request(), config))
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %route,
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.status_code = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Answers every response with `X-Request-Id`, the id its log lines carry.
pub fn echo_request_id<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let id = request.extensions().get::<RequestId>().copied();
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
        Ok(response)
    }
}

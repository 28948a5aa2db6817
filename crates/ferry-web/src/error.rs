//! Errors of the web process and how they look at the HTTP edge: a status code, a small
//! public body (`{"error":"not_found"}`), and the full cause chain logged once.

use actix_web::{
    HttpResponse, ResponseError,
    body::EitherBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
};

use crate::upload::WriteError;

/// Everything a web handler or start-up can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener could not be bound.
    #[error("cannot bind: {0}")]
    Bind(String),
    /// The request is malformed; the message is safe to show.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No such transfer or file (or it expired, was deleted, or is used up).
    #[error("not found")]
    NotFound,
    /// The body is larger than `MAX_UPLOAD_SIZE`.
    #[error("payload too large")]
    TooLarge,
    /// The Range cannot be satisfied by a file of this size.
    #[error("range not satisfiable")]
    RangeNotSatisfiable(i64),
    /// Postgres, Redis or the session store failed.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
    /// The session could not be read or written.
    #[error("session: {0}")]
    Session(String),
    /// Not allowed (the code says why: `csrf_token_invalid`, `password_required`, …).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Too busy right now (every password-hashing slot taken); retry shortly.
    #[error("busy")]
    Busy,
    /// Rate limited; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The process is receiving as many uploads as `MAX_CONCURRENT_UPLOADS` allows;
    /// retry after this many seconds.
    #[error("too many uploads in progress")]
    UploadsBusy(u64),
    /// The request body sent nothing for `UPLOAD_IDLE_TIMEOUT`.
    #[error("the request body stalled")]
    BodyTimeout,
    /// A bug or an unexpected failure; the message is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result of web handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: &str = "5";

impl Error {
    /// A 400 with a message for the client.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::BadRequest(message.into())
    }
}

impl From<WriteError> for Error {
    fn from(error: WriteError) -> Error {
        match error {
            WriteError::TooLarge => Error::TooLarge,
            WriteError::Idle => Error::BodyTimeout,
            WriteError::Client(e) => Error::BadRequest(format!("the request body broke off: {e}")),
            WriteError::Conflict => Error::bad_request("the upload changed under this request"),
            WriteError::ChecksumMismatch => Error::bad_request("checksum mismatch"),
            WriteError::State(e) => Error::State(e),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::UploadsBusy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::State(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Session(_) | Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        let body = match self {
            Error::BadRequest(message) => {
                serde_json::json!({ "error": "bad_request", "message": message })
            }
            Error::NotFound => serde_json::json!({ "error": "not_found" }),
            Error::TooLarge => serde_json::json!({ "error": "too_large" }),
            Error::Forbidden(code) => serde_json::json!({ "error": code }),
            Error::TooManyRequests(seconds) => {
                response.insert_header(("Retry-After", seconds.to_string()));
                serde_json::json!({ "error": "too_many_requests", "retry_after": seconds })
            }
            Error::UploadsBusy(seconds) => {
                response.insert_header(("Retry-After", seconds.to_string()));
                serde_json::json!({ "error": "busy", "retry_after": seconds })
            }
            Error::BodyTimeout => serde_json::json!({ "error": "body_timeout" }),
            Error::RangeNotSatisfiable(size) => {
                response.insert_header(("Content-Range", format!("bytes */{size}")));
                serde_json::json!({ "error": "range_not_satisfiable" })
            }
            _ => {
                // Full cause chain in the log, a small public body on the wire.
                tracing::error!(error.cause_chain = ?self, status = status.as_u16(), "request failed");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response.insert_header(("Retry-After", RETRY_AFTER_SECS));
                    serde_json::json!({ "error": "unavailable" })
                } else {
                    serde_json::json!({ "error": "internal" })
                }
            }
        };
        response.json(body)
    }
}

/// Middleware around the session layer: Redis being down never shows as a 500 with an
/// empty body. A failure of the session store (load or save; actix-session answers
/// those with an opaque 500) becomes 503 with `Retry-After`, and every 503 a browser
/// gets (it asked for HTML) is a small human page instead of JSON. Nothing is cached:
/// the next request after Redis is back just works.
pub fn unavailable_page<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    // Not a clone of the request: routing needs it unshared.
    let html = crate::ui::wants_html(request.request());
    let unlock = request.path().ends_with("/unlock");
    let response = service.call(request);
    async move {
        match response.await {
            Ok(response) => {
                let replace = html
                    && response.status() == StatusCode::SERVICE_UNAVAILABLE
                    && response
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/json"));
                if replace {
                    let (request, _) = response.into_parts();
                    Ok(ServiceResponse::new(request, unavailable(true, unlock))
                        .map_into_right_body())
                } else {
                    Ok(response.map_into_left_body())
                }
            }
            // The request is gone with the failed service; an error that renders as
            // the 503 is the way to answer without it.
            Err(error) => {
                tracing::error!(error.cause_chain = ?error, status = 503, "session store failed");
                Err(actix_web::error::InternalError::from_response(
                    "session store unavailable",
                    unavailable(html, unlock),
                )
                .into())
            }
        }
    }
}

/// 503 with `Retry-After`: a short page for a browser (for a share-password unlock,
/// saying the password can't be checked right now), `{"error":"unavailable"}` else.
fn unavailable(html: bool, unlock: bool) -> HttpResponse {
    let mut response = if html {
        crate::html::unavailable_page(if unlock {
            "The password can't be checked right now. Please try again in a minute."
        } else {
            "Ferry cannot reach part of its storage right now, so this page cannot be shown. Nothing you sent is lost. Please try again in a minute."
        })
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": "unavailable" }))
    };
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    // An error answer skips the default-headers middleware: the essentials here.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; script-src 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

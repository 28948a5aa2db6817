//! Errors of the web process and how they look at the HTTP edge.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};

/// Everything a web handler or start-up can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener could not be bound.
    #[error("cannot bind: {0}")]
    Bind(String),
    /// The request is malformed; the message is safe to show.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Postgres, Redis or the session store failed.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
    /// The session could not be read or written.
    #[error("session: {0}")]
    Session(String),
}

/// Result of web handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: &str = "5";

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::State(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Session(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = match (self, status) {
            (Error::BadRequest(msg), _) => {
                return HttpResponse::BadRequest()
                    .json(serde_json::json!({ "error": "bad_request", "message": msg }));
            }
            (_, StatusCode::SERVICE_UNAVAILABLE) => "unavailable",
            _ => "internal",
        };
        // Full cause chain in the log, a small public body on the wire.
        tracing::error!(error.cause_chain = ?self, status = status.as_u16(), "request failed");
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", RETRY_AFTER_SECS));
        }
        response.json(serde_json::json!({ "error": code }))
    }
}

//! Errors of the web process and how they look at the HTTP edge. One mapping — each
//! error has exactly one status code ([`Error::status`]) and one public code
//! ([`Error::code`]) — and three renderings: JSON (`{"error":"not_found"}`, the
//! default), tus (plain text with `Tus-Resumable`: `Tus` in the tus module, built on
//! [`Error::start_response`]) and HTML (browsers get
//! a page for a 403, 404, 405, 429 or 503, see [`unavailable_page`]). The full cause chain is logged once,
//! never sent. Errors of the use cases (`ferry_core::Error`) convert variant by variant.

use actix_web::{
    HttpResponse, ResponseError,
    body::EitherBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
};

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
    /// Credentials are needed, or those sent are no good (the code says which:
    /// `sign_in_required`, `invalid_token`). Answered with `WWW-Authenticate: Bearer`.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Too busy right now (every password-hashing slot taken); retry shortly.
    #[error("busy")]
    Busy,
    /// Rate limited; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The client's `UPLOAD_BYTES_PER_CLIENT_PER_DAY` would be passed; retry after
    /// this many seconds (when the budget's window resets).
    #[error("this client's daily upload budget is used up; it resets in {0} s")]
    QuotaExceeded(u64),
    /// The process is receiving as many uploads as `MAX_CONCURRENT_UPLOADS` allows;
    /// retry after this many seconds.
    #[error("too many uploads in progress")]
    UploadsBusy(u64),
    /// The request body sent nothing for `UPLOAD_IDLE_TIMEOUT`.
    #[error("the request body stalled")]
    BodyTimeout,
    /// The upload's offset is not the one the request assumed (tus `Upload-Offset`).
    #[error("Upload-Offset does not match the upload's offset")]
    Conflict,
    /// The bytes did not match the client's `Upload-Checksum`; nothing was kept.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// Another request holds this upload right now; retry shortly.
    #[error("upload is busy with another request")]
    Locked,
    /// The file request was closed by its owner or expired.
    #[error("this file request is closed")]
    Gone,
    /// The file request takes no more of what was asked; the message says what is left.
    #[error("{0}")]
    RequestFull(String),
    /// The account's storage quota has no room for this; the message says what is left.
    #[error("{0}")]
    StorageFull(String),
    /// The tus request did not say `Tus-Resumable: 1.0.0`.
    #[error("Tus-Resumable 1.0.0 is required")]
    TusVersion,
    /// The body's `Content-Type` is not the one this route takes (the message says it).
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The file may not be served because of its malware scan (see
    /// `ferry_state::transfer::StoredFile::blocked`).
    #[error("blocked by its malware scan: {0:?}")]
    Blocked(ferry_state::transfer::Blocked),
    /// A bug or an unexpected failure; the message is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result of web handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::http::{RETRY_AFTER_SECS, SCAN_RETRY_AFTER_SECS};
use ferry_state::transfer::Blocked;

impl Error {
    /// A 400 with a message for the client.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::BadRequest(message.into())
    }
}

impl Error {
    /// 413 `quota_exceeded`: the account has `left` bytes of its quota; this needs
    /// `wanted`.
    pub fn storage_full(left: i64, wanted: i64) -> Error {
        let l = ferry_core::i18n::Locale::default();
        Error::StorageFull(format!(
            "your storage quota has {} left; this needs {}: delete some transfers or ask an admin for more",
            l.size(left),
            l.size(wanted)
        ))
    }
}

impl From<ferry_core::Error> for Error {
    fn from(error: ferry_core::Error) -> Error {
        use ferry_core::Error as Core;
        match error {
            Core::Invalid(message) => Error::BadRequest(message),
            Core::NotFound => Error::NotFound,
            Core::Forbidden(code) => Error::Forbidden(code),
            Core::TooLarge => Error::TooLarge,
            Core::BodyTimeout => Error::BodyTimeout,
            Core::BrokenBody(e) => Error::BadRequest(format!("the request body broke off: {e}")),
            Core::Conflict => Error::Conflict,
            Core::ChecksumMismatch => Error::ChecksumMismatch,
            Core::Locked => Error::Locked,
            Core::TooManyRequests(seconds) => Error::TooManyRequests(seconds),
            Core::Gone => Error::Gone,
            Core::RequestFull(message) => Error::RequestFull(message),
            Core::State(ferry_state::Error::QuotaExceeded { left, wanted }) => {
                Error::storage_full(left, wanted)
            }
            Core::State(e) => Error::State(e),
        }
    }
}

/// Status 460, "Checksum Mismatch" (tus checksum extension).
const CHECKSUM_MISMATCH: u16 = 460;

impl Error {
    /// The one status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::TooLarge | Error::RequestFull(_) | Error::StorageFull(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::Gone => StatusCode::GONE,
            Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Blocked(Blocked::Infected | Blocked::Unscanned) => StatusCode::FORBIDDEN,
            Error::Blocked(Blocked::Pending) => StatusCode::SERVICE_UNAVAILABLE,
            Error::TooManyRequests(_) | Error::QuotaExceeded(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::UploadsBusy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::Conflict => StatusCode::CONFLICT,
            Error::ChecksumMismatch => {
                StatusCode::from_u16(CHECKSUM_MISMATCH).expect("460 is a valid status")
            }
            Error::Locked => StatusCode::LOCKED,
            Error::TusVersion => StatusCode::PRECONDITION_FAILED,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::State(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Session(_) | Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Error::Bind(_) | Error::State(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The one public code of this error (`{"error": code}`); `unavailable` and
    /// `internal` stand for every failure whose details stay in the log.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::NotFound => "not_found",
            Error::TooLarge => "too_large",
            Error::Gone => "request_closed",
            Error::RequestFull(_) => "request_full",
            Error::StorageFull(_) => "quota_exceeded",
            Error::RangeNotSatisfiable(_) => "range_not_satisfiable",
            Error::Forbidden(code) | Error::Unauthorized(code) => code,
            Error::Blocked(Blocked::Infected) => "malware_found",
            Error::Blocked(Blocked::Unscanned) => "not_scanned",
            Error::Blocked(Blocked::Pending) => "being_scanned",
            Error::TooManyRequests(_) => "too_many_requests",
            Error::QuotaExceeded(_) => "upload_budget_exceeded",
            Error::UploadsBusy(_) => "busy",
            Error::BodyTimeout => "body_timeout",
            Error::Conflict => "offset_mismatch",
            Error::ChecksumMismatch => "checksum_mismatch",
            Error::Locked => "locked",
            Error::TusVersion => "tus_version",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            _ if self.status() == StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            _ => "internal",
        }
    }

    /// Seconds the client should wait before retrying, for the errors that have one.
    fn retry_after(&self) -> Option<String> {
        match self {
            Error::TooManyRequests(seconds)
            | Error::UploadsBusy(seconds)
            | Error::QuotaExceeded(seconds) => Some(seconds.to_string()),
            Error::Locked => Some("1".to_owned()),
            Error::Blocked(Blocked::Pending) => Some(SCAN_RETRY_AFTER_SECS.to_string()),
            _ if self.status() == StatusCode::SERVICE_UNAVAILABLE => {
                Some(RETRY_AFTER_SECS.to_owned())
            }
            _ => None,
        }
    }

    /// Whether the details of this error are for the log only (a failure, not a
    /// client mistake).
    pub(crate) fn is_failure(&self) -> bool {
        matches!(
            self,
            Error::Bind(_) | Error::State(_) | Error::Session(_) | Error::Internal(_)
        ) || self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// Headers every rendering of this error carries; logs a failure's cause chain.
    pub(crate) fn start_response(&self) -> actix_web::HttpResponseBuilder {
        let status = self.status();
        if self.is_failure() {
            tracing::error!(error.cause_chain = ?self, status = status.as_u16(), "request failed");
        }
        let mut response = HttpResponse::build(status);
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        if let Error::Unauthorized(code) = self {
            // RFC 6750: the scheme, and for a token that was sent, why it failed.
            let challenge = match *code {
                "invalid_token" => r#"Bearer realm="ferry", error="invalid_token""#,
                _ => r#"Bearer realm="ferry""#,
            };
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let Error::RangeNotSatisfiable(size) = self {
            response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
        }
        response
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// The JSON rendering: `{"error": code}`, with the message of a 400 and the wait of
    /// a 429 or 503.
    fn error_response(&self) -> HttpResponse {
        let mut response = self.start_response();
        let mut body = serde_json::json!({ "error": self.code() });
        match self {
            Error::BadRequest(message)
            | Error::RequestFull(message)
            | Error::StorageFull(message) => body["message"] = message.clone().into(),
            Error::TooManyRequests(seconds) | Error::UploadsBusy(seconds) => {
                body["retry_after"] = (*seconds).into()
            }
            Error::QuotaExceeded(seconds) => {
                body["retry_after"] = (*seconds).into();
                body["message"] = self.to_string().into();
            }
            _ => {}
        }
        response.json(body)
    }
}

/// The error statuses a browser (it asked for HTML) gets as a page instead of JSON:
/// the ones a person can reach by following or typing a link, or by trying too often.
const HTML_ERROR_PAGES: [StatusCode; 6] = [
    StatusCode::UNAUTHORIZED,
    StatusCode::FORBIDDEN,
    StatusCode::NOT_FOUND,
    StatusCode::GONE,
    StatusCode::METHOD_NOT_ALLOWED,
    StatusCode::TOO_MANY_REQUESTS,
];

/// Middleware around the session layer: Redis being down never shows as a 500 with an
/// empty body. A failure of the session store (load or save; actix-session answers
/// those with an opaque 500) becomes 503 with `Retry-After`, and every 503 a browser
/// gets (it asked for HTML) is a small human page instead of JSON. Nothing is cached:
/// the next request after Redis is back just works. A browser's 403, 404, 405 and 429
/// are pages too (in the visitor's theme, keeping `Retry-After`), so every page a
/// person can land on has a title, a language and the site's landmarks.
pub fn unavailable_page<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    // Not a clone of the request: routing needs it unshared.
    let html = crate::http::request::wants_html(request.request());
    let locale = crate::http::language::of(request.request());
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
                let status = response.status();
                let json = response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/json"));
                if replace {
                    let (request, _) = response.into_parts();
                    Ok(
                        ServiceResponse::new(request, unavailable(true, unlock, locale))
                            .map_into_right_body(),
                    )
                } else if html && json && HTML_ERROR_PAGES.contains(&status) {
                    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
                    let (request, _) = response.into_parts();
                    let mut page = crate::http::html::error_page(
                        status,
                        crate::http::theme::Theme::of(&request),
                        locale,
                        &crate::http::theme::back_of(&request),
                    );
                    if let Some(value) = retry_after {
                        page.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                    Ok(ServiceResponse::new(request, page).map_into_right_body())
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
                    unavailable(html, unlock, locale),
                )
                .into())
            }
        }
    }
}

/// 503 with `Retry-After`: a short page for a browser (for a share-password unlock,
/// saying the password can't be checked right now) in `locale`,
/// `{"error":"unavailable"}` else.
fn unavailable(html: bool, unlock: bool, locale: crate::http::language::Locale) -> HttpResponse {
    let mut response = if html {
        crate::http::html::unavailable_page(
            locale,
            if unlock {
                "unavailable-unlock"
            } else {
                "unavailable"
            },
        )
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

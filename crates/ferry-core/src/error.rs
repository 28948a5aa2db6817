//! The one error type of the use cases. Each variant is something a caller can act on;
//! the web maps each to exactly one HTTP status (`ferry-web`'s `error.rs`), the worker
//! records it as the job's failure.

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not acceptable; the message says why and is safe to show.
    #[error("{0}")]
    Invalid(String),
    /// No such transfer, file or upload (or it expired, was deleted, or is used up).
    #[error("not found")]
    NotFound,
    /// Not allowed; the code says why (`not_your_upload`, …).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// More bytes than allowed.
    #[error("too large")]
    TooLarge,
    /// The body sent nothing for the idle timeout.
    #[error("the request body stalled")]
    BodyTimeout,
    /// The client went away or sent a broken body.
    #[error("the request body broke off: {0}")]
    BrokenBody(String),
    /// The upload's offset is not the one the request assumed (another request moved it).
    #[error("the upload's offset does not match")]
    Conflict,
    /// The bytes did not match the checksum the client sent; nothing was kept.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// Another request holds this upload right now.
    #[error("busy with another request")]
    Locked,
    /// The file request was closed by its owner or expired.
    #[error("this file request is closed")]
    Gone,
    /// The file request takes no more of what was asked (the message says what is
    /// left, and is safe to show).
    #[error("{0}")]
    RequestFull(String),
    /// Too many attempts ([`crate::rate_limit`]); retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// Postgres or Redis failed (or could not be reached: see
    /// [`ferry_state::Error::is_unavailable`]).
    #[error(transparent)]
    State(#[from] ferry_state::Error),
}

impl Error {
    /// An [`Error::Invalid`] with this message.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }
}

/// Result of every use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Everything `ferry dev` needs, and nothing a production process uses:
//! throwaway Postgres and Redis servers started from the installed binaries
//! ([`services`]), and a supervisor that runs web, worker and clock as separate child
//! processes, the way the Procfile does ([`supervisor`]).
//!
//! The black-box tests use the same [`services`] to get backing servers on machines
//! where none is running.

pub mod services;
pub mod supervisor;

pub use supervisor::{Config, run};

/// Errors of the dev tooling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A server binary is not installed.
    #[error("{0} (install it, or set DATABASE_URL/REDIS_URL to running servers)")]
    Missing(String),
    /// A server or child process could not be started or did not become ready.
    #[error("{0}")]
    Start(String),
    /// Filesystem or process I/O failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result of the dev tooling.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

//! The one error type of the state crate. Messages never contain credentials.

/// Anything that can go wrong talking to Postgres or Redis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting could not be used (the message names the variable).
    #[error("{0}")]
    Config(String),
    /// Postgres refused or failed a query, or could not be reached.
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// Redis refused or failed a command.
    #[error("redis: {0}")]
    Redis(#[from] deadpool_redis::redis::RedisError),
    /// No Redis connection could be had from the pool.
    #[error("redis pool: {0}")]
    RedisPool(#[from] deadpool_redis::PoolError),
    /// The job queue failed.
    #[error("job queue: {0}")]
    Queue(#[source] apalis_postgres::Error),
    /// A job could not be handed to the queue (encoding failed).
    #[error("job queue: {0}")]
    QueueSend(String),
    /// Stored data could not be (de)serialised.
    #[error("serialisation: {0}")]
    Json(#[from] serde_json::Error),
    /// Stored data is not what it must be (a bug or tampering; never a client error).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Another process holds the lock on this resource right now.
    #[error("locked by another request")]
    Locked,
    /// The owner's storage quota has `left` bytes; the transfer needs `wanted`.
    #[error("the storage quota has {left} bytes left; this needs {wanted}")]
    QuotaExceeded {
        /// Bytes left in the quota.
        left: i64,
        /// Bytes the refused transfer holds.
        wanted: i64,
    },
    /// The object store (S3) refused or failed a request, or could not be reached.
    #[error("object store: {0}")]
    ObjectStore(String),
    /// A backing service did not answer in time.
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

impl Error {
    /// True when the failure is the backing service being unreachable or slow
    /// (worth a 503 and a retry), rather than a bug or bad data.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Postgres(e) | Error::Queue(apalis_postgres::Error::Database(e)) => {
                postgres_unavailable(e)
            }
            Error::Redis(_) | Error::RedisPool(_) | Error::Timeout(_) | Error::ObjectStore(_) => {
                true
            }
            _ => false,
        }
    }
}

/// Whether a Postgres error means the server is unreachable, restarting or shutting
/// down, rather than that the statement was wrong. Besides a failed connection, a
/// server that is stopped tells each open connection why before it closes it
/// (SQLSTATE class 57, "operator intervention": `57P01` admin shutdown, `57P02`
/// crash shutdown, `57P03` cannot connect now), and class 08 is the connection
/// exceptions. A pooled connection is not pinged before every use (`lib.rs`), so the
/// first query on a connection whose server went away meets one of these.
fn postgres_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// Result of every fallible function in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

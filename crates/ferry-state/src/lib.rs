//! `ferry-state` is the only crate in Ferry that opens connections to Postgres or
//! Redis. Every other crate holds a [`State`] and calls typed functions on it.
//!
//! Why one door: a process type can then be reasoned about from its imports alone
//! (`web` never runs SQL of its own), connection limits are set in one place, and the
//! rules that make processes disposable — nothing in memory that outlives a request —
//! are enforced where the data actually lives.
//!
//! Guarantees of a [`State`]:
//! - creating one never blocks on the network: pools connect lazily, so a process
//!   starts (and reports not-ready) while Postgres or Redis is down, and recovers by
//!   itself when they return;
//! - every Redis key it writes starts with the configured prefix, so several
//!   deployments (or tests) can share one Redis without seeing each other;
//! - the same functions work on a single Redis and on a Redis Cluster
//!   ([`RedisTarget`]; how keys are laid out for a cluster: `redis_pool.rs`).

pub mod api_token;
pub mod audit;
pub mod blob;
pub mod blob_store;
pub mod blobs;
pub mod budget;
pub mod cron;
pub mod draft;
mod error;
pub mod file_request;
pub mod jobs;
pub mod mail;
pub mod process;
pub mod queue;
pub mod rate_limit;
mod redis_pool;
pub mod relocation;
pub mod retention;
pub mod s3;
pub mod scan;
pub mod session;
mod settings;
pub mod stream_hash;
pub mod transfer;
pub mod tus;
pub mod user;

use std::{str::FromStr, sync::Arc, time::Duration};

use secrecy::ExposeSecret;
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

pub use blob_store::BlobStore;
pub use error::{Error, Result};
pub use redis_pool::RedisTarget;
pub use settings::{BlobSettings, S3Settings, Settings, StoreKind};

/// How long any single health probe may take before the service counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a pooled Postgres connection may sit idle before it is pinged at checkout.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Handle to Postgres and Redis. Cheap to clone; clones share the pools.
#[derive(Clone)]
pub struct State {
    pg: PgPool,
    redis: redis_pool::RedisPool,
    prefix: Arc<str>,
    /// The S3 bucket, when one is configured.
    s3: Option<s3::Bucket>,
    /// The store new blobs are written to.
    new_blobs: StoreKind,
    /// Whether new files wait for a malware scan (`Settings::scan_new_files`).
    scan_new_files: bool,
    /// An account's storage quota unless an admin set one (`Settings::default_user_quota`).
    default_quota: Option<i64>,
}

impl State {
    /// Builds the pools without connecting. Fails only on a malformed URL.
    pub fn connect_lazy(settings: &Settings) -> Result<State> {
        let pg_options = PgConnectOptions::from_str(settings.database_url.expose_secret())
            .map_err(|e| Error::Config(format!("DATABASE_URL is not a valid Postgres URL: {e}")))?
            .application_name("ferry");
        // A connection is pinged before it is handed out only when it sat idle for
        // more than a second, or when its socket holds something unasked for or has
        // been closed (a non-blocking read, no round trip: `vendor/README.md`) — what
        // a Postgres that shut down or crashed leaves on every connection it had. The
        // ping then reads the error and the pool replaces the connection, so even a
        // restart quicker than a second fails no query after it (the chaos suite
        // restarts Postgres in ~0.3 s with the pools busy). sqlx's default pings every
        // checkout, a round trip before every query: a download fetches one chunk per
        // query, and half of each fetch was the ping. A connection that dies while in
        // use fails its query, which sqlx then drops (it also tests each connection
        // as it comes back to the pool).
        let pg = PgPoolOptions::new()
            .max_connections(settings.pg_pool_size)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_AFTER_IDLE || conn.has_unread_input() {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(pg_options);

        let redis = redis_pool::RedisPool::connect_lazy(
            &settings.redis,
            settings.redis_ca_cert.as_deref(),
            settings.redis_pool_size,
        )?;
        let s3 = settings
            .blobs
            .s3
            .as_ref()
            .map(s3::Bucket::new)
            .transpose()?;
        if settings.blobs.new_blobs == StoreKind::S3 && s3.is_none() {
            return Err(Error::Config(
                "BLOB_STORE=s3 needs S3_BUCKET and the S3 credentials".into(),
            ));
        }
        Ok(State {
            pg,
            redis,
            prefix: Arc::from(settings.redis_key_prefix.as_str()),
            s3,
            new_blobs: settings.blobs.new_blobs,
            scan_new_files: settings.scan_new_files,
            default_quota: settings
                .default_user_quota
                .map(|q| i64::try_from(q).unwrap_or(i64::MAX)),
        })
    }

    /// Applies Ferry's migrations, then apalis' own (kept in the `apalis` schema).
    /// Safe to run concurrently from several release processes: sqlx serialises
    /// migrators with an advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pg)
            .await
            .map_err(|e| Error::Migrate(e.to_string()))?;
        apalis_postgres::PostgresStorage::setup(&self.pg)
            .await
            .map_err(|e| Error::Migrate(e.to_string()))?;
        // apalis' migrations leave two indexes that duplicate newer ones (`lidx` is
        // `idx_apalis_jobs_lock_by`, `unique_job_id` is the primary key). Every claim
        // and acknowledgement rewrites a job row into every index, so they cost each
        // job two index insertions for nothing. Dropping them is idempotent, and
        // apalis never creates them again (its migration that did is recorded).
        // `CONCURRENTLY`, one statement each (it cannot run in a transaction): a
        // migrate on a live deployment does not stop the queue meanwhile.
        // Then the triggers' functions that announce runnable jobs (each file one
        // batch, so one implicit transaction).
        for batch in [
            "DROP INDEX CONCURRENTLY IF EXISTS apalis.lidx",
            "DROP INDEX CONCURRENTLY IF EXISTS apalis.unique_job_id",
            include_str!("../sql/announce_inserted.sql"),
            include_str!("../sql/announce_requeued.sql"),
        ] {
            sqlx::raw_sql(batch)
                .execute(&self.pg)
                .await
                .map_err(|e| Error::Migrate(e.to_string()))?;
        }
        Ok(())
    }

    /// `Ok` when Postgres answers a trivial query within two seconds.
    pub async fn ping_postgres(&self) -> Result<()> {
        let probe = sqlx::query_scalar!("SELECT 1 AS one").fetch_one(&self.pg);
        match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(result) => result.map(|_| ()).map_err(Error::from),
            Err(_) => Err(Error::Timeout("postgres ping")),
        }
    }

    /// `Ok` when Redis answers `PING` within two seconds; on a cluster, when every
    /// master does.
    pub async fn ping_redis(&self) -> Result<()> {
        let probe = async { redis_pool::ping(&mut self.redis.get().await?).await };
        match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout("redis ping")),
        }
    }

    /// Whether an S3 bucket is configured.
    pub fn has_object_store(&self) -> bool {
        self.s3.is_some()
    }

    /// `Ok` when the S3 bucket (if one is configured) answers within two seconds.
    pub async fn ping_object_store(&self) -> Result<()> {
        let Some(bucket) = &self.s3 else {
            return Ok(());
        };
        match tokio::time::timeout(PROBE_TIMEOUT, bucket.probe()).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout("object store probe")),
        }
    }

    /// Closes the Postgres pool, waiting for checked-out connections to return.
    pub async fn close(&self) {
        self.pg.close().await;
        self.redis.close();
    }

    pub(crate) fn pg(&self) -> &PgPool {
        &self.pg
    }

    pub(crate) async fn redis(&self) -> Result<redis_pool::RedisConnection> {
        self.redis.get().await
    }

    /// The full Redis key for `name` under this deployment's prefix.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }
}

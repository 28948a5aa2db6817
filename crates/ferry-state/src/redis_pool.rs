//! One Redis connection type for both deployments Ferry supports: a single Redis
//! (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_URLS`), over the one `redis`
//! crate in the build. A single Redis gets shared multiplexed connections, one per
//! thread ([`SharedNode`]); a cluster gets a deadpool pool of cluster clients.
//!
//! The rest of the state crate never asks which one it has: [`RedisConnection`]
//! implements `redis`'s `ConnectionLike`, so `AsyncCommands` and `cmd(…).query_async`
//! work on it unchanged. On a cluster the client routes each command to the master of
//! its key's slot (a script — `EVALSHA` — by its first key; `PING` to every master, so the readiness
//! probe fails while any master is unreachable).
//!
//! What this asks of the callers (and what `session.rs`, `draft.rs`, `rate_limit.rs`,
//! `tus.rs` and `process.rs` keep to), so the same code is correct on both:
//! - a command or Lua script touches one key, or keys that share a hash tag (`{…}`):
//!   a cluster answers `CROSSSLOT` otherwise. Today only the process registry has two
//!   keys in one script; they share the tag `{processes}` (see `process.rs`);
//! - a script touches only the keys it is given in `KEYS` (the cluster routes by them);
//! - nothing walks the keyspace (`SCAN`/`KEYS`): on a cluster that is one walk per
//!   master, and it grows with every session. Whatever must be listed is kept in a
//!   key of its own.
//!
//! The key prefix (`REDIS_KEY_PREFIX`) stays the first thing in every key, in both
//! modes, so deployments and tests sharing a Redis or a cluster never see each other.
//! A prefix that itself contains a hash tag (`{ferry}:`) pins every key of the
//! deployment to one slot: that works, but gives up spreading load over the masters.

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use deadpool::managed;
use deadpool_redis::{
    Runtime,
    redis::{
        self, Cmd, IntoConnectionInfo, Pipeline, RedisError, RedisFuture, TlsCertificates, Value,
        aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig},
        cluster::{ClusterClient, ClusterClientBuilder},
        cluster_async::ClusterConnection,
    },
};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use secrecy::{ExposeSecret, SecretString};
use thread_local::ThreadLocal;

use crate::{Error, Result};

/// Which Redis a deployment uses.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    /// One Redis server (`REDIS_URL`).
    Node(SecretString),
    /// A Redis Cluster, reached through any of these nodes (`REDIS_CLUSTER_URLS`);
    /// the rest of the cluster is discovered from them.
    Cluster(Vec<SecretString>),
}

/// The connections to a single Redis or to a cluster.
#[derive(Clone)]
pub(crate) enum RedisPool {
    Node(SharedNode),
    Cluster(managed::Pool<ClusterManager>),
}

/// A connection to a single Redis or to a cluster. For a single Redis it is a handle
/// on the process's one multiplexed connection; for a cluster it returns to its pool
/// when dropped.
pub(crate) enum RedisConnection {
    Node(ConnectionManager),
    Cluster(managed::Object<ClusterManager>),
}

/// The connections to a single Redis: one multiplexed connection per thread that
/// talks to Redis, shared by every request that thread serves, up to
/// `REDIS_POOL_SIZE`; threads past that share one more.
///
/// Why shared: commands from concurrent requests are pipelined on the socket, so a
/// page view costs one round trip, and Redis reads and answers many commands per
/// system call. The pool of exclusive connections this replaces paid a second round
/// trip on every checkout (deadpool-redis' recycle check, `UNWATCH` + `PING`) and one
/// write and one read per command. Why per thread: a connection's I/O task runs on the
/// runtime of the thread that opened it, so a request on another thread costs two
/// cross-thread wake-ups per command. With one connection per thread the web's
/// session page rate went from 11,156 (the pool) to 28,466 req/s in the same hour
/// (docs/benchmarks.md, "2026-12-06: shared Redis connections"). Nothing in Ferry blocks a connection
/// (`BLPOP`) or keeps state on it (`WATCH`, `MULTI`, `SUBSCRIBE`), which sharing
/// requires.
///
/// Each is the redis crate's `ConnectionManager`, built on first use inside the
/// runtime (building one spawns a task). After a connection error it reconnects:
/// the command that met the error fails, the ones after it wait for the new
/// connection (at most [`CONNECT_RETRIES`] more attempts, then they fail and the
/// next command starts over).
#[derive(Clone)]
pub(crate) struct SharedNode {
    client: Arc<redis::Client>,
    per_thread: Arc<ThreadLocal<ConnectionManager>>,
    /// Connections opened for threads so far, against `max`.
    opened: Arc<AtomicUsize>,
    max: usize,
    /// The one the threads past `max` share.
    overflow: Arc<OnceLock<ConnectionManager>>,
    closed: Arc<AtomicBool>,
}

impl SharedNode {
    fn new(client: redis::Client, max: usize) -> SharedNode {
        SharedNode {
            client: Arc::new(client),
            per_thread: Arc::default(),
            opened: Arc::default(),
            max: max.max(1),
            overflow: Arc::default(),
            closed: Arc::default(),
        }
    }

    fn get(&self) -> std::result::Result<ConnectionManager, RedisError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(RedisError::from((
                redis::ErrorKind::Client,
                "the Redis connections are closed (the process is shutting down)",
            )));
        }
        if let Some(conn) = self.per_thread.get() {
            return Ok(conn.clone());
        }
        let conn = if self.opened.fetch_add(1, Ordering::Relaxed) < self.max - 1 {
            self.connect()?
        } else {
            match self.overflow.get() {
                Some(conn) => conn.clone(),
                None => {
                    let conn = self.connect()?;
                    self.overflow.get_or_init(|| conn).clone()
                }
            }
        };
        Ok(self.per_thread.get_or(|| conn).clone())
    }

    fn connect(&self) -> std::result::Result<ConnectionManager, RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(CONNECT_RETRIES);
        ConnectionManager::new_lazy_with_config((*self.client).clone(), config)
    }
}

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts after the first when (re)connecting, 100 ms apart and doubling, before
/// the waiting commands fail; the next command starts a new attempt.
const CONNECT_RETRIES: usize = 2;

/// Creates and recycles cluster connections. deadpool-redis has one too, but it can
/// only be built from URLs, and a private CA (`REDIS_CA_CERT`) must reach the client
/// builder, which hands it to the connection of every node the cluster reports.
pub(crate) struct ClusterManager {
    client: ClusterClient,
    pings: AtomicUsize,
}

impl managed::Manager for ClusterManager {
    type Type = ClusterConnection;
    type Error = RedisError;

    async fn create(&self) -> std::result::Result<ClusterConnection, RedisError> {
        self.client.get_async_connection().await
    }

    async fn recycle(
        &self,
        conn: &mut ClusterConnection,
        _: &managed::Metrics,
    ) -> managed::RecycleResult<RedisError> {
        let token = self.pings.fetch_add(1, Ordering::Relaxed).to_string();
        let echoed: String = redis::cmd("PING").arg(&token).query_async(conn).await?;
        if echoed == token {
            Ok(())
        } else {
            Err(managed::RecycleError::message("unexpected PING answer"))
        }
    }
}

/// The CA certificates of `REDIS_CA_CERT` (PEM), checked: at least one certificate and
/// nothing unreadable, since an empty trust store would fail every connection later.
fn ca_certificates(pem: &[u8]) -> Result<TlsCertificates> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("REDIS_CA_CERT is not a readable PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config(
            "REDIS_CA_CERT holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(TlsCertificates {
        client_tls: None,
        root_cert: Some(pem.to_vec()),
    })
}

impl RedisPool {
    /// Builds the pool without connecting. Fails only on settings no connection could
    /// use: a malformed URL, or a CA certificate that is unreadable or given for a
    /// plain-text URL. `ca_cert` (PEM) replaces the default roots (webpki's) for
    /// `rediss://` servers; a URL ending in `#insecure` skips verification.
    pub(crate) fn connect_lazy(
        target: &RedisTarget,
        ca_cert: Option<&[u8]>,
        max_size: u16,
    ) -> Result<RedisPool> {
        // One process-wide TLS provider (ring, already in the build for Postgres and
        // S3); installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = deadpool_redis::PoolConfig {
            max_size: max_size as usize,
            timeouts: deadpool_redis::Timeouts {
                wait: Some(Duration::from_secs(2)),
                create: Some(Duration::from_secs(2)),
                recycle: Some(Duration::from_secs(2)),
            },
            ..Default::default()
        };
        let certs = ca_cert.map(ca_certificates).transpose()?;
        match target {
            RedisTarget::Node(url) => {
                let url = url.expose_secret();
                let invalid = |e: RedisError| {
                    Error::Config(format!("REDIS_URL is not a valid Redis URL: {e}"))
                };
                let client = match certs {
                    None => redis::Client::open(url).map_err(invalid)?,
                    Some(certs) => {
                        if !url.starts_with("rediss://") {
                            return Err(Error::Config(
                                "REDIS_CA_CERT is set, so REDIS_URL must be a rediss:// URL".into(),
                            ));
                        }
                        redis::Client::build_with_tls(url, certs).map_err(invalid)?
                    }
                };
                Ok(RedisPool::Node(SharedNode::new(client, max_size.into())))
            }
            RedisTarget::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(Error::Config(
                        "REDIS_CLUSTER_URLS names no cluster node".into(),
                    ));
                }
                let invalid = |e: RedisError| {
                    Error::Config(format!(
                        "REDIS_CLUSTER_URLS is not a list of valid Redis URLs: {e}"
                    ))
                };
                let nodes = urls
                    .iter()
                    .map(|u| u.expose_secret().into_connection_info())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(invalid)?;
                let mut builder = ClusterClientBuilder::new(nodes);
                if let Some(certs) = certs {
                    if !urls
                        .iter()
                        .all(|u| u.expose_secret().starts_with("rediss://"))
                    {
                        return Err(Error::Config(
                            "REDIS_CA_CERT is set, so every REDIS_CLUSTER_URLS node must be a \
                             rediss:// URL"
                                .into(),
                        ));
                    }
                    builder = builder.certs(certs);
                }
                let manager = ClusterManager {
                    client: builder.build().map_err(invalid)?,
                    pings: AtomicUsize::new(0),
                };
                managed::Pool::builder(manager)
                    .config(config)
                    .runtime(Runtime::Tokio1)
                    .build()
                    .map(RedisPool::Cluster)
                    .map_err(|e| Error::Config(format!("REDIS_CLUSTER_URLS: {e}")))
            }
        }
    }

    /// A connection from the pool, waiting at most the pool's timeouts.
    pub(crate) async fn get(&self) -> Result<RedisConnection> {
        Ok(match self {
            RedisPool::Node(node) => RedisConnection::Node(node.get()?),
            RedisPool::Cluster(pool) => RedisConnection::Cluster(pool.get().await?),
        })
    }

    /// Closes the pool: idle connections are dropped, new `get`s fail.
    pub(crate) fn close(&self) {
        match self {
            RedisPool::Node(node) => node.closed.store(true, Ordering::Release),
            RedisPool::Cluster(pool) => pool.close(),
        }
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConnection::Node(conn) => conn.req_packed_command(cmd),
            RedisConnection::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConnection::Node(conn) => conn.req_packed_commands(pipeline, offset, count),
            RedisConnection::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConnection::Node(conn) => conn.get_db(),
            RedisConnection::Cluster(conn) => conn.get_db(),
        }
    }
}

/// `PING`: on a cluster the client sends it to every master and succeeds only when
/// all of them answer.
pub(crate) async fn ping(conn: &mut RedisConnection) -> Result<()> {
    let _: String = redis::cmd("PING").query_async(conn).await?;
    Ok(())
}

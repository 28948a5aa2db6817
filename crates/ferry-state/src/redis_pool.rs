//! One Redis connection type for both deployments Ferry supports: a single Redis
//! (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_URLS`), both pooled by
//! deadpool-redis over the one `redis` crate in the build.
//!
//! The rest of the state crate never asks which one it has: [`RedisConnection`]
//! implements `redis`'s `ConnectionLike`, so `AsyncCommands` and `cmd(…).query_async`
//! work on it unchanged. On a cluster the client routes each command to the master of
//! its key's slot (`EVAL` by its first key; `PING` to every master, so the readiness
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

use std::time::Duration;

use deadpool_redis::{
    Runtime,
    redis::{self, Cmd, Pipeline, RedisFuture, Value, aio::ConnectionLike},
};
use secrecy::{ExposeSecret, SecretString};

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

/// A pool of connections to a single Redis or to a cluster.
#[derive(Clone)]
pub(crate) enum RedisPool {
    Node(deadpool_redis::Pool),
    Cluster(deadpool_redis::cluster::Pool),
}

/// A pooled connection to a single Redis or to a cluster; returns to its pool when
/// dropped.
pub(crate) enum RedisConnection {
    Node(deadpool_redis::Connection),
    Cluster(deadpool_redis::cluster::Connection),
}

impl RedisPool {
    /// Builds the pool without connecting. Fails only on a malformed URL.
    pub(crate) fn connect_lazy(target: &RedisTarget, max_size: u16) -> Result<RedisPool> {
        let pool = Some(deadpool_redis::PoolConfig {
            max_size: max_size as usize,
            timeouts: deadpool_redis::Timeouts {
                wait: Some(Duration::from_secs(2)),
                create: Some(Duration::from_secs(2)),
                recycle: Some(Duration::from_secs(2)),
            },
            ..Default::default()
        });
        match target {
            RedisTarget::Node(url) => {
                let mut config = deadpool_redis::Config::from_url(url.expose_secret());
                config.pool = pool;
                config
                    .create_pool(Some(Runtime::Tokio1))
                    .map(RedisPool::Node)
                    .map_err(|e| Error::Config(format!("REDIS_URL is not a valid Redis URL: {e}")))
            }
            RedisTarget::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(Error::Config(
                        "REDIS_CLUSTER_URLS names no cluster node".into(),
                    ));
                }
                let urls: Vec<String> = urls.iter().map(|u| u.expose_secret().to_owned()).collect();
                let mut config = deadpool_redis::cluster::Config::from_urls(urls);
                config.pool = pool;
                config
                    .create_pool(Some(Runtime::Tokio1))
                    .map(RedisPool::Cluster)
                    .map_err(|e| {
                        Error::Config(format!(
                            "REDIS_CLUSTER_URLS is not a list of valid Redis URLs: {e}"
                        ))
                    })
            }
        }
    }

    /// A connection from the pool, waiting at most the pool's timeouts.
    pub(crate) async fn get(&self) -> Result<RedisConnection> {
        Ok(match self {
            RedisPool::Node(pool) => RedisConnection::Node(pool.get().await?),
            RedisPool::Cluster(pool) => RedisConnection::Cluster(pool.get().await?),
        })
    }

    /// Closes the pool: idle connections are dropped, new `get`s fail.
    pub(crate) fn close(&self) {
        match self {
            RedisPool::Node(pool) => pool.close(),
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

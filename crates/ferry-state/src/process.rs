//! The process registry: every running process heartbeats a short description of
//! itself into Redis (type, id, version, start time, host, pid, extra details) with a
//! TTL, so "which processes are alive" is the set of unexpired entries — the
//! platform's `ps`, readable from any process. A process that dies without a word
//! drops out when its TTL runs out; one that stops gracefully removes itself.
//!
//! Layout: two keys that share the hash tag `{processes}`, so one Lua script may
//! touch both, on a single Redis and on a cluster alike:
//! - `{prefix}{processes}:info`, a hash: process id → JSON [`ProcessInfo`];
//! - `{prefix}{processes}:expiry`, a sorted set: process id → the time (ms since the
//!   epoch, by the Redis server's clock — hosts' clocks may disagree) after which it
//!   counts as dead.
//!
//! Listing reads those two keys and nothing else — it costs as much as there are
//! processes, not as much as there are keys in Redis (an earlier layout, one key per
//! process, had to `SCAN` every session and draft to find them, and on a cluster
//! every master). Entries whose time has passed are pruned by the read itself, in
//! the same script, so a heartbeat can never be lost to a prune racing it. Both keys
//! also expire (pushed forward by every heartbeat, never pulled in), so a deployment
//! whose processes are all gone leaves nothing behind.
//!
//! Who a process is (its id, host, pid) is decided by `ferry_process::Identity`,
//! the one identity format of web, worker and clock; this module only stores it.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use deadpool_redis::redis;
use serde::{Deserialize, Serialize};

use crate::{Result, State};

/// One live process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// `web`, `worker` or `clock`.
    pub kind: String,
    /// Unique id of this process start (`ferry_process::Identity`).
    pub id: String,
    /// Ferry version.
    pub version: String,
    /// Host name.
    pub host: String,
    /// OS process id.
    pub pid: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it last said it was alive.
    pub last_seen: DateTime<Utc>,
    /// Type-specific details (a web process's port, a clock's schedules, …).
    #[serde(default)]
    pub details: serde_json::Value,
}

/// Lua: Redis' own clock in ms. Expiry times come from the clock of the one server
/// holding the registry, never from the hosts' clocks, which may disagree.
macro_rules! now_ms {
    () => {
        "local t = redis.call('TIME') \
         local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    };
}

/// Lua (KEYS: info, expiry; ARGV: id, JSON, TTL in ms): records one heartbeat and
/// pushes the keys' own expiry forward.
static HEARTBEAT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(concat!(
        now_ms!(),
        "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) \
         redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1]) \
         for _, key in ipairs(KEYS) do \
           if redis.call('PTTL', key) < tonumber(ARGV[3]) then \
             redis.call('PEXPIRE', key, ARGV[3]) end end \
         return 1"
    ))
});

/// Lua (KEYS: info, expiry; ARGV: id): forgets one process.
static UNREGISTER: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "redis.call('ZREM', KEYS[2], ARGV[1]) \
         return redis.call('HDEL', KEYS[1], ARGV[1])",
    )
});

/// Lua (KEYS: info, expiry): prunes the entries whose time has passed, then returns
/// the JSON of every remaining one.
static LIVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(concat!(
        now_ms!(),
        "local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now) \
         for _, id in ipairs(dead) do \
           redis.call('ZREM', KEYS[2], id) redis.call('HDEL', KEYS[1], id) end \
         local live = redis.call('ZRANGE', KEYS[2], 0, -1) \
         local infos = {} \
         for i, id in ipairs(live) do infos[i] = redis.call('HGET', KEYS[1], id) end \
         return infos"
    ))
});

impl State {
    /// The registry's two keys (see the module doc): the hash, then the sorted set.
    fn registry_keys(&self) -> [String; 2] {
        [self.key("{processes}:info"), self.key("{processes}:expiry")]
    }

    /// Records that `info` is alive for the next `ttl_secs` seconds.
    pub async fn heartbeat_process(&self, info: &ProcessInfo, ttl_secs: u64) -> Result<()> {
        let ttl_ms = ttl_secs.max(1) * 1000;
        let mut conn = self.redis().await?;
        let _: i64 = HEARTBEAT
            .key(&self.registry_keys())
            .arg(&info.id)
            .arg(serde_json::to_string(info)?)
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Removes a stopping process from the registry. (`kind` is part of the id
    /// already; it stays in the signature for the callers.)
    pub async fn unregister_process(&self, _kind: &str, id: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = UNREGISTER
            .key(&self.registry_keys())
            .arg(id)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Every live process, by type then start time. Reads the registry's two keys
    /// only, whatever else Redis holds.
    pub async fn live_processes(&self) -> Result<Vec<ProcessInfo>> {
        let mut conn = self.redis().await?;
        let values: Vec<Option<String>> = LIVE
            .key(&self.registry_keys())
            .invoke_async(&mut conn)
            .await?;
        let mut processes: Vec<ProcessInfo> = values
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str(&v).ok())
            .collect();
        processes
            .sort_by(|a, b| (a.kind.as_str(), a.started_at).cmp(&(b.kind.as_str(), b.started_at)));
        Ok(processes)
    }
}

/// Keeps `info` registered until the returned task is aborted: heartbeats every
/// `every`, with a TTL of three beats. Failures (Redis down) are logged and retried.
pub fn spawn_heartbeat(
    state: State,
    mut info: ProcessInfo,
    every: std::time::Duration,
    details: impl Fn() -> serde_json::Value + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ttl = (every.as_secs() * 3).max(3);
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            info.last_seen = Utc::now();
            info.details = details();
            if let Err(e) = state.heartbeat_process(&info, ttl).await {
                tracing::warn!(error = %e, "process heartbeat failed");
            }
        }
    })
}

//! The process registry: every running process heartbeats a short description of
//! itself into Redis (type, id, version, start time, host, pid, extra details) with a
//! TTL, so "which processes are alive" is the set of unexpired keys — the platform's
//! `ps`, readable from any process. A process that dies without a word drops out
//! when its TTL runs out; one that stops gracefully removes itself.
//!
//! Who a process is (its id, host, pid) is decided by `ferry_process::Identity`,
//! the one identity format of web, worker and clock; this module only stores it.

use chrono::{DateTime, Utc};
use deadpool_redis::redis::{self, AsyncCommands};
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

impl State {
    /// Records that `info` is alive for the next `ttl_secs` seconds.
    pub async fn heartbeat_process(&self, info: &ProcessInfo, ttl_secs: u64) -> Result<()> {
        let mut conn = self.redis().await?;
        let key = self.key(&format!("proc:{}:{}", info.kind, info.id));
        let _: () = conn
            .set_ex(key, serde_json::to_string(info)?, ttl_secs)
            .await?;
        Ok(())
    }

    /// Removes a stopping process from the registry.
    pub async fn unregister_process(&self, kind: &str, id: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = conn.del(self.key(&format!("proc:{kind}:{id}"))).await?;
        Ok(())
    }

    /// Every live process, by type then start time.
    pub async fn live_processes(&self) -> Result<Vec<ProcessInfo>> {
        let mut conn = self.redis().await?;
        let pattern = self.key("proc:*");
        let mut keys: Vec<String> = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            keys.extend(batch);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        let mut processes: Vec<ProcessInfo> = Vec::with_capacity(keys.len());
        if !keys.is_empty() {
            let values: Vec<Option<String>> = conn.mget(&keys).await?;
            processes.extend(
                values
                    .into_iter()
                    .flatten()
                    .filter_map(|v| serde_json::from_str(&v).ok()),
            );
        }
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

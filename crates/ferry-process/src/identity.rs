//! Who a process is: one identity format for web, worker and clock, used as the
//! process registry's id (`ferry admin ps`), as the clock's `cron_slots.enqueued_by`
//! and as the prefix of the worker's apalis worker names (`apalis.jobs.lock_by`).
//!
//! The format is `{kind}-{pid}-{host}-{ulid}`, lower-case, e.g.
//! `worker-4711-web-7f9c-01j9zq3k8x6v2m4n5p7r9s0t1u`. Why this order: a host name may
//! contain dashes, so only the fields before it can be read back unambiguously —
//! the kind and the pid, which are what an operator (and the test suites) match on
//! (`clock-{pid}-`); the host says which machine, the ULID makes every start unique
//! (a restarted process with a recycled pid is never mistaken for its predecessor)
//! and sorts by start time.

use std::{fmt, time::Duration};

use chrono::Utc;
use ferry_state::{
    State,
    process::{ProcessInfo, spawn_heartbeat},
};

/// How often a process renews its registry entry (which lives three beats).
const HEARTBEAT: Duration = Duration::from_secs(5);

/// The process types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ferry web`.
    Web,
    /// `ferry worker`.
    Worker,
    /// `ferry clock`.
    Clock,
}

impl Kind {
    /// `web`, `worker` or `clock`: the name in the registry and in identities.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Web => "web",
            Kind::Worker => "worker",
            Kind::Clock => "clock",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of one process start. Never reused: two starts (even with the same
/// pid on the same host) get different ids. The id contains only `[a-z0-9.-]`, so
/// it is safe in a Redis key, a SQL `LIKE` pattern and an apalis worker name.
#[derive(Clone, Debug)]
pub struct Identity {
    kind: Kind,
    id: String,
    host: String,
    pid: u32,
}

impl Identity {
    /// A fresh identity for this process, of type `kind`.
    pub fn new(kind: Kind) -> Identity {
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pid = std::process::id();
        let id =
            format!("{kind}-{pid}-{}-{}", id_safe(&host), ulid::Ulid::generate()).to_lowercase();
        Identity {
            kind,
            id,
            host,
            pid,
        }
    }

    /// The process type.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The id, `{kind}-{pid}-{host}-{ulid}`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Keeps this process in the registry (`ferry admin ps`) until
    /// [`Registration::end`]: a heartbeat every 5 s with a 15 s TTL, carrying
    /// `details()` (a web process's port, a clock's schedules, …). Redis being down
    /// is logged and retried; a process killed without a word drops out by TTL.
    pub fn register(
        &self,
        state: &State,
        details: impl Fn() -> serde_json::Value + Send + 'static,
    ) -> Registration {
        let now = Utc::now();
        let info = ProcessInfo {
            kind: self.kind.as_str().to_owned(),
            id: self.id.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            host: self.host.clone(),
            pid: self.pid,
            started_at: now,
            last_seen: now,
            details: serde_json::Value::Null,
        };
        Registration {
            heartbeat: spawn_heartbeat(state.clone(), info, HEARTBEAT, details),
            state: state.clone(),
            identity: self.clone(),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A process's entry in the registry, kept alive by a background heartbeat.
pub struct Registration {
    heartbeat: tokio::task::JoinHandle<()>,
    state: State,
    identity: Identity,
}

impl Registration {
    /// Stops the heartbeat and removes the entry at once, so a gracefully stopped
    /// process leaves the registry immediately (if Redis is reachable; otherwise by
    /// TTL).
    pub async fn end(self) {
        self.heartbeat.abort();
        let _ = self
            .state
            .unregister_process(self.identity.kind.as_str(), &self.identity.id)
            .await;
    }
}

/// The host name as it may appear in an id: `[a-z0-9.-]`, anything else a dash.
fn id_safe(host: &str) -> String {
    let host: String = host
        .trim()
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.' | '-') => c,
            _ => '-',
        })
        .collect();
    if host.is_empty() {
        "localhost".to_owned()
    } else {
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_starts_with_kind_and_pid_and_is_unique_per_start() {
        let a = Identity::new(Kind::Clock);
        let b = Identity::new(Kind::Clock);
        assert!(
            a.id()
                .starts_with(&format!("clock-{}-", std::process::id())),
            "{a}"
        );
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id(), a.id().to_lowercase());
    }

    #[test]
    fn an_id_holds_only_characters_safe_in_keys_patterns_and_worker_names() {
        let id = Identity::new(Kind::Worker);
        assert!(
            id.id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{id}"
        );
        assert_eq!(id_safe("Build_Host 7/a%b"), "build-host-7-a-b");
        assert_eq!(id_safe(""), "localhost");
    }
}

//! Web sessions in Redis: the commands, as typed functions on [`State`]. The web
//! crate adapts them to actix-session's `SessionStore` (`ferry-web/src/http/session_store.rs`);
//! this crate knows nothing of HTTP or cookies.
//!
//! Why our own store: actix-session's bundled Redis store pulls a second version of the
//! `redis` crate; this one runs over the same Redis connections as everything else
//! (`redis_pool.rs`).
//!
//! Guarantees:
//! - a session written through any web process is readable through every other one
//!   (the state is only in Redis, under `{prefix}session:{key}`, with the session TTL);
//! - session keys are 256 bits from the OS RNG, so they cannot be guessed;
//! - a stored value that is gone (Redis restarted without its data) or unreadable
//!   loads as "no session" (`Ok(None)`), so lost data degrades to signed-out
//!   visitors, never to failing pages;
//! - when Redis is unreachable, loading fails (`Err`, which the web answers with 503
//!   and `Retry-After`) instead of pretending the visitor is signed out: a signed-in
//!   visitor must not be shown signed-out pages, nor have a new session written over
//!   theirs once Redis is back;
//! - an update never resurrects a key that expired (or that Redis lost) in the
//!   meantime: the state is stored under a fresh key instead;
//! - every command names one session key, so sessions spread over the masters of a
//!   Redis Cluster and work the same there (`redis_pool.rs`).

use std::{collections::HashMap, sync::LazyLock, time::Duration};

use deadpool_redis::redis::{self, AsyncCommands};
use rand::{Rng, distr::Alphanumeric};

use crate::{Result, State};

/// What a session holds: string keys to (JSON-encoded) string values.
pub type SessionState = HashMap<String, String>;

/// 43 alphanumeric characters: log2(62) × 43 ≈ 256 bits.
const KEY_LENGTH: usize = 43;

impl State {
    /// The state stored under `key` (`None` when there is none, or it is unreadable;
    /// `Err` only when Redis cannot be asked), and if less than half of `ttl` is left
    /// on the session, its TTL restarted — in one atomic step that rewrites nothing, so a concurrent
    /// update is never overwritten. Returns the state and whether the TTL was
    /// restarted. One round trip either way.
    pub async fn load_session_renewing(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<(Option<SessionState>, bool)> {
        let ttl_ms = ttl.as_millis().max(1000) as u64;
        let mut conn = self.redis().await?;
        let (value, renewed): (Option<String>, i64) = LOAD_RENEWING
            .key(self.session_key(key))
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await?;
        let state = value.and_then(parse_session);
        let renewed = renewed == 1 && state.is_some();
        Ok((state, renewed))
    }

    /// Stores `state` under a new random key for `ttl` (at least one second) and
    /// returns the key.
    pub async fn save_session(&self, state: &SessionState, ttl: Duration) -> Result<String> {
        let body = serde_json::to_string(state)?;
        let mut conn = self.redis().await?;
        // A collision of 256-bit keys is not going to happen, but NX makes it harmless.
        loop {
            let key = new_session_key();
            let written: Option<String> = redis::cmd("SET")
                .arg(self.session_key(&key))
                .arg(&body)
                .arg("NX")
                .arg("EX")
                .arg(ttl_seconds(ttl))
                .query_async(&mut conn)
                .await?;
            if written.is_some() {
                return Ok(key);
            }
        }
    }

    /// Replaces the state of the live session `key` and restarts its `ttl`; returns
    /// the key the state is now under: `key`, or a fresh one when `key` had expired.
    pub async fn update_session(
        &self,
        key: &str,
        state: &SessionState,
        ttl: Duration,
    ) -> Result<String> {
        let body = serde_json::to_string(state)?;
        let mut conn = self.redis().await?;
        let written: Option<String> = redis::cmd("SET")
            .arg(self.session_key(key))
            .arg(&body)
            .arg("XX")
            .arg("EX")
            .arg(ttl_seconds(ttl))
            .query_async(&mut conn)
            .await?;
        if written.is_some() {
            return Ok(key.to_owned());
        }
        // The session expired (or Redis lost it) between load and update: store the
        // state under a fresh key instead of resurrecting a key the client presented.
        drop(conn);
        self.save_session(state, ttl).await
    }

    /// Restarts the `ttl` of session `key`; a session that is gone stays gone.
    pub async fn set_session_ttl(&self, key: &str, ttl: Duration) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: bool = conn
            .expire(self.session_key(key), ttl_seconds(ttl) as i64)
            .await?;
        Ok(())
    }

    /// Forgets session `key` (signing out); forgetting a missing one is not an error.
    pub async fn delete_session(&self, key: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = conn.del(self.session_key(key)).await?;
        Ok(())
    }

    fn session_key(&self, key: &str) -> String {
        self.key(&format!("session:{key}"))
    }
}

fn new_session_key() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(KEY_LENGTH)
        .map(char::from)
        .collect()
}

/// Redis rejects `EX 0`; a session lives at least a second.
fn ttl_seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

/// Lua: the session's value, and 1 if its TTL was restarted because less than half of
/// `ARGV[1]` ms was left (0 otherwise). Nothing is written when the key is missing.
static LOAD_RENEWING: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "local v = redis.call('GET', KEYS[1]) \
         if not v then return {false, 0} end \
         local left = redis.call('PTTL', KEYS[1]) \
         if left >= 0 and left < tonumber(ARGV[1]) / 2 then \
             redis.call('PEXPIRE', KEYS[1], ARGV[1]) return {v, 1} end \
         return {v, 0}",
    )
});

fn parse_session(value: String) -> Option<SessionState> {
    match serde_json::from_str(&value) {
        Ok(state) => Some(state),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable session state; starting a fresh session");
            None
        }
    }
}

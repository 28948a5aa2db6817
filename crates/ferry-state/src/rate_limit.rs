//! Rate limits shared by every process: fixed-window counters in Redis.
//!
//! A limit kept in one process's memory is divided by the number of replicas (and
//! reset by every deploy); a counter in Redis holds for the whole deployment. The
//! counter is created with its expiry in one atomic script, so a crash can never leave
//! a counter that does not expire. Each script touches its one counter key, so they
//! run on a Redis Cluster unchanged.

use std::sync::LazyLock;

use deadpool_redis::redis;

use crate::{Result, State};

/// Lua: count one hit; set the window's expiry on the first hit; return count and TTL.
static HIT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "local n = redis.call('INCR', KEYS[1]) \
         if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end \
         return {n, redis.call('TTL', KEYS[1])}",
    )
});

/// Lua: take one hit back, only while the window's counter exists (a `DECR` of an
/// expired counter would create one without an expiry).
static UNDO: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end \
         return 0",
    )
});

/// The verdict on one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the attempt may proceed.
    pub allowed: bool,
    /// Seconds until the window resets.
    pub retry_after: u64,
}

impl State {
    /// Counts one attempt against `bucket`; allowed while the window (of
    /// `window_secs`) holds at most `max` attempts.
    pub async fn rate_limit(&self, bucket: &str, max: u32, window_secs: u64) -> Result<Verdict> {
        let mut conn = self.redis().await?;
        let (count, ttl): (i64, i64) = HIT
            .key(self.key(&format!("rate:{bucket}")))
            .arg(window_secs)
            .invoke_async(&mut conn)
            .await?;
        Ok(Verdict {
            allowed: count <= i64::from(max),
            retry_after: ttl.max(1) as u64,
        })
    }

    /// Takes back one attempt counted against `bucket` (one that turned out not to
    /// count: a right password). Once the window has ended there is nothing to take
    /// back, and nothing is written; the window's expiry is never changed.
    pub async fn rate_limit_undo(&self, bucket: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = UNDO
            .key(self.key(&format!("rate:{bucket}")))
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

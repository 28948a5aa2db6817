//! Byte budgets shared by every process: how many bytes one client may store per
//! window (`UPLOAD_BYTES_PER_CLIENT_PER_DAY`), kept in Redis so the budget holds across
//! every web process.
//!
//! Bytes are *taken* before they are accepted, by one conditional script (the take
//! fails, changing nothing, when it would pass the budget), and *given back* when the
//! upload fails or turns out smaller than what was taken. The counter is created with
//! its expiry in the same script, so a crash never leaves a budget that does not
//! reset; a give-back never creates a counter or outlives its window. Each script
//! touches one key, so it runs on a Redis Cluster unchanged.

use std::sync::LazyLock;

use deadpool_redis::redis;

use crate::{Result, State};

/// Lua: take ARGV[1] bytes if the total stays within ARGV[2]; the window (ARGV[3]
/// seconds) starts with the first take. Returns {taken (0/1), used, ttl}.
static TAKE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "local used = tonumber(redis.call('GET', KEYS[1]) or '0') \
         local n = tonumber(ARGV[1]) \
         if used + n > tonumber(ARGV[2]) then \
           return {0, used, redis.call('TTL', KEYS[1])} \
         end \
         used = redis.call('INCRBY', KEYS[1], n) \
         if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end \
         return {1, used, redis.call('TTL', KEYS[1])}",
    )
});

/// Lua: give back ARGV[1] bytes (never below zero; nothing if the window is over).
static GIVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "local v = redis.call('GET', KEYS[1]) \
         if not v then return 0 end \
         local left = tonumber(v) - tonumber(ARGV[1]) \
         if left < 0 then left = 0 end \
         redis.call('SET', KEYS[1], left, 'KEEPTTL') \
         return left",
    )
});

/// The answer to a take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take {
    /// Whether the bytes were taken.
    pub taken: bool,
    /// Bytes counted in the window afterwards.
    pub used: u64,
    /// Seconds until the window resets (what a refused client should wait).
    pub retry_after: u64,
}

impl State {
    /// Takes `bytes` from `bucket`'s budget of `max` bytes per `window_secs`, or
    /// nothing when that would pass it.
    pub async fn take_budget(
        &self,
        bucket: &str,
        bytes: u64,
        max: u64,
        window_secs: u64,
    ) -> Result<Take> {
        let mut conn = self.redis().await?;
        let (taken, used, ttl): (i64, i64, i64) = TAKE
            .key(self.key(&format!("budget:{bucket}")))
            .arg(bytes)
            .arg(max)
            .arg(window_secs.max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok(Take {
            taken: taken == 1,
            used: used.max(0) as u64,
            retry_after: if ttl > 0 {
                ttl as u64
            } else {
                window_secs.max(1)
            },
        })
    }

    /// Gives `bytes` back to `bucket` (an upload failed, or took less than was taken).
    pub async fn give_budget(&self, bucket: &str, bytes: u64) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let mut conn = self.redis().await?;
        let _: i64 = GIVE
            .key(self.key(&format!("budget:{bucket}")))
            .arg(bytes)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

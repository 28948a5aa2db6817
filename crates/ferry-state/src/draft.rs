//! Draft transfers (the web UI's cart): the uploads a visitor collected but has not
//! sent yet.
//!
//! Why not a list inside the session value: a visitor uploads several files at once,
//! and each upload's "add to draft" request would load the session, add its file and
//! save the session — the last save wins and the other files vanish from the draft.
//! Here the session holds only a random draft id; the items are a sorted set in Redis
//! (`{prefix}draft:{id}`, ordered by time added), changed by single atomic commands,
//! so concurrent additions through any number of web processes all count.
//! Each command and the script touch that one key only, so a draft lives wholly on
//! one master of a Redis Cluster.

use std::sync::LazyLock;

use deadpool_redis::redis::{self, AsyncCommands};

use crate::{Result, State};

/// Lua: add an upload unless present; refuse past `max` items; refresh the TTL.
/// Returns the item count, or -1 when the draft is full.
static ADD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('ZSCORE', KEYS[1], ARGV[1]) then \
           redis.call('EXPIRE', KEYS[1], ARGV[4]) return redis.call('ZCARD', KEYS[1]) end \
         if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end \
         redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) \
         redis.call('EXPIRE', KEYS[1], ARGV[4]) \
         return redis.call('ZCARD', KEYS[1])",
    )
});

impl State {
    fn draft_key(&self, draft: &str) -> String {
        self.key(&format!("draft:{draft}"))
    }

    /// Adds `upload` to draft `draft` (kept for `ttl_secs` after the last change).
    /// Returns the number of items, or `None` when the draft already holds `max`.
    pub async fn draft_add(
        &self,
        draft: &str,
        upload: &str,
        max: usize,
        ttl_secs: u64,
    ) -> Result<Option<usize>> {
        let mut conn = self.redis().await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let count: i64 = ADD
            .key(self.draft_key(draft))
            .arg(upload)
            .arg(now_ms)
            .arg(max)
            .arg(ttl_secs)
            .invoke_async(&mut conn)
            .await?;
        Ok((count >= 0).then_some(count as usize))
    }

    /// The uploads in draft `draft`, in the order they were added.
    pub async fn draft_items(&self, draft: &str) -> Result<Vec<String>> {
        let mut conn = self.redis().await?;
        Ok(conn.zrange(self.draft_key(draft), 0, -1).await?)
    }

    /// Takes `upload` out of draft `draft`.
    pub async fn draft_remove(&self, draft: &str, upload: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = conn.zrem(self.draft_key(draft), upload).await?;
        Ok(())
    }

    /// Empties draft `draft` (after it was sent).
    pub async fn draft_clear(&self, draft: &str) -> Result<()> {
        let mut conn = self.redis().await?;
        let _: i64 = conn.del(self.draft_key(draft)).await?;
        Ok(())
    }
}

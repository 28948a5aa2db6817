//! Rate limits at the edge: a request counts against every bucket it belongs to (per
//! client IP, per account, per transfer …) and is refused with 429 and `Retry-After`
//! as soon as any bucket is over. The counters are in Redis (`ferry_state::rate_limit`),
//! so a limit holds across every web process.

use ferry_state::State;

use crate::error::{Error, Result};

/// One bucket: its name, the attempts allowed, and the window in seconds.
pub struct Bucket {
    /// Counter name, e.g. `signin-ip:203.0.113.7`.
    pub name: String,
    /// Attempts allowed per window.
    pub max: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// Counts this request in every bucket; `TooManyRequests` if any is over its limit.
pub async fn enforce(state: &State, buckets: &[Bucket]) -> Result<()> {
    for bucket in buckets {
        let verdict = state
            .rate_limit(&bucket.name, bucket.max, bucket.window_secs)
            .await?;
        if !verdict.allowed {
            return Err(Error::TooManyRequests(verdict.retry_after));
        }
    }
    Ok(())
}

//! Rate limits of the use cases: an attempt counts against every bucket it belongs to
//! (per client IP, per account, per transfer …) and is refused with
//! [`Error::TooManyRequests`] as soon as any bucket is over. The counters are in Redis
//! (`ferry_state::rate_limit`), so a limit holds across every web process.
//!
//! Guesses at a secret that many clients may try (a share password) are counted
//! differently ([`admit_guess`]): a bucket shared by every client would let anyone
//! lock the rightful recipient out just by guessing wrong. There, a guess is let
//! through while either the shared bucket or the client's own bucket for that secret
//! has room, and only wrong guesses stay counted. A crowd of N addresses gets at most
//! `shared + N × own` guesses per window; a client with no wrong guesses of its own
//! always gets its try.
//!
//! Why here and not in the web: the share-password unlock
//! ([`Service::unlock_transfer`](crate::Service::unlock_transfer)) is a use case whose
//! rules are these buckets; the web's other limits (sign-in, sign-up, uploads per
//! client) use the same two functions.

use ferry_state::State;

use crate::{Error, Result};

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

/// A guess let through by [`admit_guess`]. It stays counted, as a wrong guess, in both
/// buckets unless [`Guess::take_back`] is called.
#[must_use = "a right guess must be taken back"]
pub struct Guess {
    buckets: [String; 2],
}

/// Counts one guess at a secret in `shared` (every client together) and in `own` (this
/// client, this secret), and lets it through while either has room: once the crowd has
/// used up `shared`, each client still has what is left of `own`. `TooManyRequests`
/// when both are over, with the wait until the sooner of them resets.
pub async fn admit_guess(state: &State, shared: &Bucket, own: &Bucket) -> Result<Guess> {
    let mut verdicts = Vec::with_capacity(2);
    for bucket in [shared, own] {
        verdicts.push(
            state
                .rate_limit(&bucket.name, bucket.max, bucket.window_secs)
                .await?,
        );
    }
    if !verdicts.iter().any(|v| v.allowed) {
        let wait = verdicts.iter().map(|v| v.retry_after).min().unwrap_or(1);
        return Err(Error::TooManyRequests(wait));
    }
    Ok(Guess {
        buckets: [shared.name.clone(), own.name.clone()],
    })
}

impl Guess {
    /// Takes the guess back out of both buckets: it was right (or was never checked),
    /// so it must not count against anyone.
    pub async fn take_back(self, state: &State) -> Result<()> {
        for bucket in &self.buckets {
            state.rate_limit_undo(bucket).await?;
        }
        Ok(())
    }
}

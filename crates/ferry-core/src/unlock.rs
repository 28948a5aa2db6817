//! Unlocking a password-protected transfer: the rate-limit-then-verify sequence.
//!
//! A guess is counted before it is checked, in Redis so every web process counts into
//! the same buckets: per client (every attempt, right or wrong), and per transfer, where
//! only wrong guesses stay counted and a client that has not itself guessed wrong on
//! this transfer gets in even when a crowd has used up the transfer's guesses
//! ([`rate_limit::admit_guess`]; docs/security.md says what an attacker gets). A right
//! guess, and one that could not be checked, is taken back.
//!
//! Why the check itself is a closure: hashing is the web's (it owns the memory budget of
//! the bounded argon2 hasher and may answer "busy"), while the order of counting,
//! checking and taking back is the rule this use case guarantees. The caller supplies
//! only "does this password match this hash?".

use ferry_state::{State, transfer::Transfer};

use crate::{
    Error, Service,
    rate_limit::{self, Bucket, Guess},
};

/// How many share-password guesses are allowed (`UNLOCK_ATTEMPTS_*`).
#[derive(Clone, Copy, Debug)]
pub struct UnlockLimits {
    /// Attempts per client per minute, right or wrong.
    pub per_client: u32,
    /// Wrong guesses per transfer per 10 minutes, all clients together.
    pub per_transfer: u32,
    /// Wrong guesses one client may make on one transfer per 10 minutes and still be
    /// let try once the transfer's `per_transfer` are used up.
    pub per_client_and_transfer: u32,
}

/// What the caller's password check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches the hash.
    Right,
    /// It does not.
    Wrong,
    /// It could not be checked right now (every hashing slot is taken).
    Busy,
}

/// The verdict on one unlock attempt.
#[derive(Debug)]
pub enum Unlock {
    /// No such transfer (or it expired, was deleted, or is used up).
    Gone,
    /// The transfer has no password: there is nothing to unlock.
    Unprotected(Transfer),
    /// The password is right; the guess was taken back.
    Unlocked(Transfer),
    /// The password is wrong; the guess stays counted.
    Wrong(Transfer),
    /// The guess could not be counted (Redis unreachable) or checked (hasher busy), so
    /// the password was not checked; nothing stays counted that was counted.
    CannotCheck(Transfer),
}

impl Service {
    /// One guess by `client` (as every per-client limit names it) at the password of
    /// the transfer `token`, within `limits`: `verify` is handed the transfer's password
    /// hash and says whether the guess matches it. Refused with
    /// [`Error::TooManyRequests`] once the client's or the transfer's guesses are used
    /// up; never checks a guess it could not count. An error of `verify` is returned
    /// as it is, the guess staying counted.
    pub async fn unlock_transfer<E, V>(
        &self,
        token: &str,
        client: &str,
        limits: UnlockLimits,
        verify: V,
    ) -> Result<Unlock, E>
    where
        E: From<Error>,
        V: AsyncFnOnce(String) -> Result<PasswordCheck, E>,
    {
        let Some(transfer) = self.state.find_transfer(token).await.map_err(Error::from)? else {
            return Ok(Unlock::Gone);
        };
        let Some(hash) = transfer.password_hash.clone() else {
            return Ok(Unlock::Unprotected(transfer));
        };
        Ok(
            match self
                .counted_guess(&transfer.token, client, limits, hash, verify)
                .await?
            {
                Verdict::Right => Unlock::Unlocked(transfer),
                Verdict::Wrong => Unlock::Wrong(transfer),
                Verdict::CannotCheck => Unlock::CannotCheck(transfer),
            },
        )
    }

    /// One guess by `client` at the password `hash` of whatever `scope` names (a
    /// transfer's token; `r:` and a file request's), counted in Redis before it is
    /// checked: per client (every attempt), and per scope, where only wrong guesses
    /// stay counted and a client that has not itself guessed wrong here gets in even
    /// when a crowd used up the scope's guesses. A right guess, and one that could not
    /// be checked, is taken back.
    pub async fn counted_guess<E, V>(
        &self,
        scope: &str,
        client: &str,
        limits: UnlockLimits,
        hash: String,
        verify: V,
    ) -> Result<Verdict, E>
    where
        E: From<Error>,
        V: AsyncFnOnce(String) -> Result<PasswordCheck, E>,
    {
        let state = &self.state;
        let per_client = Bucket {
            name: format!("unlock-ip:{client}"),
            max: limits.per_client,
            window_secs: 60,
        };
        let per_transfer = Bucket {
            name: format!("unlock-transfer:{scope}"),
            max: limits.per_transfer,
            window_secs: 600,
        };
        let per_client_on_transfer = Bucket {
            name: format!("unlock-ip-transfer:{scope}:{client}"),
            max: limits.per_client_and_transfer,
            window_secs: 600,
        };
        let admitted = async {
            rate_limit::enforce(state, &[per_client]).await?;
            rate_limit::admit_guess(state, &per_transfer, &per_client_on_transfer).await
        };
        // Without Redis the attempt cannot be counted, so the password is not checked.
        let guess = match admitted.await {
            Err(Error::State(e)) if e.is_unavailable() => {
                tracing::warn!(error = %e, "password not checked: Redis unreachable");
                return Ok(Verdict::CannotCheck);
            }
            other => other?,
        };
        match verify(hash).await? {
            PasswordCheck::Busy => {
                take_back(state, guess).await;
                Ok(Verdict::CannotCheck)
            }
            PasswordCheck::Right => {
                take_back(state, guess).await;
                Ok(Verdict::Right)
            }
            PasswordCheck::Wrong => Ok(Verdict::Wrong),
        }
    }
}

/// The verdict on one counted guess ([`Service::counted_guess`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Right; the guess was taken back.
    Right,
    /// Wrong; the guess stays counted.
    Wrong,
    /// Not checked: it could not be counted (Redis unreachable) or checked (hasher
    /// busy); nothing stays counted.
    CannotCheck,
}

/// Takes back a guess that was right or never checked. If Redis fails here, the guess
/// stays counted as wrong until its window ends: logged, not worth refusing for.
async fn take_back(state: &State, guess: Guess) {
    if let Err(e) = guess.take_back(state).await {
        tracing::warn!(error = %e, "share-password guess not taken back");
    }
}

//! Password hashing (argon2id, per-password random salt), off the async threads, and
//! bounded: each hash takes 19 MiB, so an unbounded number at once is a memory
//! exhaustion attack (100 concurrent sign-ups took a web process from 0.8 to 2.4 GiB).
//! At most `PASSWORD_HASH_MEMORY / 19 MiB` hashes (at least one) run at once; the
//! rest wait up to `PASSWORD_HASH_WAIT`, then get [`Error::Busy`] (503, `Retry-After`).
//! Checking a new password's strength (zxcvbn, milliseconds of CPU) takes a slot too.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, SaltString, rand_core::OsRng},
};
use ferry_core::{AccountPassword, WeakPassword};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
    Config,
    http::error::{Error, Result},
};

/// Memory one argon2 hash uses with the default parameters (m = 19456 KiB).
const MEMORY_PER_HASH: u64 = Params::DEFAULT_M_COST as u64 * 1024;

/// The process's password hasher: hashes and verifies, a bounded number at a time.
///
/// Why the work memory is kept and reused: freeing 19 MiB per hash on whichever
/// blocking thread ran it left glibc arenas holding it (500 sign-ups with only 3 at a
/// time still reached 959 MiB RSS). Each slot owns one buffer for good, so the memory
/// spent on hashing is exactly `slots × 19 MiB`, however many requests come.
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    wait: Duration,
}

impl Passwords {
    /// A hasher sized from `PASSWORD_HASH_MEMORY` and `PASSWORD_HASH_WAIT`.
    pub fn new(config: &Config) -> Passwords {
        Passwords {
            slots: Arc::new(Semaphore::new(slots(config.password_hash_memory))),
            buffers: Arc::new(Mutex::new(Vec::new())),
            wait: config.password_hash_wait,
        }
    }

    /// A free slot, after waiting (bounded) for one.
    async fn slot(&self) -> Result<OwnedSemaphorePermit> {
        tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Error::Busy)?
            .map_err(|_| Error::Busy)
    }

    /// Checks a new account password (`ferry_core::AccountPassword`: length, zxcvbn, the
    /// common-password list) in a slot, on a blocking thread: zxcvbn takes up to ~25 ms
    /// of CPU for a long password, so it runs off the HTTP threads and no more at once
    /// than hashes do. The outer error is `Busy` (no slot in time); the inner one says
    /// why the password was refused.
    pub async fn check_new(
        &self,
        password: String,
        email: String,
    ) -> Result<Result<AccountPassword, WeakPassword>> {
        let _permit = self.slot().await?;
        tokio::task::spawn_blocking(move || AccountPassword::parse(&password, &email))
            .await
            .map_err(|e| Error::Internal(format!("password check task: {e}")))
    }

    /// Runs `work` on a blocking thread with a slot's buffer, after waiting (bounded)
    /// for a free slot.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self.slot().await?;
        let buffers = self.buffers.clone();
        let mut buffer = buffers
            .lock()
            .map_err(|_| Error::Internal("password buffers poisoned".into()))?
            .pop()
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            let result = work(&mut buffer);
            if let Ok(mut buffers) = buffers.lock() {
                buffers.push(buffer);
            }
            result
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing task: {e}")))
    }

    /// Hashes `password` into a PHC string (argon2id, default parameters, random salt).
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move |buffer| {
            let salt = SaltString::generate(&mut OsRng);
            let params = Params::default();
            let output = compute(
                buffer,
                Algorithm::Argon2id,
                Version::V0x13,
                &params,
                password.as_bytes(),
                &salt,
            )
            .ok_or_else(|| Error::Internal("argon2 failed".into()))?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params)
                    .map_err(|e| Error::Internal(format!("argon2: {e}")))?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await?
    }

    /// [`Passwords::verify`] as the use cases' password check: a full hasher is
    /// `Busy` (the guess is then taken back, not counted), not an error.
    pub async fn check(&self, password: String, hash: String) -> Result<ferry_core::PasswordCheck> {
        match self.verify(password, hash).await {
            Ok(true) => Ok(ferry_core::PasswordCheck::Right),
            Ok(false) => Ok(ferry_core::PasswordCheck::Wrong),
            Err(Error::Busy) => Ok(ferry_core::PasswordCheck::Busy),
            Err(e) => Err(e),
        }
    }

    /// Whether `password` matches the PHC string `hash` (compared in constant time).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        self.run(move |buffer| {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
                Algorithm::try_from(parsed.algorithm),
                Params::try_from(&parsed),
                parsed.salt,
                parsed.hash,
            ) else {
                return false;
            };
            let version = parsed
                .version
                .map(Version::try_from)
                .transpose()
                .ok()
                .flatten()
                .unwrap_or_default();
            let salt = SaltString::from_b64(salt.as_str()).ok();
            salt.and_then(|salt| {
                compute(
                    buffer,
                    algorithm,
                    version,
                    &params,
                    password.as_bytes(),
                    &salt,
                )
            })
            // `Output`'s equality is constant-time.
            .is_some_and(|computed| computed == expected)
        })
        .await
    }
}

/// argon2 of `password` with `params`, in `buffer` (grown to fit, never shrunk).
fn compute(
    buffer: &mut Vec<Block>,
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &[u8],
    salt: &SaltString,
) -> Option<Output> {
    if buffer.len() < params.block_count() {
        buffer.resize(params.block_count(), Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt.as_salt().decode_b64(&mut salt_bytes).ok()?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    Output::init_with(length, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut buffer[..])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .ok()
}

/// Hashes that fit in `budget` bytes at once, at least one.
fn slots(budget: u64) -> usize {
    usize::try_from(budget / MEMORY_PER_HASH)
        .unwrap_or(usize::MAX)
        .clamp(1, Semaphore::MAX_PERMITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_like_the_argon2_crate_and_wrong_passwords_fail() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let passwords = Passwords {
            slots: Arc::new(Semaphore::new(1)),
            buffers: Arc::new(Mutex::new(Vec::new())),
            wait: Duration::from_secs(60),
        };
        let ours = passwords.hash("correct horse".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(
            passwords
                .verify("battery staple".into(), theirs.clone())
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("battery stapler".into(), theirs)
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("x".into(), "not a hash".into())
                .await
                .unwrap()
        );
        assert_eq!(
            passwords.buffers.lock().unwrap().len(),
            1,
            "one buffer, reused"
        );
    }

    #[test]
    fn the_budget_buys_whole_hashes_and_at_least_one() {
        assert_eq!(slots(64 * 1024 * 1024), 3);
        assert_eq!(slots(0), 1);
        assert_eq!(slots(19 * 1024 * 1024), 1);
        assert_eq!(slots(1 << 30), 53);
    }
}

//! Web sessions in Redis, as an [`actix_session::storage::SessionStore`].
//!
//! Why our own store: actix-session's bundled Redis store pulls a second version of the
//! `redis` crate; this one runs over the same deadpool-redis pool as everything else.
//!
//! Guarantees:
//! - a session written through any web process is readable through every other one
//!   (the state is only in Redis, under `{prefix}session:{key}`, with the session TTL);
//! - session keys are 256 bits from the OS RNG, so they cannot be guessed;
//! - a stored value that is gone (Redis restarted without its data) or unreadable
//!   loads as "no session" (a fresh, empty one), so lost data degrades to signed-out
//!   visitors, never to failing pages;
//! - when Redis is unreachable, loading fails (the web answers 503 with
//!   `Retry-After`) instead of pretending the visitor is signed out: a signed-in
//!   visitor must not be shown signed-out pages, nor have a new session written over
//!   theirs once Redis is back.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use deadpool_redis::redis::{self, AsyncCommands};
use rand::{Rng, distr::Alphanumeric};

use crate::State;

type SessionState = HashMap<String, String>;

/// Redis-backed session storage sharing the state crate's connection pool.
#[derive(Clone)]
pub struct RedisSessionStore {
    state: State,
}

impl State {
    /// The session store for actix-session's `SessionMiddleware`.
    pub fn session_store(&self) -> RedisSessionStore {
        RedisSessionStore {
            state: self.clone(),
        }
    }
}

impl RedisSessionStore {
    fn redis_key(&self, key: &SessionKey) -> String {
        self.state.key(&format!("session:{}", key.as_ref()))
    }
}

fn new_session_key() -> SessionKey {
    let value: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(43)
        .map(char::from)
        .collect();
    SessionKey::try_from(value).expect("43 characters is a valid session key")
}

fn ttl_seconds(ttl: &Duration) -> u64 {
    ttl.whole_seconds().max(1) as u64
}

impl SessionStore for RedisSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let key = self.redis_key(session_key);
        let mut conn = self.state.redis().await.map_err(|e| {
            tracing::warn!(error = %e, "session load failed: Redis unreachable");
            LoadError::Other(e.into())
        })?;
        let value: Option<String> = conn.get(&key).await.map_err(|e| {
            tracing::warn!(error = %e, "session load failed: Redis unreachable");
            LoadError::Other(e.into())
        })?;
        Ok(value.and_then(|v| match serde_json::from_str(&v) {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable session state; starting a fresh session");
                None
            }
        }))
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let body = serde_json::to_string(&session_state)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        let mut conn = self
            .state
            .redis()
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        // A collision of 256-bit keys is not going to happen, but NX makes it harmless.
        loop {
            let session_key = new_session_key();
            let written: Option<String> = redis::cmd("SET")
                .arg(self.redis_key(&session_key))
                .arg(&body)
                .arg("NX")
                .arg("EX")
                .arg(ttl_seconds(ttl))
                .query_async(&mut conn)
                .await
                .map_err(|e| SaveError::Other(e.into()))?;
            if written.is_some() {
                return Ok(session_key);
            }
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body = serde_json::to_string(&session_state)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let mut conn = self
            .state
            .redis()
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        let written: Option<String> = redis::cmd("SET")
            .arg(self.redis_key(&session_key))
            .arg(&body)
            .arg("XX")
            .arg("EX")
            .arg(ttl_seconds(ttl))
            .query_async(&mut conn)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if written.is_some() {
            return Ok(session_key);
        }
        // The session expired (or Redis lost it) between load and update: store the
        // state under a fresh key instead of resurrecting a key the client presented.
        drop(conn);
        self.save(session_state, ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        let mut conn = self.state.redis().await?;
        let _: bool = conn
            .expire(self.redis_key(session_key), ttl_seconds(ttl) as i64)
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let mut conn = self.state.redis().await?;
        let _: i64 = conn.del(self.redis_key(session_key)).await?;
        Ok(())
    }
}

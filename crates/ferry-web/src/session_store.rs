//! actix-session's [`SessionStore`] over the session functions of `ferry-state`
//! (`State::load_session` and friends), which hold the Redis commands and the
//! guarantees: sessions readable from every web process, 256-bit keys, lost or
//! unreadable data loads as a fresh session, an unreachable Redis fails the load
//! (503 with `Retry-After`, never a signed-out page), an expired key is never
//! resurrected by an update. This adapter only converts types and errors.

use std::time::Duration as StdDuration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use ferry_state::{State, session::SessionState};

/// Redis-backed session storage sharing the state crate's connection pool.
#[derive(Clone)]
pub struct RedisSessionStore {
    state: State,
}

impl RedisSessionStore {
    /// Sessions of `state`'s Redis, under its key prefix.
    pub fn new(state: State) -> RedisSessionStore {
        RedisSessionStore { state }
    }
}

/// actix's TTLs are signed; the state layer rounds anything below a second up to one.
fn std_ttl(ttl: &Duration) -> StdDuration {
    StdDuration::from_secs(ttl.whole_seconds().max(0) as u64)
}

fn session_key(key: String) -> Result<SessionKey, ferry_state::Error> {
    SessionKey::try_from(key)
        .map_err(|_| ferry_state::Error::Corrupt("generated session key refused".into()))
}

impl SessionStore for RedisSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        self.state
            .load_session(session_key.as_ref())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "session load failed: Redis unreachable");
                LoadError::Other(e.into())
            })
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = self
            .state
            .save_session(&session_state, std_ttl(ttl))
            .await
            .map_err(|e| match e {
                ferry_state::Error::Json(e) => SaveError::Serialization(e.into()),
                e => SaveError::Other(e.into()),
            })?;
        session_key(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let key = self
            .state
            .update_session(session_key.as_ref(), &session_state, std_ttl(ttl))
            .await
            .map_err(|e| match e {
                ferry_state::Error::Json(e) => UpdateError::Serialization(e.into()),
                e => UpdateError::Other(e.into()),
            })?;
        self::session_key(key).map_err(|e| UpdateError::Other(e.into()))
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        Ok(self
            .state
            .set_session_ttl(session_key.as_ref(), std_ttl(ttl))
            .await?)
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        Ok(self.state.delete_session(session_key.as_ref()).await?)
    }
}

//! actix-session's [`SessionStore`] over the session functions of `ferry-state`
//! (`State::load_session` and friends), which hold the Redis commands and the
//! guarantees: sessions readable from every web process, 256-bit keys, lost or
//! unreadable data loads as a fresh session, an unreachable Redis fails the load
//! (503 with `Retry-After`, never a signed-out page), an expired key is never
//! resurrected by an update. This adapter converts types and errors, and stamps each
//! written session with when it was written ([`RENEWED`]).
//!
//! No write on a read: sessions are saved only when a handler changed them
//! (`TtlExtensionPolicy::OnStateChanges`), and [`renew_past_half_life`] renews one —
//! a fresh key, its TTL and cookie restarted — once more than half its `SESSION_TTL`
//! has passed since it was written. A session used at least every half-TTL never
//! expires; one idle for a whole TTL does; a page view in between costs one Redis
//! read and no write.

use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use actix_session::{
    SessionExt,
    storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError},
};
use actix_web::{
    cookie::time::Duration,
    dev::{Service, ServiceRequest, ServiceResponse},
    web,
};
use ferry_state::{State, session::SessionState};

use crate::Config;

/// The session entry holding when the session was last written (Unix milliseconds).
pub const RENEWED: &str = "_renewed";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// `state` stamped with the time it is written.
fn stamped(session_state: &SessionState) -> SessionState {
    let mut state = session_state.clone();
    state.insert(RENEWED.to_owned(), now_ms().to_string());
    state
}

/// Middleware inside the session layer: a session (one with any data) written more
/// than half its `SESSION_TTL` ago — or never stamped — is renewed, so the response
/// stores it under a fresh key with a full TTL and sends the cookie again. Every other
/// request leaves the session as it was loaded, and nothing is written.
pub fn renew_past_half_life<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    if let Some(config) = request.app_data::<web::Data<Config>>() {
        let session = request.get_session();
        let has_data = session.entries().keys().any(|k| k != RENEWED);
        if has_data {
            let half = config.session_ttl.as_millis() as u64 / 2;
            let written = session.get::<u64>(RENEWED).ok().flatten();
            if written.is_none_or(|at| now_ms().saturating_sub(at) > half) {
                session.renew();
            }
        }
    }
    service.call(request)
}

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
            .save_session(&stamped(&session_state), std_ttl(ttl))
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
            .update_session(session_key.as_ref(), &stamped(&session_state), std_ttl(ttl))
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

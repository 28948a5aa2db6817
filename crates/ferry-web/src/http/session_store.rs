//! actix-session's [`SessionStore`] over the session functions of `ferry-state`
//! (`State::load_session_renewing` and friends), which hold the Redis commands and the
//! guarantees: sessions readable from every web process, 256-bit keys, lost or
//! unreadable data loads as a fresh session, an unreachable Redis fails the load
//! (503 with `Retry-After`, never a signed-out page), an expired key is never
//! resurrected by an update. This adapter converts types and errors.
//!
//! No write on a read: sessions are saved only when a handler changed them
//! (`TtlExtensionPolicy::OnStateChanges`). Loading one restarts its TTL — atomically,
//! rewriting nothing, so a concurrent update is never lost and the key never changes
//! under requests in flight — only once less than half of `SESSION_TTL` is left
//! ([`State::load_session_renewing`]); [`resend_renewed_cookie`] then sends the
//! client's own session cookie back with a fresh `Max-Age`. A session used at least
//! every half-TTL never expires; one idle for a whole TTL does; any other page view
//! costs one Redis read.

use std::{cell::Cell, time::Duration as StdDuration};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::{
    cookie::{Cookie, SameSite, time::Duration},
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
};
use ferry_state::{State, session::SessionState};

/// The session cookie's name (with `__Host-` before it when served over https; see
/// [`crate::Config::cookie_name`]).
pub const COOKIE: &str = "ferry_session";

tokio::task_local! {
    /// Set by a load that restarted the session's TTL, for [`resend_renewed_cookie`]
    /// around the same request.
    static RENEWED: Cell<bool>;
}

/// Redis-backed session storage sharing the state crate's Redis connections.
#[derive(Clone)]
pub struct RedisSessionStore {
    state: State,
    ttl: StdDuration,
}

impl RedisSessionStore {
    /// Sessions of `state`'s Redis, under its key prefix, living `ttl` when idle.
    pub fn new(state: State, ttl: StdDuration) -> RedisSessionStore {
        RedisSessionStore { state, ttl }
    }
}

/// Middleware around the session layer: when loading this request's session restarted
/// its TTL, the response carries the session cookie the client sent, unchanged, with
/// a fresh `Max-Age` — unless the session layer already set one (the session changed).
pub fn resend_renewed_cookie<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let config = request.app_data::<actix_web::web::Data<crate::Config>>();
    let name = config.map_or_else(|| COOKIE.to_owned(), |c| c.cookie_name(COOKIE));
    let sent = request.cookie(&name).map(|c| c.value().to_owned());
    let max_age = config.map(|config| config.session_ttl.as_secs() as i64);
    let response = service.call(request);
    RENEWED.scope(Cell::new(false), async move {
        let mut response = response.await?;
        let (Some(value), Some(max_age)) = (sent, max_age) else {
            return Ok(response);
        };
        let already = response.response().cookies().any(|c| c.name() == name);
        if RENEWED.with(Cell::get) && !already {
            // `Secure` is added, with every other cookie's, by `mark_cookies_secure`.
            let cookie = Cookie::build(name, value)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .max_age(Duration::seconds(max_age))
                .finish();
            if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
                response
                    .response_mut()
                    .headers_mut()
                    .append(header::SET_COOKIE, value);
            }
        }
        Ok(response)
    })
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
        let (state, renewed) = self
            .state
            .load_session_renewing(session_key.as_ref(), self.ttl)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "session load failed: Redis unreachable");
                LoadError::Other(e.into())
            })?;
        if renewed {
            let _ = RENEWED.try_with(|flag| flag.set(true));
        }
        Ok(state)
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

//! CSRF protection that keeps no server state for visitors who have none.
//!
//! Why not a token in the session: that wrote a 7-day session to Redis for every
//! cookieless page view, so a crawler could fill Redis. Instead, a signed double-submit
//! token: every visitor carries `ferry_visitor`, a cookie of 256 random bits (HttpOnly,
//! SameSite=Lax), and every form carries `_csrf` = HMAC-SHA256(`SESSION_SECRET`, nonce,
//! binding) — in a hidden field, and in `<meta name="csrf-token">` for the page's
//! script, which sends it as `X-CSRF-Token`. A cross-site page can neither read the
//! cookie nor compute the HMAC. For a signed-in visitor the binding is a random value
//! kept in the session, so a token minted before sign-in (or by someone who planted
//! their own cookie) does not authorise the signed-in session. Tokens are compared in
//! constant time. (The curl and tus APIs never read the session, so they need no token:
//! a cross-site request there can only do what anyone can do without cookies.)
//!
//! The same cookie is the anonymous visitor's identity for the draft (see
//! `visitor::draft_id`): it costs nothing on the server until the first upload lands.

use actix_session::Session;
use actix_web::{
    HttpMessage, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    web,
};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{
    Config,
    http::error::{Error, Result},
};

/// The visitor cookie's name.
pub const COOKIE: &str = "ferry_visitor";
/// Session key of the signed-in binding.
const BINDING: &str = "csrf";

/// The visitor nonce of this request, once decided (from the cookie or made here).
#[derive(Clone)]
struct Nonce {
    value: String,
    /// Send it (again) as a cookie with this response.
    issue: bool,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random_b64() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    b64(&bytes)
}

/// HMAC-SHA256 under `SESSION_SECRET` of `parts`, each length-prefixed so no two
/// different part lists give the same input. The first part names the purpose.
pub fn mac(config: &Config, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(config.session_secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub fn same(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

fn valid_nonce(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The visitor nonce of this request: the one a handler made or rotated, else the one
/// the visitor's cookie presented (never made up).
pub fn presented(request: &HttpRequest) -> Option<String> {
    if let Some(nonce) = request.extensions().get::<Nonce>() {
        return Some(nonce.value.clone());
    }
    request_nonce(request)
}

/// Whether the request came with a visitor cookie (a returning visitor).
pub fn returning(request: &HttpRequest) -> bool {
    request_nonce(request).is_some()
}

/// The visitor nonce, made (and sent as a cookie with the response) if the visitor
/// has none. Never touches Redis.
pub fn nonce(request: &HttpRequest) -> String {
    let value = presented(request).unwrap_or_else(random_b64);
    request.extensions_mut().insert(Nonce {
        value: value.clone(),
        issue: true,
    });
    value
}

/// Gives the visitor a new nonce (at sign-in and sign-out): a visitor cookie that
/// someone else planted, or that the previous visitor of this browser had, is worth
/// nothing afterwards.
pub fn rotate(request: &HttpRequest) {
    request.extensions_mut().insert(Nonce {
        value: random_b64(),
        issue: true,
    });
}

/// Binds this session's future tokens to a fresh random value (at sign-in).
pub fn bind_to_session(session: &Session) -> Result<()> {
    session
        .insert(BINDING, random_b64())
        .map_err(|e| Error::Session(e.to_string()))
}

fn token_for(config: &Config, nonce: &str, session: &Session) -> String {
    let binding = session
        .get::<String>(BINDING)
        .ok()
        .flatten()
        .unwrap_or_default();
    b64(&mac(
        config,
        &[b"csrf", nonce.as_bytes(), binding.as_bytes()],
    ))
}

/// The CSRF token for this visitor's forms (and the cookie it needs, if missing).
pub fn token(request: &HttpRequest, session: &Session, config: &Config) -> String {
    token_for(config, &nonce(request), session)
}

/// Refuses the request (403) unless `token` is the one for the visitor cookie the
/// client sent (and, once signed in, for its session).
pub fn verify(
    request: &HttpRequest,
    session: &Session,
    config: &Config,
    token: Option<&str>,
) -> Result<()> {
    match (request_nonce(request), token) {
        (Some(nonce), Some(token)) if same(&token_for(config, &nonce, session), token) => Ok(()),
        _ => Err(Error::Forbidden("csrf_token_invalid")),
    }
}

/// The visitor cookie's name for this deployment (`__Host-` prefixed over https).
fn cookie_name(request: &HttpRequest) -> String {
    request
        .app_data::<web::Data<Config>>()
        .map_or_else(|| COOKIE.to_owned(), |config| config.cookie_name(COOKIE))
}

/// Only the cookie the client sent counts when verifying (not one made for this response).
fn request_nonce(request: &HttpRequest) -> Option<String> {
    request
        .cookie(&cookie_name(request))
        .map(|c| c.value().to_owned())
        .filter(|v| valid_nonce(v))
}

/// Middleware: sends the visitor cookie when a handler made or rotated the nonce.
pub fn issue_cookie<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        let nonce = response.request().extensions().get::<Nonce>().cloned();
        let Some(nonce) = nonce.filter(|n| n.issue) else {
            return Ok(response);
        };
        let Some(config) = response.request().app_data::<web::Data<Config>>().cloned() else {
            return Ok(response);
        };
        // `Secure` is added, with every other cookie's, by the outer `mark_cookies_secure`.
        let cookie = Cookie::build(config.cookie_name(COOKIE), nonce.value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::seconds(config.session_ttl.as_secs() as i64))
            .finish();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response
                .response_mut()
                .headers_mut()
                .append(header::SET_COOKIE, value);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_43_url_safe_characters() {
        assert!(valid_nonce(&random_b64()));
        assert!(!valid_nonce("short"));
        assert!(!valid_nonce(&"a;".repeat(22)[..43]));
    }

    #[test]
    fn equal_tokens_compare_equal_and_others_not() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}

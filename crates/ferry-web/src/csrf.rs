//! CSRF protection for everything the session authorises.
//!
//! One random token per session (`csrf`), put in every form as `_csrf` and in a
//! `<meta name="csrf-token">` for the page's script, which sends it as `X-CSRF-Token`.
//! A POST that changes session-bound state without the matching token is refused with
//! 403. (The curl and tus APIs never read the session, so they need no token: a
//! cross-site request there can only do what anyone can do without cookies.)

use actix_session::Session;
use base64::Engine;
use rand::RngCore;

use crate::error::{Error, Result};

const KEY: &str = "csrf";

/// This session's token, created on first use.
pub fn token(session: &Session) -> Result<String> {
    if let Ok(Some(token)) = session.get::<String>(KEY) {
        return Ok(token);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    session
        .insert(KEY, &token)
        .map_err(|e| Error::Session(e.to_string()))?;
    Ok(token)
}

/// Refuses the request unless `presented` is this session's token.
pub fn verify(session: &Session, presented: Option<&str>) -> Result<()> {
    let expected = session.get::<String>(KEY).ok().flatten();
    match (expected, presented) {
        (Some(expected), Some(presented))
            if constant_time_eq(expected.as_bytes(), presented.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(Error::Forbidden("csrf_token_invalid")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

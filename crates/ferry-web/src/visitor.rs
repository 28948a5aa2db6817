//! What the server knows about the visitor: who is signed in, their draft transfer
//! (the cart; its items are in Redis — see `ferry_state::draft`), transfers they just
//! sent, and password-protected transfers they unlocked. All of it lives in Redis: any
//! web process sees it, and a restart of every web process loses none of it.
//!
//! Nothing is stored for a visitor who has changed nothing: the session is written on
//! the first real state change (sign-up, sign-in, unlock, send), and the draft's id is
//! derived from the visitor cookie (`csrf::COOKIE`) with `SESSION_SECRET`, so a page
//! view writes nothing and every upload from one page lands in the same draft.

use actix_session::Session;
use actix_web::HttpRequest;
use chrono::Utc;
use ferry_state::{State, user::User};
use uuid::Uuid;

use crate::{
    Config, csrf,
    error::{Error, Result},
};

const USER: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
const UNLOCKED: &str = "unlocked";

/// The visitor of one request.
pub struct Visitor {
    /// Signed-in user, if any.
    pub user: Option<User>,
    /// The visitor's CSRF token (see `csrf`).
    pub csrf: String,
}

impl Visitor {
    /// The page-header view of this visitor.
    pub fn viewer(&self) -> crate::html::Viewer<'_> {
        crate::html::Viewer {
            email: self.user.as_ref().map(|u| u.email.as_str()),
            csrf: &self.csrf,
        }
    }
}

fn session_error(e: impl std::fmt::Display) -> Error {
    Error::Session(e.to_string())
}

/// Loads the visitor; a sign-in older than `SESSION_ABSOLUTE_TTL` is ended here.
/// Writes nothing to Redis.
pub async fn load(
    request: &HttpRequest,
    session: &Session,
    state: &State,
    config: &Config,
) -> Result<Visitor> {
    let user_id = session.get::<Uuid>(USER).ok().flatten();
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).ok().flatten().unwrap_or(0);
    let user = match user_id {
        Some(_)
            if Utc::now().timestamp() - signed_in_at
                > config.session_absolute_ttl.as_secs() as i64 =>
        {
            sign_out(request, session);
            None
        }
        Some(id) => state.user_by_id(id).await?,
        None => None,
    };
    // After a possible sign-out above, so the token matches the cookie sent with it.
    let csrf = csrf::token(request, session, config);
    Ok(Visitor { user, csrf })
}

/// Signs `user` in on a renewed session id (so a session id seen before sign-in is
/// worthless after it), keeping the draft; CSRF tokens from now on are bound to it.
pub fn sign_in(session: &Session, user: &User) -> Result<()> {
    session.renew();
    csrf::bind_to_session(session)?;
    session.insert(USER, user.id).map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT, Utc::now().timestamp())
        .map_err(session_error)?;
    Ok(())
}

/// Ends the session entirely (new id, nothing kept) and gives the browser a new
/// visitor cookie, so the draft of whoever signed out is not shown to the next person.
pub fn sign_out(request: &HttpRequest, session: &Session) {
    session.purge();
    csrf::rotate(request);
}

/// The id of this visitor's draft (the key of its items in Redis): a keyed hash of the
/// visitor cookie, so it needs no storage, cannot be guessed from outside, and is the
/// same for every request of one page. `None` for a visitor without a cookie.
pub fn draft_id(request: &HttpRequest, config: &Config) -> Option<String> {
    csrf::presented(request)
        .map(|nonce| hex::encode(&csrf::mac(config, &[b"draft", nonce.as_bytes()])[..16]))
}

/// The token upload.js puts in the tus `Upload-Metadata` (`ferry_draft_token`) of an
/// upload meant for draft `draft`; only an upload carrying it can join that draft.
pub fn draft_token(config: &Config, draft: &str) -> String {
    hex::encode(csrf::mac(config, &[b"draft-token", draft.as_bytes()]))
}

/// Remembers the deletion token of a transfer this session just sent.
pub fn remember_sent(session: &Session, token: &str, deletion_token: &str) -> Result<()> {
    session
        .insert(format!("sent:{token}"), deletion_token)
        .map_err(session_error)
}

/// The deletion token of a transfer this session sent, if it did.
pub fn sent(session: &Session, token: &str) -> Option<String> {
    session
        .get::<String>(&format!("sent:{token}"))
        .ok()
        .flatten()
}

/// Whether this session unlocked the password-protected transfer `token`.
pub fn has_unlocked(session: &Session, token: &str) -> bool {
    session
        .get::<Vec<String>>(UNLOCKED)
        .ok()
        .flatten()
        .is_some_and(|tokens| tokens.iter().any(|t| t == token))
}

/// Records that this session gave the right password for `token`.
pub fn unlock(session: &Session, token: &str) -> Result<()> {
    let mut tokens = session
        .get::<Vec<String>>(UNLOCKED)
        .ok()
        .flatten()
        .unwrap_or_default();
    if !tokens.iter().any(|t| t == token) {
        tokens.push(token.to_owned());
        if tokens.len() > 50 {
            tokens.remove(0);
        }
    }
    session.insert(UNLOCKED, tokens).map_err(session_error)
}

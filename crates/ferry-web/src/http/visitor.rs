//! What the server knows about the visitor: who is signed in, their draft transfer
//! (the cart; its items are in Redis — see `ferry_state::draft`), and
//! password-protected transfers they unlocked. All of it lives in Redis: any web
//! process sees it, and a restart of every web process loses none of it. What they
//! just sent is remembered in their own browser (a signed cookie per transfer).
//!
//! Nothing is stored for a visitor who has changed nothing: the session is written on
//! the first real state change (sign-up, sign-in, unlock), and the draft's id is
//! derived with `SESSION_SECRET` from the visitor cookie (`csrf::COOKIE`) — from the
//! account once signed in — so a page view writes nothing and every upload from one
//! page lands in the same draft.

use actix_session::Session;
use actix_web::HttpRequest;
use chrono::Utc;
use ferry_state::{State, user::User};
use uuid::Uuid;

use crate::{
    Config,
    http::{
        csrf,
        error::{Error, Result},
        html::Viewer,
        language::{self, Locale},
        theme::{self, Theme},
    },
};

const USER: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
/// The account's session epoch when this sign-in began (a password reset bumps it).
const EPOCH: &str = "session_epoch";
const UNLOCKED: &str = "unlocked";
/// The cookie that remembers, in the sender's browser, what they just sent.
const SENT: &str = "ferry_sent";

/// The visitor of one request.
pub struct Visitor {
    /// Signed-in user, if any.
    pub user: Option<User>,
    /// The visitor's CSRF token (see `csrf`).
    pub csrf: String,
    /// The colour theme their browser chose (see `theme`).
    pub theme: Theme,
    /// The language they read (see `language`).
    pub locale: Locale,
    /// Where the header's theme form returns to (this page, when it has a `GET`).
    pub back: String,
    /// Whether anyone may sign up here (`SIGNUP=open`): the pages offer it only then.
    pub signup_open: bool,
}

impl Visitor {
    /// The page-header view of this visitor.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            email: self.user.as_ref().map(|u| u.email.as_str()),
            csrf: &self.csrf,
            theme: self.theme,
            locale: self.locale,
            back: &self.back,
            signup: self.signup_open,
        }
    }
}

fn session_error(e: impl std::fmt::Display) -> Error {
    Error::Session(e.to_string())
}

/// Loads the visitor; a sign-in older than `SESSION_ABSOLUTE_TTL`, or older than the
/// account's last password reset (its session epoch moved on), is ended here.
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
        Some(id) => {
            let epoch = session.get::<i32>(EPOCH).ok().flatten().unwrap_or(0);
            match state.user_by_id(id).await? {
                Some(user) if user.session_epoch == epoch && user.disabled_at.is_none() => {
                    Some(user)
                }
                _ => {
                    sign_out(request, session);
                    None
                }
            }
        }
        None => None,
    };
    // After a possible sign-out above, so the token matches the cookie sent with it.
    let csrf = csrf::token(request, session, config);
    Ok(Visitor {
        user,
        csrf,
        theme: Theme::of(request),
        locale: language::of(request),
        back: theme::back_of(request),
        signup_open: config.signup == crate::config::Signup::Open,
    })
}

/// Signs `user` in on a renewed session id (so a session id seen before sign-in is
/// worthless after it) with a new visitor nonce (so a visitor cookie seen or planted
/// before sign-in is too); CSRF tokens from now on are bound to the session. What the
/// visitor drafted before signing in follows them into their account's draft (what
/// another account signed in on this browser drafted stays with that account).
pub async fn sign_in(
    request: &HttpRequest,
    session: &Session,
    service: &ferry_core::Service,
    config: &Config,
    user: &User,
) -> Result<()> {
    // The cookie's draft, not `draft_id`: for a browser still signed in as someone
    // else, that is the other account's draft, which is not this visitor's to take.
    let before = cookie_draft_id(request, config);
    session.renew();
    csrf::rotate(request);
    csrf::bind_to_session(session)?;
    session.insert(USER, user.id).map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT, Utc::now().timestamp())
        .map_err(session_error)?;
    session
        .insert(EPOCH, user.session_epoch)
        .map_err(session_error)?;
    if let Some(before) = before {
        service
            .adopt_draft(&before, &account_draft_id(config, user.id))
            .await?;
    }
    Ok(())
}

/// Ends the session entirely (new id, nothing kept) and gives the browser a new
/// visitor cookie, so the draft of whoever signed out is not shown to the next person.
pub fn sign_out(request: &HttpRequest, session: &Session) {
    session.purge();
    csrf::rotate(request);
}

/// The id of this visitor's draft (the key of its items in Redis). A signed-in
/// visitor's draft belongs to the account: a keyed hash of the user id, the same in
/// every browser they sign in from and reachable by no cookie. A visitor without an
/// account has a keyed hash of the visitor cookie, so it needs no storage, cannot be
/// guessed from outside, and is the same for every request of one page. `None` for a
/// visitor without a cookie.
pub fn draft_id(request: &HttpRequest, session: &Session, config: &Config) -> Option<String> {
    if let Some(user) = session.get::<Uuid>(USER).ok().flatten() {
        return Some(account_draft_id(config, user));
    }
    cookie_draft_id(request, config)
}

/// The draft of this browser's visitor cookie (a visitor without an account's draft).
fn cookie_draft_id(request: &HttpRequest, config: &Config) -> Option<String> {
    csrf::presented(request)
        .map(|nonce| hex::encode(&csrf::mac(config, &[b"draft", nonce.as_bytes()])[..16]))
}

fn account_draft_id(config: &Config, user: Uuid) -> String {
    hex::encode(&csrf::mac(config, &[b"draft-user", user.as_bytes()])[..16])
}

/// The token upload.js puts in the tus `Upload-Metadata` (`ferry_draft_token`) of an
/// upload meant for draft `draft`; only an upload carrying it can join that draft.
pub fn draft_token(config: &Config, draft: &str) -> String {
    hex::encode(csrf::mac(config, &[b"draft-token", draft.as_bytes()]))
}

/// The cookie that shows the sender of transfer `token` its link and deletion button
/// on `/sent/{token}`: no server-side state (a visitor without an account who sends a
/// hundred transfers costs a hundred cookies in their own browser, each sent only to
/// its own page, not a hundred session keys), and its value is a MAC under
/// `SESSION_SECRET` of the share token, so only Ferry could have made it. (No
/// `__Host-` prefix: that needs `Path=/`, and a planted one would only show its
/// planter's own transfer.)
pub fn sent_cookie(config: &Config, token: &str) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(SENT, sent_value(config, token))
        .path(format!("/sent/{token}"))
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(
            config.session_ttl.as_secs() as i64,
        ))
        .finish()
}

fn sent_value(config: &Config, token: &str) -> String {
    hex::encode(&csrf::mac(config, &[b"sent", token.as_bytes()])[..16])
}

/// Whether this request carries the cookie [`sent_cookie`] made for transfer `token`.
pub fn sent(request: &HttpRequest, config: &Config, token: &str) -> bool {
    request
        .cookie(SENT)
        .is_some_and(|c| csrf::same(&sent_value(config, token), c.value()))
}

/// What [`has_unlocked`] and [`unlock`] call the file request with link token
/// `token` (beside transfer tokens, which never start with `r:`).
pub fn request_scope(token: &str) -> String {
    format!("r:{token}")
}

/// Whether this session may upload into a file request protected (or not, `None`)
/// by `password_hash`, whose link token is `token`: it has no password, or this
/// session gave it.
pub fn may_upload_into(session: &Session, token: &str, password_hash: Option<&str>) -> bool {
    password_hash.is_none() || has_unlocked(session, &request_scope(token))
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

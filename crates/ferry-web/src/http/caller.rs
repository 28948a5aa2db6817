//! Who calls an API (the curl API, tus, the JSON API): the owner of an API token sent
//! as `Authorization: Bearer <token>`, the user of a signed-in session (the upload
//! page's own tus uploads), or nobody.
//!
//! A token that is sent must be good: a wrong, revoked or expired one is refused with
//! 401 `invalid_token`, never taken for an anonymous call (a script whose token was
//! revoked should fail, not quietly upload as nobody). Other `Authorization` schemes
//! (a proxy's Basic auth in front of Ferry) are not Ferry's and are left alone. The
//! token is looked up on every request: a revoked one fails at once on every process.
//! It is never logged (the access log records no headers).

use actix_session::Session;
use actix_web::{HttpRequest, http::header};
use ferry_core::{
    Service,
    api_token::{Scope, TokenCaller},
};
use ferry_state::user::User;
use uuid::Uuid;

use crate::{
    Config,
    http::{
        error::{Error, Result},
        visitor,
    },
};

/// Who is calling.
pub enum Caller {
    /// No credentials.
    Anonymous,
    /// A signed-in browser session.
    Session(User),
    /// An API token.
    Token(TokenCaller),
}

impl Caller {
    /// The account calling, if it may do `scope`: a session may do all a user may;
    /// a token what its scopes say (403 `insufficient_scope` else); nobody, nothing
    /// (401 `sign_in_required`).
    pub fn require(&self, scope: Scope) -> Result<&User> {
        match self {
            Caller::Anonymous => Err(Error::Unauthorized("sign_in_required")),
            Caller::Session(user) => Ok(user),
            Caller::Token(token) if token.may(scope) => Ok(&token.user),
            Caller::Token(_) => Err(Error::Forbidden("insufficient_scope")),
        }
    }

    /// For an upload: the account it is made for, if any. A token must carry the
    /// `upload` scope; with `UPLOADS=members`, nobody may upload without an account.
    pub fn uploader(&self, config: &Config) -> Result<Option<Uuid>> {
        match self {
            Caller::Anonymous if config.uploads.anyone() => Ok(None),
            _ => self.require(Scope::Upload).map(|u| Some(u.id)),
        }
    }
}

/// The bearer token of `request`, if its `Authorization` is one.
fn bearer(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Refuses `request` if it carries a bearer token that is not good (401
/// `invalid_token`), whoever else it may be from: for requests that need no caller
/// but must not go on with a revoked token (the `PATCH`es of a tus upload it began).
pub async fn refuse_bad_token(request: &HttpRequest, service: &Service) -> Result<()> {
    match bearer(request) {
        Some(secret) if service.authenticate_api_token(secret).await?.is_none() => {
            Err(Error::Unauthorized("invalid_token"))
        }
        _ => Ok(()),
    }
}

/// Who calls with `request`: its bearer token's owner, else its session's user.
pub async fn of(
    request: &HttpRequest,
    session: &Session,
    service: &Service,
    config: &Config,
) -> Result<Caller> {
    if let Some(secret) = bearer(request) {
        return match service.authenticate_api_token(secret).await? {
            Some(token) => Ok(Caller::Token(token)),
            None => Err(Error::Unauthorized("invalid_token")),
        };
    }
    let visitor = visitor::load(request, session, service.state(), config).await?;
    Ok(match visitor.user {
        Some(user) => Caller::Session(user),
        None => Caller::Anonymous,
    })
}

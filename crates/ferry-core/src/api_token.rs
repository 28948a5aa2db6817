//! Personal API tokens: a signed-in user makes one for a script or a CI job and sends
//! it as `Authorization: Bearer <token>` to the curl API, tus and the JSON API.
//!
//! A token is `ferry_` and 256 random bits (URL-safe base64), shown once when it is
//! made; Ferry keeps its SHA-256 only. A fast hash is enough: nobody can guess 256
//! random bits, so the slow, salted hash a password needs would only cost every API
//! request a few milliseconds of CPU. Each token carries scopes — what it may do — and
//! optionally an expiry; the owner revokes it at any time, and a revoked token fails
//! on its next request on every web process (nothing caches it).

use base64::Engine;
use chrono::Utc;
use ferry_state::{
    api_token::{ApiToken, NewApiToken},
    user::User,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error, Result, Service,
    file_request::{text, whole},
    i18n::Locale,
};

/// What every token starts with (so a secret scanner, or a person, can tell one).
pub const TOKEN_PREFIX: &str = "ferry_";
/// Most tokens one account may hold (every row an account can make is bounded).
pub const MAX_TOKENS: i64 = 50;
/// Longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest expiry one may set, in days.
pub const MAX_EXPIRY_DAYS: i64 = 3650;
/// How many of the secret's characters the token list shows.
const SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 6;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Upload through the curl API and tus; what it uploads is the owner's.
    Upload,
    /// Read the owner's transfers (`GET /api/transfers`).
    Read,
    /// Create, list and close the owner's file requests (`/api/requests`).
    Requests,
}

impl Scope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Scope; 3] = [Scope::Upload, Scope::Read, Scope::Requests];

    /// The scope's name, as stored and as forms send it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Upload => "upload",
            Scope::Read => "read",
            Scope::Requests => "requests",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What the owner typed into the "new token" form, unparsed.
#[derive(Clone, Debug)]
pub struct TokenForm {
    /// Their name for it (required).
    pub name: String,
    /// The scopes ticked (names, as the form sends them).
    pub scopes: Vec<String>,
    /// Days until it expires; empty for never.
    pub expires_in_days: String,
    /// The owner's language, for the errors.
    pub locale: Locale,
}

/// A token just made: the secret, shown once, and what the list shows of it.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// The whole token, never stored.
    pub secret: String,
    /// The stored token.
    pub token: ApiToken,
}

/// The caller a valid token names.
#[derive(Clone, Debug)]
pub struct TokenCaller {
    /// The token's owner.
    pub user: User,
    /// The token.
    pub token: ApiToken,
}

impl TokenCaller {
    /// Whether the token may do `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        self.token.scopes.iter().any(|s| s == scope.as_str())
    }
}

fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Service {
    /// Makes a token for `owner` from `form` (each field checked; the error names it).
    pub async fn create_api_token(&self, owner: Uuid, form: &TokenForm) -> Result<NewToken> {
        let l = form.locale;
        let name: String = text(l, &form.name, "tokens-field-name", MAX_NAME_CHARS)?
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if name.is_empty() {
            return Err(Error::invalid(l.t("tokens-error-no-name")));
        }
        let mut scopes: Vec<String> = Vec::new();
        for typed in &form.scopes {
            let scope = Scope::parse(typed.trim()).ok_or_else(|| {
                Error::invalid(l.t_args("tokens-error-scope", &[("value", typed.clone().into())]))
            })?;
            if !scopes.iter().any(|s| s == scope.as_str()) {
                scopes.push(scope.as_str().to_owned());
            }
        }
        if scopes.is_empty() {
            return Err(Error::invalid(l.t("tokens-error-no-scope")));
        }
        let expires_at = match form.expires_in_days.trim() {
            "" => None,
            typed => Some(
                Utc::now()
                    + chrono::Duration::days(whole(
                        l,
                        typed,
                        "tokens-field-expiry",
                        1,
                        MAX_EXPIRY_DAYS,
                    )?),
            ),
        };
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let hash = secret_hash(&secret);
        let new = NewApiToken {
            user_id: owner,
            name: &name,
            secret_hash: &hash,
            prefix: &secret[..SHOWN_CHARS],
            scopes: &scopes,
            expires_at,
        };
        match self.state.create_api_token(&new, MAX_TOKENS).await? {
            Some(token) => Ok(NewToken { secret, token }),
            None => Err(Error::invalid(
                l.t_args("tokens-error-too-many", &[("max", MAX_TOKENS.into())]),
            )),
        }
    }

    /// Revokes `owner`'s token `id`: it fails from its next request on.
    pub async fn revoke_api_token(&self, owner: Uuid, id: Uuid) -> Result<()> {
        if self.state.revoke_api_token(owner, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The caller `secret` names, if it is a live token (not revoked, not expired).
    pub async fn authenticate_api_token(&self, secret: &str) -> Result<Option<TokenCaller>> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        Ok(self
            .state
            .authenticate_api_token(&secret_hash(secret))
            .await?
            .map(|(token, user)| TokenCaller { user, token }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_parses_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }
}

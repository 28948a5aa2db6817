//! E-mail use cases: what to send (enqueued by web processes, as an outbox row and a
//! job) and how a worker prepares one message for sending (minting the single-use
//! token a reset or verification link carries). The transport (SMTP, lettre) is the
//! worker's; the words are [`templates`]'.
//!
//! Why the worker mints the tokens: a token then exists only in the mail and, for
//! the moment of sending, in the worker's memory — never in a job, an outbox row or a
//! log. Only its SHA-256 is stored. A retry after a failed send mints a new one,
//! which replaces the older (one live token per account and purpose).
//!
//! A reset asked for an address without an account looks, to the asker, exactly like
//! one for an address with one: the web stores the same row and enqueues the same job
//! either way; the worker finds no account and marks the row skipped.
//!
//! A mail is written in the language of the request that asked for it: its
//! [`Locale`] is stored beside the parameters (`params.locale`; absent means English,
//! as for rows queued before languages existed), and the worker composes in it. The
//! first-download notice is queued by someone else's download: it takes the language
//! the sender asked for it in, kept on the transfer (`notify_locale`).

pub mod templates;

use chrono::Utc;
use ferry_state::{mail::OutboxMail, mail::TokenUse, user::User};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Error, Result, Service, i18n::Locale};

pub use templates::Composed;

/// The kinds of mail, with what composing each needs (stored as an outbox row's
/// `kind` and `params`; never a secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mail {
    /// A password-reset link for the account of the row's recipient, if any.
    PasswordReset {
        /// Where the link points (the web's public base URL).
        base_url: String,
    },
    /// The link that confirms the recipient's address belongs to account `user_id`.
    VerifyAddress {
        /// The account.
        user_id: Uuid,
        /// The web's public base URL.
        base_url: String,
    },
    /// A share link sent by a signed-in user.
    ShareLink {
        /// The sender's address, shown as who sent it.
        sender: String,
        /// The share URL.
        url: String,
        /// The transfer's file names.
        files: Vec<String>,
        /// The sender's short message.
        message: Option<String>,
    },
    /// The owner's notice of a transfer's first download (enqueued by the state
    /// layer where the download is counted).
    FirstDownload {
        /// The share URL, when known.
        #[serde(default)]
        url: Option<String>,
        /// The transfer's file names.
        files: Vec<String>,
    },
    /// The owner's notice that clamd found malware in one of their files (enqueued by
    /// the state layer where the verdict is recorded).
    MalwareFound {
        /// The file's name.
        file: String,
        /// The signature clamd found.
        signature: String,
    },
    /// The requester's notice of an upload into a file request.
    FileRequestUpload {
        /// The request's title.
        title: String,
        /// What was uploaded.
        files: Vec<String>,
        /// Where the requester sees it.
        url: String,
    },
}

impl Mail {
    fn kind(&self) -> &'static str {
        match self {
            Mail::PasswordReset { .. } => "password_reset",
            Mail::VerifyAddress { .. } => "verify_address",
            Mail::ShareLink { .. } => "share_link",
            Mail::FirstDownload { .. } => "first_download",
            Mail::FileRequestUpload { .. } => "file_request_upload",
            Mail::MalwareFound { .. } => "malware_found",
        }
    }
}

/// The key of a mail's language among an outbox row's parameters.
const LOCALE: &str = "locale";

/// Longest message a sender may add to a share-link mail, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A new single-use token: 256 bits from the OS RNG, URL-safe base64, and its hash.
fn mint_token() -> (String, Vec<u8>) {
    use base64::Engine;
    let bytes: [u8; 32] = rand::rng().random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// What is stored of `token`.
fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A plausible e-mail address (what a form accepts; lettre checks it fully).
pub fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Service {
    /// Enqueues one mail to `recipient`, to be written in `locale`.
    pub async fn enqueue_mail(&self, recipient: &str, mail: &Mail, locale: Locale) -> Result<Uuid> {
        let mut params = serde_json::to_value(mail)
            .map_err(|e| Error::invalid(format!("mail parameters: {e}")))?;
        if let Some(fields) = params.as_object_mut() {
            fields.insert(LOCALE.into(), locale.code().into());
        }
        Ok(self
            .state
            .enqueue_mail(
                mail.kind(),
                recipient,
                &params,
                self.policy.job_max_attempts,
            )
            .await?)
    }

    /// "Forgot your password?": enqueues a reset mail for `email` whether or not an
    /// account has that address (the worker decides), so the answer and the work done
    /// here are the same either way. Rate limits are the caller's (per client, per
    /// address), checked before.
    pub async fn request_password_reset(
        &self,
        email: &str,
        base_url: &str,
        locale: Locale,
    ) -> Result<()> {
        let email = email.trim().to_lowercase();
        if !plausible_email(&email) {
            return Err(Error::invalid("That does not look like an e-mail address."));
        }
        let mail = Mail::PasswordReset {
            base_url: base_url.to_owned(),
        };
        self.enqueue_mail(&email, &mail, locale).await?;
        Ok(())
    }

    /// Whether reset token `token` is live (to show the form, or say why not).
    pub async fn reset_token_state(&self, token: &str) -> Result<TokenUse> {
        Ok(self.state.reset_token_state(&token_hash(token)).await?)
    }

    /// Sets a new password (already checked and hashed by the caller) with reset token
    /// `token`: the token is used up, and every session of the account ends.
    pub async fn reset_password_with_token(
        &self,
        token: &str,
        password_hash: &str,
    ) -> Result<TokenUse> {
        Ok(self
            .state
            .reset_password_with_token(&token_hash(token), password_hash)
            .await?)
    }

    /// Enqueues the address-verification mail of `user` (sign-up, "send again"),
    /// in `locale`.
    pub async fn request_verification(
        &self,
        user: &User,
        base_url: &str,
        locale: Locale,
    ) -> Result<()> {
        let mail = Mail::VerifyAddress {
            user_id: user.id,
            base_url: base_url.to_owned(),
        };
        self.enqueue_mail(&user.email, &mail, locale).await?;
        Ok(())
    }

    /// Confirms an address with verification token `token`.
    pub async fn verify_address(&self, token: &str) -> Result<TokenUse> {
        Ok(self
            .state
            .verify_address_with_token(&token_hash(token))
            .await?)
    }

    /// Enqueues the share link of a transfer to each of `recipients` (already parsed
    /// and counted by the caller), from `sender`, whose address must be verified, in
    /// the sender's language `locale` (the recipients' is unknown).
    pub async fn send_link(
        &self,
        sender: &User,
        recipients: &[String],
        url: &str,
        files: Vec<String>,
        message: Option<String>,
        locale: Locale,
    ) -> Result<()> {
        if sender.email_verified_at.is_none() {
            return Err(Error::Forbidden("address_not_verified"));
        }
        let mail = Mail::ShareLink {
            sender: sender.email.clone(),
            url: url.to_owned(),
            files,
            message,
        };
        for recipient in recipients {
            self.enqueue_mail(recipient, &mail, locale).await?;
        }
        Ok(())
    }

    /// Asks for the first-download notice of transfer `id` (its owner is told, once,
    /// when it is first downloaded, by the state layer where downloads are counted),
    /// in the owner's language `locale` (the download that triggers it is someone
    /// else's request).
    pub async fn notify_first_download(&self, id: Uuid, locale: Locale) -> Result<()> {
        let locale = (locale != Locale::En).then_some(locale.code());
        Ok(self
            .state
            .set_first_download_notice(id, true, locale)
            .await?)
    }

    /// The upload-into-a-file-request notice, ready for file requests to call.
    pub async fn notify_file_request_upload(
        &self,
        requester: &User,
        title: &str,
        files: Vec<String>,
        url: &str,
        locale: Locale,
    ) -> Result<()> {
        if requester.email_verified_at.is_none() {
            return Ok(());
        }
        let mail = Mail::FileRequestUpload {
            title: title.to_owned(),
            files,
            url: url.to_owned(),
        };
        self.enqueue_mail(&requester.email, &mail, locale).await?;
        Ok(())
    }

    /// Prepares outbox row `row` for sending (a worker, right before it sends):
    /// `None` when it is not to be sent (already sent or skipped, a reset for an
    /// address without an account, an account gone). For a reset or a verification,
    /// mints the link's token now and stores its hash (replacing an older one).
    pub async fn prepare_mail(&self, row: &OutboxMail) -> Result<Option<Composed>> {
        if row.sent_at.is_some() || row.skipped_at.is_some() {
            return Ok(None);
        }
        let mut params = row.params.clone();
        let mut locale = Locale::En;
        if let Some(fields) = params.as_object_mut() {
            if let Some(code) = fields.remove(LOCALE) {
                locale = code.as_str().and_then(Locale::parse).unwrap_or_default();
            }
            fields.insert("kind".into(), serde_json::Value::String(row.kind.clone()));
        }
        let mail: Mail = serde_json::from_value(params)
            .map_err(|e| Error::invalid(format!("outbox row {} is unreadable: {e}", row.id)))?;
        let ttl = |d: std::time::Duration| {
            chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::hours(1))
        };
        Ok(Some(match mail {
            Mail::PasswordReset { base_url } => {
                let Some(user) = self.state.user_by_email(&row.recipient).await? else {
                    return Ok(None);
                };
                let (token, hash) = mint_token();
                let expires = Utc::now() + ttl(self.policy.password_reset_ttl);
                self.state
                    .store_reset_token(user.id, &hash, expires)
                    .await?;
                templates::password_reset(
                    locale,
                    &format!("{base_url}/reset/{token}"),
                    self.policy.password_reset_ttl.as_secs().div_ceil(60),
                )
            }
            Mail::VerifyAddress { user_id, base_url } => {
                let Some(user) = self.state.user_by_id(user_id).await? else {
                    return Ok(None);
                };
                if user.email_verified_at.is_some() || user.email != row.recipient {
                    return Ok(None);
                }
                let (token, hash) = mint_token();
                let expires = Utc::now() + ttl(self.policy.verification_ttl);
                self.state
                    .store_verification_token(user.id, &hash, expires)
                    .await?;
                templates::verify_address(locale, &format!("{base_url}/verify/{token}"))
            }
            Mail::ShareLink {
                sender,
                url,
                files,
                message,
            } => templates::share_link(locale, &sender, &url, &files, message.as_deref()),
            Mail::FirstDownload { url, files } => {
                templates::first_download(locale, url.as_deref(), &files)
            }
            Mail::FileRequestUpload { title, files, url } => {
                templates::file_request_upload(locale, &title, &files, &url)
            }
            Mail::MalwareFound { file, signature } => {
                templates::malware_found(locale, &file, &signature)
            }
        }))
    }
}

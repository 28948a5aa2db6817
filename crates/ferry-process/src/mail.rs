//! The e-mail settings web and worker both read: web to know whether mail is on (it
//! shows the e-mail features only then), the worker to send.

use std::time::Duration;

use secrecy::SecretString;

use crate::value::parse_duration;

/// `SMTP_URL`, `MAIL_FROM` and the lifetimes of the links mails carry.
#[derive(clap::Args, Clone, Debug)]
pub struct MailArgs {
    /// SMTP server the worker sends mail through, credentials included:
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `?tls=opportunistic`,
    /// `smtp://host:25` (plain), `smtps://user:pass@host:465` (TLS from the start).
    /// Unset: every e-mail feature is hidden.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, value_parser = smtp_url)]
    pub smtp_url: Option<SecretString>,
    /// The sender of every mail: `files@example.com` or `Ferry <files@example.com>`.
    /// Required with SMTP_URL.
    #[arg(long, env = "MAIL_FROM", value_parser = mail_from)]
    pub mail_from: Option<String>,
    /// How long a password-reset link works.
    #[arg(long, env = "PASSWORD_RESET_TTL", default_value = "1h", value_parser = parse_duration)]
    pub password_reset_ttl: Duration,
    /// How long an address-verification link works.
    #[arg(long, env = "VERIFICATION_LINK_TTL", default_value = "2d", value_parser = parse_duration)]
    pub verification_link_ttl: Duration,
}

impl MailArgs {
    /// Whether this deployment sends mail.
    pub fn enabled(&self) -> bool {
        self.smtp_url.is_some()
    }

    /// `Err` (naming the variable) when SMTP_URL is set without MAIL_FROM.
    pub fn check(&self) -> Result<(), String> {
        if self.smtp_url.is_some() && self.mail_from.is_none() {
            return Err("MAIL_FROM must be set when SMTP_URL is".into());
        }
        Ok(())
    }
}

/// An SMTP URL as lettre reads it: `smtp://` or `smtps://`, a host, and `tls` (when
/// given) `required` or `opportunistic`; kept secret (it may hold a password).
pub fn smtp_url(value: &str) -> Result<SecretString, String> {
    let url = url::Url::parse(value)
        .map_err(|_| "is not a URL (e.g. smtp://user:pass@host:587?tls=required)".to_owned())?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err("must start with smtp:// or smtps://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".into());
    }
    for (key, value) in url.query_pairs() {
        if key == "tls" && !matches!(value.as_ref(), "required" | "opportunistic") {
            return Err("tls= must be `required` or `opportunistic`".into());
        }
    }
    Ok(SecretString::from(value))
}

/// A sender: an address, or a name and an address in angle brackets, on one line.
pub fn mail_from(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err("must be one line".into());
    }
    let address = match (value.rfind('<'), value.strip_suffix('>')) {
        (Some(open), Some(inner)) => &inner[open + 1..],
        _ => value,
    };
    match address.split_once('@') {
        Some((user, host)) if !user.is_empty() && host.contains('.') && !address.contains(' ') => {
            Ok(value.to_owned())
        }
        _ => Err(format!(
            "`{value}` is not an address (e.g. files@example.com or Ferry <files@example.com>)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_for_scheme_host_and_tls() {
        assert!(smtp_url("smtp://u:p@mail.example.com:587?tls=required").is_ok());
        assert!(smtp_url("smtps://mail.example.com").is_ok());
        assert!(smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(smtp_url("http://mail.example.com").is_err());
        assert!(smtp_url("smtp://x?tls=maybe").is_err());
        assert!(smtp_url("mail.example.com").is_err());
    }

    #[test]
    fn senders_are_one_line_with_an_address() {
        assert!(mail_from("files@example.com").is_ok());
        assert!(mail_from("Ferry <files@example.com>").is_ok());
        assert!(mail_from("files").is_err());
        assert!(mail_from("a@example.com\r\nBcc: x@y.z").is_err());
    }
}

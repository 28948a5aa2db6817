//! The SMTP side of the mail jobs: headers by lettre's typed builders (a name, title or
//! address holding CR LF becomes an encoded header value or is refused; it can never
//! start a header of its own), both parts, a `Message-ID` derived from the outbox row
//! (the same message keeps the same id however often it is retried).
//!
//! Errors are described by their kind and SMTP code, never by their text: a server's
//! answer often quotes the recipient's address, and job errors are logged and shown.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use ferry_core::mail::Composed;
use ferry_process::MailArgs;

/// Sends composed mails through the deployment's SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of `Message-ID`s: MAIL_FROM's.
    id_domain: String,
}

impl Mailer {
    /// The mailer of `args`; `Ok(None)` when mail is off. `Err` names the setting.
    pub fn new(args: &MailArgs, timeout: Duration) -> Result<Option<Mailer>, String> {
        args.check()?;
        let (Some(url), Some(from)) = (&args.smtp_url, &args.mail_from) else {
            return Ok(None);
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("MAIL_FROM is not a mailbox: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| format!("SMTP_URL cannot be used: {}", describe(&e)))?
            .timeout(Some(timeout))
            .build();
        let id_domain = from.email.domain().to_owned();
        Ok(Some(Mailer {
            transport,
            from,
            id_domain,
        }))
    }

    /// The `Message-ID` of outbox row `id`.
    pub fn message_id(&self, id: Uuid) -> String {
        format!("<{id}@{}>", self.id_domain)
    }

    /// The message of outbox row `id`: typed headers, a plain-text and an HTML part.
    fn message(&self, id: Uuid, recipient: &str, mail: Composed) -> Result<Message, String> {
        let to: Mailbox = recipient
            .parse()
            .map_err(|_| "the recipient is not an address".to_owned())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(self.message_id(id)))
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Hands one message to the SMTP server; `Ok` once the server accepted it.
    pub async fn send(&self, id: Uuid, recipient: &str, mail: Composed) -> Result<(), String> {
        let message = self.message(id, recipient, mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| describe(&e))
    }
}

/// What went wrong, without the server's words.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    let code = error
        .status()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_tls() {
        "TLS failed"
    } else if error.is_permanent() {
        "the server refused permanently"
    } else if error.is_transient() {
        "the server refused for now"
    } else if error.is_client() {
        "client error"
    } else if error.is_response() {
        "unexpected answer"
    } else {
        "connection failed"
    };
    format!("SMTP: {kind}{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        let args = MailArgs {
            smtp_url: Some("smtp://127.0.0.1:1".into()),
            mail_from: Some("Ferry <files@ferry.test>".into()),
            password_reset_ttl: Duration::from_secs(60),
            verification_link_ttl: Duration::from_secs(60),
        };
        Mailer::new(&args, Duration::from_secs(1)).unwrap().unwrap()
    }

    #[test]
    fn a_subject_or_recipient_with_cr_lf_cannot_add_a_header() {
        let mailer = mailer();
        let mail = Composed {
            subject: "report\r\nBcc: evil@example.com\r\n\r\nbody".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        };
        let id = Uuid::new_v4();
        let formatted = String::from_utf8(
            mailer
                .message(id, "a@example.org", mail)
                .unwrap()
                .formatted(),
        )
        .unwrap();
        let headers = formatted.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .split("\r\n")
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(
            headers.contains(&format!("Message-ID: <{id}@ferry.test>")),
            "{headers}"
        );
        let hostile = Composed {
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
        };
        assert!(
            mailer
                .message(id, "a@example.org\r\nBcc: evil@example.com", hostile)
                .is_err()
        );
    }
}

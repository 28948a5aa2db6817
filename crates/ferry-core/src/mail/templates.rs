//! Every mail's words, one function per mail: its subject, its plain-text part and its
//! HTML part (maud, so every value spliced in is escaped), in the language the mail
//! was asked for in: every sentence is a key of `ferry_core::i18n`'s catalogues
//! (`mail-…`); nothing else in Ferry holds mail text.
//!
//! Values come in as plain strings and go out as a subject (lettre encodes it as a
//! header value: a CR LF in a title cannot start a new header) and two bodies.

use maud::{Markup, html};

use crate::i18n::Locale;

/// A composed message, before it has headers.
#[derive(Clone, Debug)]
pub struct Composed {
    /// The `Subject`.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (escaped markup).
    pub html: String,
}

fn wrap(locale: Locale, body: Markup) -> String {
    html! {
        (maud::DOCTYPE)
        html lang=(locale.code()) dir=(locale.dir()) {
            head { meta charset="utf-8"; }
            body style="font-family: sans-serif; line-height: 1.5; max-width: 36rem" {
                (body)
                p style="color: #666; font-size: 0.9em" { (locale.t("mail-signature")) }
            }
        }
    }
    .into_string()
}

/// The password-reset mail: a single-use link that works for `ttl_minutes`.
pub fn password_reset(locale: Locale, link: &str, ttl_minutes: u64) -> Composed {
    let l = locale;
    let minutes = [("minutes", ttl_minutes.into())];
    Composed {
        subject: l.t("mail-reset-subject"),
        text: format!(
            "{}\n\n{}\n\n{link}\n\n{}\n",
            l.t("mail-reset-intro"),
            l.t_args("mail-reset-choose-text", &minutes),
            l.t("mail-reset-ignore"),
        ),
        html: wrap(
            l,
            html! {
                p { (l.t("mail-reset-intro")) }
                p { a href=(link) { (l.t("mail-reset-choose")) } " " (l.t_args("mail-reset-works", &minutes)) }
                p { (l.t("mail-reset-ignore")) }
            },
        ),
    }
}

/// The sign-up mail that confirms the address: a single-use link.
pub fn verify_address(locale: Locale, link: &str) -> Composed {
    let l = locale;
    Composed {
        subject: l.t("mail-verify-subject"),
        text: format!(
            "{}\n\n{link}\n\n{}\n",
            l.t("mail-verify-intro"),
            l.t("mail-verify-ignore"),
        ),
        html: wrap(
            l,
            html! {
                p { (l.t("mail-verify-intro")) }
                p { a href=(link) { (l.t("mail-verify-button")) } }
                p { (l.t("mail-verify-ignore")) }
            },
        ),
    }
}

/// "report.pdf" for one file, "3 files" for more.
fn what(locale: Locale, files: &[String]) -> String {
    match files {
        [one] => one.clone(),
        many => locale.t_args("mail-files", &[("count", many.len().into())]),
    }
}

/// The share link, sent by `sender` (their account's address) with their `message`.
pub fn share_link(
    locale: Locale,
    sender: &str,
    url: &str,
    files: &[String],
    message: Option<&str>,
) -> Composed {
    let l = locale;
    let what = what(l, files);
    let args = [("sender", sender.into()), ("what", what.as_str().into())];
    let intro = l.t_args("mail-share-intro", &args);
    let mut text = format!("{intro}\n\n");
    if let Some(message) = message {
        text.push_str(&format!("{}\n{message}\n\n", l.t("mail-share-message")));
    }
    text.push_str(&format!("{}: {url}\n", l.t("mail-download")));
    for name in files {
        text.push_str(&format!("  - {name}\n"));
    }
    Composed {
        subject: l.t_args("mail-share-subject", &args),
        text,
        html: wrap(
            l,
            html! {
                p { (intro) }
                @if let Some(message) = message {
                    blockquote style="white-space: pre-wrap" dir="auto" { (message) }
                }
                p { a href=(url) { (l.t("mail-download")) } " — " (url) }
                ul { @for name in files { li dir="auto" { (name) } } }
            },
        ),
    }
}

/// The owner's notice of the first download of their transfer.
pub fn first_download(locale: Locale, url: Option<&str>, files: &[String]) -> Composed {
    let l = locale;
    let what = what(l, files);
    let args = [("what", what.as_str().into())];
    let intro = l.t_args("mail-first-intro", &args);
    let mut text = format!("{intro}\n");
    if let Some(url) = url {
        text.push_str(&format!("\n{url}\n"));
    }
    Composed {
        subject: l.t_args("mail-first-subject", &args),
        text,
        html: wrap(
            l,
            html! {
                p { (intro) }
                @if let Some(url) = url { p { a href=(url) { (url) } } }
            },
        ),
    }
}

/// The owner's notice that their file holds malware and is not served.
pub fn malware_found(locale: Locale, file: &str, signature: &str) -> Composed {
    let l = locale;
    let args = [("name", file.into()), ("signature", signature.into())];
    let intro = l.t_args("mail-malware-intro", &args);
    Composed {
        subject: l.t_args("mail-malware-subject", &args),
        text: format!("{intro}\n"),
        html: wrap(l, html! { p dir="auto" { (intro) } }),
    }
}

/// The requester's notice of an upload into their file request (file requests do
/// not exist yet: ready for them to call).
pub fn file_request_upload(locale: Locale, title: &str, files: &[String], url: &str) -> Composed {
    let l = locale;
    let intro = l.t_args(
        "mail-request-intro",
        &[("count", files.len().into()), ("title", title.into())],
    );
    Composed {
        subject: l.t_args("mail-request-subject", &[("title", title.into())]),
        text: format!(
            "{intro}\n{}\n\n{url}\n",
            files
                .iter()
                .map(|n| format!("  - {n}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        html: wrap(
            l,
            html! {
                p { (intro) }
                ul { @for name in files { li dir="auto" { (name) } } }
                p { a href=(url) { (url) } }
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_escape_what_users_typed() {
        let mail = share_link(
            Locale::En,
            "a@example.com",
            "https://f.example/s/x",
            &["<script>x</script>.txt".into()],
            Some("<b>hi</b>"),
        );
        assert!(!mail.html.contains("<script>x"));
        assert!(!mail.html.contains("<b>hi"));
        assert!(mail.html.contains("&lt;b&gt;hi"));
        assert!(mail.text.contains("<b>hi</b>"));
    }

    #[test]
    fn a_mail_is_written_in_its_language() {
        let mail = password_reset(Locale::De, "https://f.example/reset/x", 60);
        assert!(mail.subject.contains("Passwort"), "{}", mail.subject);
        assert!(mail.html.contains(r#"lang="de""#));
        let mail = share_link(
            Locale::Ar,
            "a@example.com",
            "https://f.example/s/x",
            &["a".into(), "b".into()],
            None,
        );
        assert!(mail.html.contains(r#"dir="rtl""#));
        assert!(!mail.subject.contains("sent you"), "{}", mail.subject);
    }
}

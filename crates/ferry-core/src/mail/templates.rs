//! Every mail's words, one function per mail: its subject, its plain-text part and its
//! HTML part (maud, so every value spliced in is escaped). When the string catalogue
//! arrives, each literal here becomes a key; nothing else in Ferry holds mail text.
//!
//! Values come in as plain strings and go out as a subject (lettre encodes it as a
//! header value: a CR LF in a title cannot start a new header) and two bodies.

use maud::{Markup, html};

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

fn wrap(body: Markup) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; }
            body style="font-family: sans-serif; line-height: 1.5; max-width: 36rem" {
                (body)
                p style="color: #666; font-size: 0.9em" { "— Ferry" }
            }
        }
    }
    .into_string()
}

/// The password-reset mail: a single-use link that works for `ttl_minutes`.
pub fn password_reset(link: &str, ttl_minutes: u64) -> Composed {
    Composed {
        subject: "Reset your Ferry password".into(),
        text: format!(
            "Someone (hopefully you) asked to reset the password of your Ferry account.\n\n\
             Choose a new password here (the link works once, for {ttl_minutes} minutes):\n\n\
             {link}\n\n\
             If you did not ask, ignore this mail: your password stays as it is.\n"
        ),
        html: wrap(html! {
            p { "Someone (hopefully you) asked to reset the password of your Ferry account." }
            p { a href=(link) { "Choose a new password" } " (the link works once, for " (ttl_minutes) " minutes)." }
            p { "If you did not ask, ignore this mail: your password stays as it is." }
        }),
    }
}

/// The sign-up mail that confirms the address: a single-use link.
pub fn verify_address(link: &str) -> Composed {
    Composed {
        subject: "Confirm your e-mail address for Ferry".into(),
        text: format!(
            "Confirm that this address belongs to your Ferry account:\n\n{link}\n\n\
             If you did not sign up, ignore this mail.\n"
        ),
        html: wrap(html! {
            p { "Confirm that this address belongs to your Ferry account:" }
            p { a href=(link) { "Confirm my address" } }
            p { "If you did not sign up, ignore this mail." }
        }),
    }
}

/// The share link, sent by `sender` (their account's address) with their `message`.
pub fn share_link(sender: &str, url: &str, files: &[String], message: Option<&str>) -> Composed {
    let what = match files {
        [one] => one.clone(),
        many => format!("{} files", many.len()),
    };
    let mut text = format!("{sender} sent you {what} with Ferry.\n\n");
    if let Some(message) = message {
        text.push_str(&format!("Their message:\n{message}\n\n"));
    }
    text.push_str(&format!("Download: {url}\n"));
    for name in files {
        text.push_str(&format!("  - {name}\n"));
    }
    Composed {
        subject: format!("{sender} sent you {what}"),
        text,
        html: wrap(html! {
            p { (sender) " sent you " (what) " with Ferry." }
            @if let Some(message) = message {
                blockquote style="white-space: pre-wrap" { (message) }
            }
            p { a href=(url) { "Download" } " — " (url) }
            ul { @for name in files { li { (name) } } }
        }),
    }
}

/// The owner's notice of the first download of their transfer.
pub fn first_download(url: Option<&str>, files: &[String]) -> Composed {
    let what = match files {
        [one] => one.clone(),
        many => format!("{} files", many.len()),
    };
    let mut text = format!("Your transfer {what} was downloaded for the first time.\n");
    if let Some(url) = url {
        text.push_str(&format!("\n{url}\n"));
    }
    Composed {
        subject: format!("{what} was downloaded"),
        text,
        html: wrap(html! {
            p { "Your transfer " (what) " was downloaded for the first time." }
            @if let Some(url) = url { p { a href=(url) { (url) } } }
        }),
    }
}

/// The requester's notice of an upload into their file request (file requests do
/// not exist yet: ready for them to call).
pub fn file_request_upload(title: &str, files: &[String], url: &str) -> Composed {
    Composed {
        subject: format!("New upload into “{title}”"),
        text: format!(
            "{} file(s) arrived in your file request “{title}”:\n{}\n\n{url}\n",
            files.len(),
            files
                .iter()
                .map(|n| format!("  - {n}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        html: wrap(html! {
            p { (files.len()) " file(s) arrived in your file request “" (title) "”:" }
            ul { @for name in files { li { (name) } } }
            p { a href=(url) { (url) } }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_escape_what_users_typed() {
        let mail = share_link(
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
}

//! How stored files are presented to browsers: downloads are always sent with
//! `X-Content-Type-Options: nosniff`, a sandboxing CSP and a `Content-Disposition` built
//! here, so a file can never run as a page of our origin. (File names themselves are
//! made safe once, on the way in: `ferry_core::FileName`.)

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Types a browser could execute or render as an active document: never inline.
fn is_active(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.contains("html")
        || essence.contains("xml")
        || essence.contains("javascript")
        || essence.contains("ecmascript")
        || essence == "image/svg+xml"
        || essence == "application/pdf"
        || essence.is_empty()
}

/// The `Content-Type` to serve a stored file with: active types (HTML, SVG, XML,
/// scripts, PDF) always become `application/octet-stream`, so no browser renders them
/// as a document of our origin, whatever the URL or disposition.
pub fn served_type(stored: &str) -> String {
    if is_active(stored) {
        "application/octet-stream".to_owned()
    } else {
        stored.to_owned()
    }
}

/// Whether a file may be shown inline when asked (`/inline/…`).
pub fn may_inline(stored: &str) -> bool {
    !is_active(stored)
}

const RFC5987: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, RFC5987)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_has_an_ascii_fallback_and_the_utf8_name() {
        let header = content_disposition("résumé \"1\".pdf", false);
        assert!(
            header.starts_with("attachment; filename=\"r_sum_ _1_.pdf\""),
            "{header}"
        );
        assert!(
            header.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf"),
            "{header}"
        );
    }

    #[test]
    fn active_types_are_never_served_inline() {
        assert_eq!(served_type("text/html"), "application/octet-stream");
        assert_eq!(served_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(served_type("image/png"), "image/png");
        assert!(!may_inline("text/html; charset=utf-8"));
    }
}

//! How stored files are presented to browsers: downloads are always sent with
//! `X-Content-Type-Options: nosniff`, a sandboxing CSP and a `Content-Disposition` built
//! here, so a file can never run as a page of our origin. (File names themselves are
//! made safe once, on the way in: `ferry_core::FileName`.)

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Types served as they are, and shown inline when asked: an allow-list of inert
/// media and plain text. Anything else — HTML, SVG, XML, PDF, every script type of the
/// WHATWG list (`text/jscript`, `text/livescript`, …) and types nobody has thought of
/// yet — is served as `application/octet-stream` and only as an attachment, so no
/// upload can be loaded as a page, a stylesheet or a same-origin script, even if a
/// future bug let someone inject markup that points at one.
const INERT: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/flac",
    "audio/mp4",
    "text/plain",
    "text/csv",
];

/// The type's essence (`text/plain` of `Text/Plain; charset=utf-8`), lowercased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_inert(content_type: &str) -> bool {
    INERT.contains(&essence(content_type).as_str())
}

/// The `Content-Type` to serve a stored file with: its own when it is on the inert
/// allow-list, `application/octet-stream` otherwise.
pub fn served_type(stored: &str) -> String {
    if is_inert(stored) {
        stored.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Whether a file may be shown inline when asked (`/inline/…`): only inert types.
pub fn may_inline(stored: &str) -> bool {
    is_inert(stored)
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

    #[test]
    fn only_allow_listed_inert_types_are_served_as_themselves() {
        for script in [
            "text/javascript",
            "text/jscript",
            "text/livescript",
            "text/x-ecmascript",
            "application/x-javascript",
            "text/css",
            "application/pdf",
            "application/octet-stream; x=1",
            "",
        ] {
            assert_eq!(served_type(script), "application/octet-stream", "{script}");
            assert!(!may_inline(script), "{script}");
        }
        assert_eq!(
            served_type("Text/Plain; charset=utf-8"),
            "Text/Plain; charset=utf-8"
        );
        assert!(may_inline("video/mp4"));
    }
}

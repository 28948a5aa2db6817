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

/// What a recipient can see of a file in the browser (`/preview/…`), apart from
/// images, which have their worker-made thumbnail. Never HTML, SVG, XML or anything
/// else a browser would run: those have no preview and stay downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preview {
    /// The browser's own video player.
    Video,
    /// The browser's own audio player.
    Audio,
    /// The browser's PDF viewer, in a tab of its own.
    Pdf,
    /// The start of the file as escaped text on the share page; the whole of it as
    /// `text/plain` from `/preview/…`.
    Text,
}

const VIDEO: &[&str] = &["video/mp4", "video/webm", "video/ogg"];
const AUDIO: &[&str] = &[
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/x-wav",
    "audio/webm",
    "audio/flac",
    "audio/x-flac",
    "audio/mp4",
    "audio/aac",
];
/// Types outside `text/` that are text to read: data and configuration formats.
const TEXT: &[&str] = &[
    "application/json",
    "application/toml",
    "application/yaml",
    "application/x-yaml",
    "application/x-sh",
    "application/sql",
];
/// `text/` types that are markup a browser renders: never previewed.
const MARKUP: &[&str] = &[
    "text/html",
    "text/xml",
    "text/xsl",
    "text/xml-external-parsed-entity",
];

/// The preview a file of this stored type gets, if any.
pub fn preview(stored: &str) -> Option<Preview> {
    let essence = essence(stored);
    let essence = essence.as_str();
    if VIDEO.contains(&essence) {
        Some(Preview::Video)
    } else if AUDIO.contains(&essence) {
        Some(Preview::Audio)
    } else if essence == "application/pdf" {
        Some(Preview::Pdf)
    } else if TEXT.contains(&essence) || essence.starts_with("text/") && !MARKUP.contains(&essence)
    {
        Some(Preview::Text)
    } else {
        None
    }
}

/// The `Content-Type` a preview is served with: media and PDF as themselves, text of
/// any kind (source code included) as `text/plain`, so a browser shows it and never
/// runs it.
pub fn preview_type(preview: Preview, stored: &str) -> String {
    match preview {
        Preview::Video | Preview::Audio => essence(stored),
        Preview::Pdf => "application/pdf".to_owned(),
        Preview::Text => "text/plain; charset=utf-8".to_owned(),
    }
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
    fn markup_and_scripts_have_no_preview_and_text_is_served_as_plain_text() {
        for active in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "text/xml",
            "application/xhtml+xml",
            "application/xml",
            "application/octet-stream",
            "application/javascript",
        ] {
            assert_eq!(preview(active), None, "{active}");
        }
        assert_eq!(preview("video/webm"), Some(Preview::Video));
        assert_eq!(preview("audio/x-wav"), Some(Preview::Audio));
        assert_eq!(preview("application/pdf"), Some(Preview::Pdf));
        assert_eq!(preview("text/x-rust"), Some(Preview::Text));
        assert_eq!(
            preview_type(Preview::Text, "text/javascript"),
            "text/plain; charset=utf-8"
        );
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

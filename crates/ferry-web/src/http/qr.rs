//! The QR code of a share link, drawn on the server as SVG and inlined in the page:
//! no script, no image request, nothing from a third party (the CSP allows neither).
//! The sent page and the share page both show it.

use maud::{Markup, PreEscaped, html};
use qrcode::{EcLevel, QrCode, render::svg};

use crate::http::language::Locale;

/// A `figure` with the code of `link`, visible without a click. Dark on light whatever
/// the page's theme, with the quiet zone scanners need. Nothing when the link is too
/// long for a QR code (over ~2 KB: no real link is).
/// A screen reader says what the code is (the link itself is beside it as text).
pub fn figure(locale: Locale, link: &str) -> Markup {
    let Ok(code) = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M) else {
        return html! {};
    };
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(192, 192)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .quiet_zone(true)
        .build();
    // The renderer writes a standalone document: drop its XML declaration, and name the
    // picture for assistive technology. Nothing in it comes from the client but the
    // link, which is drawn, never written out.
    let drawn = drawn
        .split_once("?>")
        .map_or(drawn.as_str(), |(_, svg)| svg);
    // The label is escaped like any text (maud's escaping of `&<>"`).
    let label = html! { (locale.t("qr-label")) }.into_string();
    let drawn = drawn.replacen(
        "<svg ",
        &format!(r#"<svg role="img" aria-label="{label}" class="qr-code" "#),
        1,
    );
    html! {
        figure.qr {
            (PreEscaped(drawn))
            figcaption.muted { (locale.t("qr-caption")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_an_inline_svg_with_a_label_and_no_declaration() {
        let markup = figure(
            Locale::En,
            "https://files.example.com/s/abcdefghijklmnopqrstuv",
        )
        .into_string();
        assert!(
            markup.starts_with(r#"<figure class="qr"><svg role="img" aria-label="#),
            "{markup}"
        );
        assert!(!markup.contains("<?xml"), "{markup}");
        assert!(
            !markup.contains("abcdefghijklmnopqrstuv"),
            "the link is drawn, not written"
        );
    }

    #[test]
    fn a_link_too_long_for_a_code_draws_nothing() {
        assert_eq!(figure(Locale::En, &"x".repeat(5000)).into_string(), "");
    }
}

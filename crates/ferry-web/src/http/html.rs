//! Server-rendered HTML, built with maud: markup is compiled Rust, and every value
//! spliced into it is escaped unless it is itself `Markup`, so a forgotten escape
//! cannot happen. (Why maud over askama: the pages are small and built from data in
//! the handlers; maud keeps each page next to its handler, type-checked, without a
//! template directory, and `Markup` is the "already escaped" type.) This module holds
//! what several features render the same way: the page layout, the form and redirect
//! helpers, sizes, and a transfer's limits line; a page's own markup stays with its
//! feature. Pages load only
//! same-origin assets and carry no inline script, so the CSP can forbid inline
//! script entirely.

use actix_web::{HttpResponse, http::StatusCode, http::header};
use ferry_state::transfer::Transfer;
use maud::{DOCTYPE, Markup, html};

use crate::http::{language::Locale, links::remaining_days, theme::Theme};

/// An HTML page response that is never cached (pages show per-session state) and
/// says that its words depend on the visitor's language (header and cookie).
pub fn respond(status: StatusCode, body: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .body(body.into_string())
}

/// The page for "try again in a moment" (503): Redis or another backing service is
/// unreachable, or the server is too busy. Needs nothing but this process;
/// `message` is a catalogue key.
pub fn unavailable_page(locale: Locale, message: &str) -> HttpResponse {
    let viewer = Viewer {
        email: None,
        csrf: "",
        theme: Theme::System,
        locale,
        back: "/",
        signup: true,
    };
    let title = locale.t("unavailable-title");
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { (locale.t(message)) }
        }
    };
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page(&title, &viewer, body, None),
    )
}

/// The page a browser gets for an error answer of `status` (403, 404, 405, 429; the
/// error middleware calls it: see `error::unavailable_page`).
pub fn error_page(status: StatusCode, theme: Theme, locale: Locale, back: &str) -> HttpResponse {
    let viewer = Viewer {
        email: None,
        csrf: "",
        theme,
        locale,
        back,
        signup: true,
    };
    let (title, message) = match status {
        StatusCode::NOT_FOUND => ("error-not-found-title", "error-not-found"),
        StatusCode::TOO_MANY_REQUESTS => ("error-too-many-title", "error-too-many"),
        StatusCode::FORBIDDEN => ("error-forbidden-title", "error-forbidden"),
        StatusCode::UNAUTHORIZED => ("error-sign-in-title", "error-sign-in"),
        StatusCode::GONE => ("error-gone-title", "error-gone"),
        _ => ("error-other-title", "error-other"),
    };
    let title = locale.t(title);
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { (locale.t(message)) }
            @if status == StatusCode::UNAUTHORIZED {
                p { a href="/signin" { (locale.t("sign-in")) } }
            } @else {
                p { a href="/" { (locale.t("error-go-home")) } }
            }
        }
    };
    respond(status, page(&title, &viewer, body, None))
}

/// The page a browser gets for a file its malware scan keeps back, with `status`
/// (the JSON answer's, `Error::Blocked`): what was found, or that the check is under
/// way (with `Retry-After`), or that the file could not be checked; and who was told.
pub fn blocked_page(
    request: &actix_web::HttpRequest,
    status: StatusCode,
    blocked: ferry_state::transfer::Blocked,
    transfer: &Transfer,
    file: Option<&ferry_state::transfer::StoredFile>,
) -> HttpResponse {
    use ferry_state::transfer::Blocked;
    let locale = crate::http::language::of(request);
    let back = crate::http::theme::back_of(request);
    let viewer = Viewer {
        email: None,
        csrf: "",
        theme: Theme::of(request),
        locale,
        back: &back,
        signup: true,
    };
    let name = file.map_or("", |f| f.name.as_str());
    let (title, message) = match blocked {
        Blocked::Infected => (
            locale.t("scan-infected-title"),
            locale.t_args(
                "scan-infected",
                &[
                    ("name", name.into()),
                    (
                        "signature",
                        file.and_then(|f| f.scan_signature.as_deref())
                            .unwrap_or("?")
                            .into(),
                    ),
                ],
            ),
        ),
        Blocked::Pending => (
            locale.t("scan-pending-title"),
            locale.t_args("scan-pending", &[("name", name.into())]),
        ),
        Blocked::Unscanned => (
            locale.t("scan-unscanned-title"),
            locale.t_args("scan-unscanned", &[("name", name.into())]),
        ),
    };
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead dir="auto" { (message) }
            @if blocked == Blocked::Infected {
                p { (locale.t(if transfer.owner_id.is_some() { "scan-owner-told" } else { "scan-no-owner" })) }
            }
            p { a href={ "/s/" (transfer.token) } { (locale.t("scan-back-to-share")) } }
        }
    };
    let mut response = respond(status, page(&title, &viewer, body, None));
    if blocked == Blocked::Pending {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(crate::http::SCAN_RETRY_AFTER_SECS),
        );
    }
    response
}

/// A `200 OK` page (see [`respond`]).
pub fn ok(body: Markup) -> HttpResponse {
    respond(StatusCode::OK, body)
}

/// `303 See Other` to `to` (after a form post).
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The page that asks for a password before anything else (a share's, a file
/// request's): `lead` says who set it, the form posts to `action`, `problem` says why
/// again (all three already in the viewer's language). A `503` (the password cannot be checked now) carries `Retry-After`.
pub fn password_page(
    viewer: &Viewer,
    title: &str,
    lead: &str,
    action: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { (lead) }
            @if let Some(problem) = problem {
                div.notice.error role="alert" { (problem) }
            }
            form method="post" action=(action) {
                (csrf_field(viewer.csrf))
                label for="password" { (viewer.locale.t("password-label")) }
                input #password name="password" type="password" autocomplete="current-password" required autofocus;
                p { button type="submit" { (viewer.locale.t("unlock")) } }
            }
        }
    };
    let mut response = respond(status, page(title, viewer, body, None));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static(crate::http::RETRY_AFTER_SECS),
        );
    }
    response
}

/// A form that carries only the CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    /// The visitor's CSRF token.
    pub _csrf: String,
}

/// The hidden `_csrf` field of a form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(token); }
}

/// Message `key`, whose `$link` argument becomes a link to `href` saying message
/// `label` ("New here? <a>Create an account</a>"): the sentence stays whole in the
/// catalogue, so each language puts the link where its word order wants it. Every
/// part is escaped.
pub fn linked(locale: Locale, key: &str, href: &str, label: &str) -> Markup {
    // A private-use character no catalogue contains marks where the link goes.
    const MARK: &str = "\u{e000}";
    let text = locale.t_args(key, &[("link", MARK.into())]);
    let (before, after) = text.split_once(MARK).unwrap_or((&text, ""));
    html! { (before) a href=(href) { (locale.t(label)) } (after) }
}

/// Who is looking at the page (for the header).
pub struct Viewer<'a> {
    /// Signed-in user's e-mail, if any.
    pub email: Option<&'a str>,
    /// The visitor's CSRF token (for the sign-out form and scripts).
    pub csrf: &'a str,
    /// The colour theme their browser chose (`data-theme` on `<html>`).
    pub theme: Theme,
    /// The language they read (`lang` and `dir` on `<html>`, every word).
    pub locale: Locale,
    /// Where the theme and language forms return to (a path on this site).
    pub back: &'a str,
    /// Whether the header offers "Sign up" (`SIGNUP=open`).
    pub signup: bool,
}

/// A complete page around `body`; `script` names a file under `/assets/`.
///
/// Every page has the same landmarks in the same order — a skip link to the content,
/// the banner with the site's navigation and the theme and language choices, `main`,
/// the footer — and `lang` and `dir`, so keyboard and screen-reader users find their
/// way the same everywhere, and right-to-left languages read right to left.
pub fn page(title: &str, viewer: &Viewer, body: Markup, script: Option<&str>) -> Markup {
    let l = viewer.locale;
    html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.dir()) data-theme=[viewer.theme.attribute()] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content=(color_scheme(viewer.theme));
                meta name="csrf-token" content=(viewer.csrf);
                title { (title) " · Ferry" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" type="image/svg+xml" href="/assets/favicon.svg";
                @if let Some(script) = script {
                    script src={ "/assets/" (script) } defer {}
                }
            }
            body {
                a.skip href="#content" { (l.t("skip-to-content")) }
                header.top {
                    a.logo href="/" dir="ltr" aria-label=(l.t("home-label")) { "ferry" span aria-hidden="true" { "." } }
                    nav aria-label=(l.t("nav-account")) {
                        @match viewer.email {
                            Some(email) => {
                                a href="/me" { (l.t("nav-my-transfers")) }
                                a href="/requests" { (l.t("nav-file-requests")) }
                                span.muted { (email) }
                                form method="post" action="/signout" {
                                    (csrf_field(viewer.csrf))
                                    button.link type="submit" { (l.t("sign-out")) }
                                }
                            }
                            None => {
                                a href="/signin" { (l.t("sign-in")) }
                                @if viewer.signup {
                                    a.button.secondary href="/signup" { (l.t("sign-up")) }
                                }
                            }
                        }
                        (theme_form(viewer))
                        (language_form(viewer))
                    }
                }
                main #content tabindex="-1" { (body) }
                footer { (l.t("footer")) }
            }
        }
    }
}

/// The `color-scheme` of a page in `theme`: the browser's own controls, scrollbars
/// and viewers (video, PDF) follow it.
fn color_scheme(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "light dark",
        Theme::Light => "light",
        Theme::Dark => "dark",
    }
}

/// The theme choice: three buttons of one form (works without JavaScript), the
/// current one pressed.
fn theme_form(viewer: &Viewer) -> Markup {
    let l = viewer.locale;
    html! {
        form.theme method="post" action="/theme" role="group" aria-label=(l.t("theme-group")) {
            input type="hidden" name="back" value=(viewer.back);
            @for theme in Theme::ALL {
                button.link type="submit" name="theme" value=(theme.name())
                    aria-pressed=(if theme == viewer.theme { "true" } else { "false" }) { (l.t(theme.label())) }
            }
        }
    }
}

/// The language choice: one button per language, each named in itself (and marked
/// with its own `lang`, so a screen reader says "Deutsch" in German), the current
/// one pressed.
fn language_form(viewer: &Viewer) -> Markup {
    html! {
        form.theme.language method="post" action="/language" role="group"
            aria-label=(viewer.locale.t("language-group")) {
            input type="hidden" name="back" value=(viewer.back);
            @for locale in Locale::ALL {
                button.link type="submit" name="lang" value=(locale.code())
                    lang=(locale.code()) dir=(locale.dir())
                    aria-pressed=(if locale == viewer.locale { "true" } else { "false" }) { (locale.native_name()) }
            }
        }
    }
}

/// "Expires in 3 days · 5 downloads left · password protected". A limit counts per
/// file: with several files it says so ("per file"; "up to" once they differ).
pub fn limits_line(locale: Locale, transfer: &Transfer) -> Markup {
    let days = remaining_days(transfer);
    let several = transfer.files.len() > 1;
    let differ = transfer.archive_remaining_downloads() != transfer.remaining_downloads();
    let key = match (differ, several) {
        (false, false) => "downloads-left",
        (false, true) => "downloads-left-per-file",
        (true, false) => "downloads-left-up-to",
        (true, true) => "downloads-left-up-to-per-file",
    };
    html! {
        span { (locale.t_args("expires-in-days", &[("days", days.into())])) }
        @if let Some(left) = transfer.remaining_downloads() {
            span { (locale.t_args(key, &[("left", i64::from(left).into())])) }
        }
        @if transfer.password_hash.is_some() {
            span { (locale.t("password-protected")) }
        }
        @let infected = transfer.files.iter().filter(|f| f.scan == ferry_state::transfer::Scan::Infected).count();
        @if infected > 0 {
            span.scan { (locale.t_args("scan-infected-files", &[("count", infected.into())])) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_out_of_html() {
        let viewer = Viewer {
            email: Some(r#"<img src=x onerror="a('b')">&"#),
            csrf: r#""><script>"#,
            theme: Theme::Dark,
            locale: Locale::Ar,
            back: "/",
            signup: true,
        };
        let page = page("<b>", &viewer, html! { p { ("</main>") } }, None).into_string();
        assert!(page.contains("&lt;img src=x onerror=&quot;a('b')&quot;&gt;&amp;"));
        assert!(page.contains(r#"content="&quot;&gt;&lt;script&gt;""#));
        assert!(page.contains("<title>&lt;b&gt; · Ferry</title>"));
        assert!(page.contains("<p>&lt;/main&gt;</p>"));
        assert!(!page.contains("<img") && !page.contains("<script>"));
    }

    #[test]
    fn a_link_inside_a_sentence_keeps_the_sentence_escaped() {
        let markup = linked(Locale::En, "new-here", "/signup", "signup-title").into_string();
        assert_eq!(
            markup,
            r#"New here? <a href="/signup">Create an account</a>"#
        );
    }
}

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

use crate::http::{links::remaining_days, theme::Theme};

/// An HTML page response that is never cached (pages show per-session state).
pub fn respond(status: StatusCode, body: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body.into_string())
}

/// The page for "try again in a moment" (503): Redis or another backing service is
/// unreachable, or the server is too busy. Needs nothing but this process.
pub fn unavailable_page(message: &str) -> HttpResponse {
    let viewer = Viewer {
        email: None,
        csrf: "",
        theme: Theme::System,
        back: "/",
    };
    let body = html! {
        section.card {
            h1 { "Back in a moment" }
            p.lead { (message) }
        }
    };
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page("Back in a moment", &viewer, body, None),
    )
}

/// The page a browser gets for an error answer of `status` (403, 404, 405, 429; the
/// error middleware calls it: see `error::unavailable_page`).
pub fn error_page(status: StatusCode, theme: Theme, back: &str) -> HttpResponse {
    let viewer = Viewer {
        email: None,
        csrf: "",
        theme,
        back,
    };
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            "There is nothing at this address. If someone sent you a link, check that it was copied whole.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many tries",
            "That was tried too often in a short time. Please wait a minute and try again.",
        ),
        StatusCode::FORBIDDEN => ("Not allowed", "This page is not open to you."),
        StatusCode::GONE => (
            "Closed",
            "This file request is closed: its owner closed it, or its time ran out. Ask them for a new link.",
        ),
        _ => ("Not possible", "This address cannot be used that way."),
    };
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { (message) }
            p { a href="/" { "Go to the upload page" } }
        }
    };
    respond(status, page(title, &viewer, body, None))
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
/// again. A `503` (the password cannot be checked now) carries `Retry-After`.
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
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required autofocus;
                p { button type="submit" { "Unlock" } }
            }
        }
    };
    let mut response = respond(status, page(title, viewer, body, None));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static(crate::http::error::RETRY_AFTER_SECS),
        );
    }
    response
}

/// What a password page says when the password cannot be checked right now.
pub const CANNOT_CHECK_NOW: &str =
    "The password can't be checked right now. Please try again in a minute.";

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

/// Human-readable size (decimal units, as file managers show).
pub fn human_size(bytes: i64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// "s" unless `n` is one.
pub fn plural(n: impl Into<i64>) -> &'static str {
    if n.into() == 1 { "" } else { "s" }
}

/// Who is looking at the page (for the header).
pub struct Viewer<'a> {
    /// Signed-in user's e-mail, if any.
    pub email: Option<&'a str>,
    /// The visitor's CSRF token (for the sign-out form and scripts).
    pub csrf: &'a str,
    /// The colour theme their browser chose (`data-theme` on `<html>`).
    pub theme: Theme,
    /// Where the theme form returns to (a path on this site).
    pub back: &'a str,
}

/// A complete page around `body`; `script` names a file under `/assets/`.
///
/// Every page has the same landmarks in the same order — a skip link to the content,
/// the banner with the site's navigation and the theme choice, `main`, the footer —
/// and `lang`, so keyboard and screen-reader users find their way the same everywhere.
pub fn page(title: &str, viewer: &Viewer, body: Markup, script: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" data-theme=[viewer.theme.attribute()] {
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
                a.skip href="#content" { "Skip to content" }
                header.top {
                    a.logo href="/" aria-label="Ferry, home" { "ferry" span aria-hidden="true" { "." } }
                    nav aria-label="Account" {
                        @match viewer.email {
                            Some(email) => {
                                a href="/me" { "My transfers" }
                                a href="/requests" { "File requests" }
                                span.muted { (email) }
                                form method="post" action="/signout" {
                                    (csrf_field(viewer.csrf))
                                    button.link type="submit" { "Sign out" }
                                }
                            }
                            None => {
                                a href="/signin" { "Sign in" }
                                a.button.secondary href="/signup" { "Sign up" }
                            }
                        }
                        (theme_form(viewer))
                    }
                }
                main #content tabindex="-1" { (body) }
                footer { "Ferry — files that survive any server. Links expire; nothing is kept longer than you say." }
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
    html! {
        form.theme method="post" action="/theme" role="group" aria-label="Colour theme" {
            input type="hidden" name="back" value=(viewer.back);
            @for theme in Theme::ALL {
                button.link type="submit" name="theme" value=(theme.name())
                    aria-pressed=(if theme == viewer.theme { "true" } else { "false" }) { (theme.label()) }
            }
        }
    }
}

/// "Expires in 3 days · 5 downloads left · password protected". A limit counts per
/// file: with several files it says so ("per file"; "up to" once they differ).
pub fn limits_line(transfer: &Transfer) -> Markup {
    let days = remaining_days(transfer);
    let several = transfer.files.len() > 1;
    let differ = transfer.archive_remaining_downloads() != transfer.remaining_downloads();
    html! {
        span { "Expires in " (days) " day" (plural(days)) }
        @if let Some(left) = transfer.remaining_downloads() {
            span {
                @if differ { "up to " }
                (left) " download" (plural(left)) " left"
                @if several { " per file" }
            }
        }
        @if transfer.password_hash.is_some() {
            span { "password protected" }
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
            back: "/",
        };
        let page = page("<b>", &viewer, html! { p { ("</main>") } }, None).into_string();
        assert!(page.contains("&lt;img src=x onerror=&quot;a('b')&quot;&gt;&amp;"));
        assert!(page.contains(r#"content="&quot;&gt;&lt;script&gt;""#));
        assert!(page.contains("<title>&lt;b&gt; · Ferry</title>"));
        assert!(page.contains("<p>&lt;/main&gt;</p>"));
        assert!(!page.contains("<img") && !page.contains("<script>"));
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500_000), "1.5 MB");
    }
}

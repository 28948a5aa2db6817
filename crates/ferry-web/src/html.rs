//! Server-rendered HTML: one page shell and an escaping function. Everything a user
//! supplied (file names above all) goes through [`esc`]. Pages load only same-origin
//! assets and carry no inline script, so the CSP can forbid inline script entirely.

use std::fmt::Write;

use actix_web::{HttpResponse, http::StatusCode, http::header};

/// An HTML page response that is never cached (pages show per-session state).
pub fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The page for "try again in a moment" (503): Redis or another backing service is
/// unreachable, or the server is too busy. Needs nothing but this process.
pub fn unavailable_page() -> HttpResponse {
    let viewer = Viewer {
        email: None,
        csrf: "",
    };
    let body = r#"<section class="card"><h1>Back in a moment</h1>
<p class="lead">Ferry cannot reach part of its storage right now, so this page cannot be shown. Nothing you sent is lost. Please try again in a minute.</p></section>"#;
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page("Back in a moment", &viewer, body, None),
    )
}

/// `303 See Other` to `to` (after a form post).
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// A form that carries only the CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    /// The session's CSRF token.
    pub _csrf: String,
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

/// Who is looking at the page (for the header).
pub struct Viewer<'a> {
    /// Signed-in user's e-mail, if any.
    pub email: Option<&'a str>,
    /// The session's CSRF token (for the sign-out form and scripts).
    pub csrf: &'a str,
}

/// A complete page. `body` is trusted HTML built with [`esc`]; `script` names a file
/// under `/assets/`.
pub fn page(title: &str, viewer: &Viewer, body: &str, script: Option<&str>) -> String {
    let mut nav = String::new();
    match viewer.email {
        Some(email) => {
            let _ = write!(
                nav,
                r#"<a href="/me">My transfers</a><span class="muted">{}</span>
<form method="post" action="/signout"><input type="hidden" name="_csrf" value="{}"><button class="link" type="submit">Sign out</button></form>"#,
                esc(email),
                esc(viewer.csrf)
            );
        }
        None => nav.push_str(r#"<a href="/signin">Sign in</a><a class="button secondary" href="/signup">Sign up</a>"#),
    }
    let script = script
        .map(|s| format!(r#"<script src="/assets/{s}" defer></script>"#))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{csrf}">
<title>{title} · Ferry</title>
<link rel="stylesheet" href="/assets/app.css">
{script}
</head>
<body>
<header class="top"><a class="logo" href="/">ferry<span>.</span></a><nav>{nav}</nav></header>
<main>
{body}
</main>
<footer>Ferry — files that survive any server. Links expire; nothing is kept longer than you say.</footer>
</body>
</html>"#,
        csrf = esc(viewer.csrf),
        title = esc(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_out_of_html() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500_000), "1.5 MB");
    }
}

//! The visitor's colour theme: light, dark, or the system's (`prefers-color-scheme`).
//!
//! The choice lives only in the visitor's own browser, as a cookie: a visitor costs no
//! server state for it, and any web process reads it. It is made with a plain form
//! POST (the header's three buttons), so it works without JavaScript, and the layout
//! ([`super::html::page`]) puts `data-theme` on `<html>`, so the CSP still forbids
//! inline script and style: app.css holds both palettes. "System" is the absence of
//! the cookie: the stylesheet then follows `prefers-color-scheme`.
//!
//! The form says where to go back to; only a path on this site is followed (anything
//! else goes to `/`), so `/theme` cannot be used as an open redirect.

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration},
    http::header,
    web,
};
use serde::Deserialize;

/// The cookie that holds the choice (`light` or `dark`; absent for "system").
pub const COOKIE: &str = "ferry_theme";
/// The longest `back` path followed; a longer one goes to `/`.
const MAX_BACK_CHARS: usize = 2048;

/// A colour theme a visitor can choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Follow the operating system (`prefers-color-scheme`).
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Every choice, in the order the header offers them.
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::System];

    /// The theme named `name` (`light`, `dark`, `system`).
    pub fn parse(name: &str) -> Option<Theme> {
        match name {
            "system" => Some(Theme::System),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// The form value and cookie value of this theme.
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The catalogue key of what the header's button says.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "theme-system",
            Theme::Light => "theme-light",
            Theme::Dark => "theme-dark",
        }
    }

    /// The `data-theme` attribute of `<html>`: none for [`Theme::System`].
    pub fn attribute(self) -> Option<&'static str> {
        (self != Theme::System).then_some(self.name())
    }

    /// The theme this request's cookie chose; [`Theme::System`] without one (or with
    /// a value that names none).
    pub fn of(request: &HttpRequest) -> Theme {
        request
            .cookie(COOKIE)
            .and_then(|c| Theme::parse(c.value()))
            .unwrap_or_default()
    }
}

/// Where the theme form on the page at `request` sends the visitor back to: the page
/// itself when it was a `GET` (a page rendered after a POST may have no `GET`).
pub fn back_of(request: &HttpRequest) -> String {
    if request.method() == actix_web::http::Method::GET {
        let uri = request.uri();
        let back = uri.path_and_query().map_or("/", |p| p.as_str());
        same_site_path(back).to_owned()
    } else {
        "/".to_owned()
    }
}

/// `back` if it is a path on this site, `/` otherwise: it must start with one `/`
/// (`//host` and `/\host` are other sites to a browser) and hold only printable
/// ASCII, so it is a valid `Location` that no browser reads as another origin.
pub fn same_site_path(back: &str) -> &str {
    let bytes = back.as_bytes();
    let ok = back.len() <= MAX_BACK_CHARS
        && bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    if ok { back } else { "/" }
}

/// The theme form.
#[derive(Deserialize)]
pub struct Choice {
    /// `light`, `dark` or `system`.
    theme: String,
    /// The page to go back to (a path on this site).
    back: Option<String>,
}

/// `POST /theme`: remembers the choice in the visitor's browser and goes back to the
/// page it was made on; `400` for a theme that is none of the three. No CSRF token: a
/// forged post can only change how the site looks to the victim, and the choice needs
/// no session. (It answers its one error itself, in the shape of `error::Error`'s
/// JSON: the layout needs this module, and the error mapping needs the layout.)
pub async fn choose(form: web::Form<Choice>) -> HttpResponse {
    let Some(theme) = Theme::parse(&form.theme) else {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "error": "bad_request",
            "message": "theme must be light, dark or system",
        }));
    };
    let back = same_site_path(form.back.as_deref().unwrap_or("/"));
    let mut cookie = Cookie::build(COOKIE, theme.name())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish();
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, back));
    if theme == Theme::System {
        cookie.make_removal();
    }
    response.cookie(cookie).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_on_this_site_is_followed_back() {
        assert_eq!(same_site_path("/s/abc?x=1"), "/s/abc?x=1");
        assert_eq!(same_site_path("/"), "/");
        for other in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "evil",
            "",
            "/a\r\nSet-Cookie: x=y",
            "/\u{e9}",
            "/a\\b",
        ] {
            assert_eq!(same_site_path(other), "/", "{other:?}");
        }
        assert_eq!(same_site_path(&format!("/{}", "a".repeat(3000))), "/");
    }

    #[test]
    fn a_theme_round_trips_through_its_name() {
        for theme in Theme::ALL {
            assert_eq!(Theme::parse(theme.name()), Some(theme));
        }
        assert_eq!(Theme::parse("sepia"), None);
        assert_eq!(Theme::System.attribute(), None);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
    }
}

//! The visitor's language: the header's switcher (a `ferry_lang` cookie), else the
//! browser's `Accept-Language`, else English. Like the colour theme
//! ([`super::theme`]) the choice lives only in the visitor's browser, so a visitor
//! costs no server state for it and any web process reads it; it is made with a
//! plain form POST that works without JavaScript, and, like the theme form, carries
//! no CSRF token: a forged post can only change the language the victim reads.
//!
//! The words themselves are `ferry_core::i18n`'s catalogues; this module only picks
//! the [`Locale`] of a request. A cookie or header that names no language Ferry
//! speaks is ignored (English), never an error.

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration},
    http::header,
    web,
};
pub use ferry_core::i18n::Locale;
use serde::Deserialize;

use super::theme::same_site_path;

/// The cookie that holds the switcher's choice (`en`, `de`, `fr`, `es`, `ar`).
pub const COOKIE: &str = "ferry_lang";
/// The longest `Accept-Language` read; a longer one is ignored.
const MAX_HEADER_CHARS: usize = 512;

/// The language of `request`: the switcher's cookie, then `Accept-Language`, then
/// English.
pub fn of(request: &HttpRequest) -> Locale {
    let chosen = request
        .cookie(COOKIE)
        .and_then(|c| Locale::parse(c.value()).filter(|l| l.code() == c.value()));
    chosen
        .or_else(|| {
            request
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.len() <= MAX_HEADER_CHARS)
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

/// The switcher's form.
#[derive(Deserialize)]
pub struct Choice {
    /// `en`, `de`, `fr`, `es` or `ar`.
    lang: String,
    /// The page to go back to (a path on this site).
    back: Option<String>,
}

/// `POST /language`: remembers the choice in the visitor's browser for a year and
/// goes back to the page it was made on; a value that names no language goes back
/// too, choosing nothing (the switcher only offers good ones).
pub async fn choose(form: web::Form<Choice>) -> HttpResponse {
    let back = same_site_path(form.back.as_deref().unwrap_or("/"));
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, back));
    if let Some(locale) = Locale::parse(&form.lang).filter(|l| l.code() == form.lang) {
        let cookie = Cookie::build(COOKIE, locale.code())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(365))
            .finish();
        response.cookie(cookie);
    }
    response.finish()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn the_cookie_wins_over_the_header_and_bad_values_mean_english() {
        let request = TestRequest::default()
            .insert_header((header::ACCEPT_LANGUAGE, "fr"))
            .cookie(Cookie::new(COOKIE, "de"))
            .to_http_request();
        assert_eq!(of(&request), Locale::De);
        let request = TestRequest::default()
            .insert_header((header::ACCEPT_LANGUAGE, "fr"))
            .cookie(Cookie::new(COOKIE, "klingon"))
            .to_http_request();
        assert_eq!(of(&request), Locale::Fr);
        let request = TestRequest::default()
            .insert_header((header::ACCEPT_LANGUAGE, "q=;;,,"))
            .to_http_request();
        assert_eq!(of(&request), Locale::En);
    }
}

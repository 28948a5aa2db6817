//! One "browser" for the page tests: a cookie-keeping client that does not follow
//! redirects, and readers for what the pages carry (CSRF and draft tokens).

use super::http::Exchange;
use std::time::Duration;

use reqwest::{Client, StatusCode, header, redirect::Policy};

/// An account password every suite signs up with: one the strength check
/// (`ferry_core::AccountPassword`) accepts — zxcvbn scores it 4, and no list holds it.
pub const STRONG_PASSWORD: &str = "lantern quiver oatmeal";

/// A cookie-keeping client that does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The value of the first `marker…"` attribute in `html` (`marker` ends with `="`).
pub fn attribute(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The page's CSRF token (`<meta name="csrf-token">`, also in every form).
pub fn csrf_of(html: &str) -> String {
    attribute(html, r#"<meta name="csrf-token" content=""#)
}

/// The upload page's draft token (upload.js puts it in the tus metadata).
pub fn draft_token_of(html: &str) -> String {
    attribute(html, r#"data-draft-token=""#)
}

/// GETs `url` as a browser would (asking for HTML): status and body.
pub async fn page(client: &Client, url: String) -> (StatusCode, String) {
    let response = client
        .get(url)
        .header(header::ACCEPT, "text/html")
        .answer()
        .await;
    (response.status(), response.text().await.unwrap())
}

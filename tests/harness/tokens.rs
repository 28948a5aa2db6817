//! API tokens as their owner makes them (the `/tokens` form) and as scripts send them.

use reqwest::{Client, StatusCode, header};

use super::{
    Process,
    browser::{attribute, csrf_of, page},
    http::Exchange,
};

/// Makes a token through the signed-in `owner`'s form on `/tokens`, named `name` and
/// allowed `scopes`; the secret the answer shows once (asserted: 200, and a
/// `ferry_` token).
pub async fn make_token(owner: &Client, web: &Process, name: &str, scopes: &[&str]) -> String {
    let (status, html) = page(owner, web.url("/tokens")).await;
    assert_eq!(status, StatusCode::OK, "GET /tokens");
    let csrf = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("name", name)];
    form.extend(scopes.iter().map(|s| ("scope", *s)));
    let made = owner
        .post(web.url("/tokens"))
        .header(header::ACCEPT, "text/html")
        .form(&form)
        .answer()
        .await;
    assert_eq!(made.status(), StatusCode::OK, "POST /tokens");
    let html = made.text().await.unwrap();
    let secret = attribute(&html, r#"id="new-token" type="text" readonly value=""#);
    assert!(secret.starts_with("ferry_"), "{secret}");
    secret
}

/// A client that sends `Authorization: Bearer <secret>` with every request (and gives
/// up on one after a minute, as a script would).
pub fn bearer(secret: &str) -> Client {
    let mut headers = header::HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {secret}").parse().unwrap(),
    );
    Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

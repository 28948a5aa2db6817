//! The curl API as transfer.sh clients call it: `PUT /{name}` with the file as the
//! body and the optional headers (`Max-Downloads`, `Max-Days`), answered with the
//! share URL as text.

use reqwest::{Body, Client, Response, StatusCode};

use super::{Process, http::Exchange};

/// `PUT /{name}` of `body` to `web` with `headers`, as `curl -T` sends it: the answer
/// as it came.
pub async fn put(
    client: &Client,
    web: &Process,
    name: &str,
    body: impl Into<Body>,
    headers: &[(&str, &str)],
) -> Response {
    headers
        .iter()
        .fold(
            client.put(web.url(&format!("/{name}"))),
            |request, (k, v)| request.header(*k, *v),
        )
        .body(body)
        .answer()
        .await
}

/// A `PUT /{name}` that must be accepted (200): the path (`/{token}/{name}`) of the
/// share URL it answers with.
pub async fn share<B: Into<Body>>(
    client: &Client,
    web: &Process,
    name: &str,
    body: B,
    headers: &[(&str, &str)],
) -> String {
    let response = put(client, web, name, body, headers).await;
    assert_eq!(response.status(), StatusCode::OK, "PUT /{name}");
    path_of(&response.text().await.unwrap())
}

/// The path of a share URL Ferry answered with: `http://host/{token}/{name}` (with
/// or without a trailing newline) → `/{token}/{name}`.
pub fn path_of(url: &str) -> String {
    format!("/{}", url.trim().splitn(4, '/').nth(3).unwrap())
}

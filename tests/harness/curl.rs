//! The curl API as transfer.sh clients call it: `PUT /{name}` with the file as the
//! body and the optional headers (`Max-Downloads`, `Max-Days`), answered with the
//! share URL as text.

use reqwest::{Body, Client, RequestBuilder, Response, StatusCode};

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
    with_headers(client.put(web.url(&format!("/{name}"))), headers)
        .body(body)
        .answer()
        .await
}

/// `request` with each of `headers` added.
fn with_headers(request: RequestBuilder, headers: &[(&str, &str)]) -> RequestBuilder {
    headers
        .iter()
        .fold(request, |request, (k, v)| request.header(*k, *v))
}

/// A `PUT /{name}` that must be accepted (200): the share URL it answers with, as
/// the client got it (scheme and host included).
pub async fn link(
    client: &Client,
    web: &Process,
    name: &str,
    body: impl Into<Body>,
    headers: &[(&str, &str)],
) -> String {
    let response = put(client, web, name, body, headers).await;
    assert_eq!(response.status(), StatusCode::OK, "PUT /{name}");
    response.text().await.unwrap()
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
    path_of(&link(client, web, name, body, headers).await)
}

/// `PUT /{name}` of `pieces` as one chunked body (no `Content-Length`), as `curl -T -`
/// sends what it reads from a pipe: the answer, or `None` when the server closed the
/// connection while the client was still sending (as a refusal may).
pub async fn put_chunked(
    client: &Client,
    web: &Process,
    name: &str,
    pieces: impl IntoIterator<Item = Vec<u8>>,
) -> Option<Response> {
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> =
        pieces.into_iter().map(|p| Ok(p.into())).collect();
    client
        .put(web.url(&format!("/{name}")))
        .body(Body::wrap_stream(futures::stream::iter(pieces)))
        .try_answer()
        .await
}

/// `POST /` of a multipart `form` (one `filedata` part a file, see
/// [`super::data::files_form`]) to `web` with `headers`, as `curl -F` sends it: the
/// answer as it came (200 with one share URL a line when accepted).
pub async fn post_files(
    client: &Client,
    web: &Process,
    form: reqwest::multipart::Form,
    headers: &[(&str, &str)],
) -> Response {
    with_headers(client.post(web.url("/")), headers)
        .multipart(form)
        .answer()
        .await
}

/// `DELETE {path}` on `web`, as `curl -X DELETE` sends it to the `X-Url-Delete` URL
/// (`/{token}/{name}/{deletion_token}`): the answer as it came.
pub async fn delete(client: &Client, web: &Process, path: &str) -> Response {
    client.delete(web.url(path)).answer().await
}

/// The transfer token of the first share URL in a curl answer (one URL a line):
/// `http://host/{token}/{name}` → `{token}`.
pub fn token_of(answer: &str) -> String {
    let first = answer.lines().next().expect("the answer has a share URL");
    path_of(first)
        .split('/')
        .nth(1)
        .expect("the share URL has a token")
        .to_owned()
}

/// The path of a share URL Ferry answered with: `http://host/{token}/{name}` (with
/// or without a trailing newline) → `/{token}/{name}`.
pub fn path_of(url: &str) -> String {
    format!("/{}", url.trim().splitn(4, '/').nth(3).unwrap())
}

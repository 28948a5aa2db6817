//! tus requests: the plain protocol, and as Ferry's own upload page (upload.js)
//! sends them.

use reqwest::{Client, IntoUrl, Response};

/// The `Tus-Resumable` header every tus request carries.
pub const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");
/// The `Content-Type` of a PATCH (and of a creation with bytes).
pub const OCTETS: (&str, &str) = ("Content-Type", "application/offset+octet-stream");

/// `POST {base}/files/` creating an upload of `length` bytes with `metadata` (the raw
/// `Upload-Metadata`): the response as it came.
pub async fn create(client: &Client, base: &str, length: usize, metadata: &str) -> Response {
    client
        .post(format!("{base}/files/"))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata)
        .answer()
        .await
}

/// `POST {base}/files/` announcing an upload of `length` bytes, with no metadata and
/// no bytes yet: the response as it came (201 with `Location` when accepted).
pub async fn announce(client: &Client, base: &str, length: usize) -> Response {
    client
        .post(format!("{base}/files/"))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", length.to_string())
        .answer()
        .await
}

/// `POST {base}/files/` declaring an upload of `length` bytes and sending `bytes` of
/// them in the same request (creation-with-upload), with `metadata` (the raw
/// `Upload-Metadata`) when given: the response as it came.
pub async fn create_with_upload(
    client: &Client,
    base: &str,
    length: usize,
    metadata: Option<&str>,
    bytes: Vec<u8>,
) -> Response {
    let request = client
        .post(format!("{base}/files/"))
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Length", length.to_string());
    match metadata {
        Some(metadata) => request.header("Upload-Metadata", metadata),
        None => request,
    }
    .body(bytes)
    .answer()
    .await
}

/// Creates an upload of 5 000 000 bytes that stalls after its first 2 000 000 (each
/// byte 3), as a client that went away would leave it: the creation's response (201
/// with `Location` when accepted).
pub async fn create_stalled(client: &Client, base: &str) -> Response {
    create_with_upload(client, base, 5_000_000, None, vec![3u8; 2_000_000]).await
}

/// `HEAD` of an upload's `url`, which tells its `Upload-Offset`: the response as it
/// came.
pub async fn head(client: &Client, url: impl IntoUrl) -> Response {
    client.head(url).header(TUS.0, TUS.1).answer().await
}

/// `PATCH` of `bytes` at `offset` to an upload's `url`: the response as it came (204
/// with the new `Upload-Offset` when accepted).
pub async fn patch(
    client: &Client,
    url: impl IntoUrl,
    offset: impl ToString,
    bytes: impl Into<reqwest::Body>,
) -> Response {
    client
        .patch(url)
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Offset", offset.to_string())
        .body(bytes)
        .answer()
        .await
}

/// The path (`/files/ID`) of the `Location` a creation answered with.
pub fn path_of(created: &Response) -> String {
    let location = created.headers()["location"].to_str().unwrap();
    format!("/{}", location.splitn(4, '/').nth(3).unwrap())
}

use super::{data::b64, http::Exchange};

/// `POST {base}/files/` creating a draft upload of `name` with all of `bytes` in the
/// same request (creation-with-upload), carrying the upload page's `draft_token` as
/// upload.js does. The response as it came (201 with `Location` when accepted).
pub async fn create_draft_upload(
    client: &Client,
    base: &str,
    name: &str,
    bytes: Vec<u8>,
    draft_token: &str,
) -> reqwest::Result<Response> {
    client
        .post(format!("{base}/files/"))
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Length", bytes.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {},ferry_draft {},ferry_draft_token {}",
                b64(name.as_bytes()),
                b64(b"1"),
                b64(draft_token.as_bytes())
            ),
        )
        .body(bytes)
        .send()
        .await
}

/// The upload id at the end of a creation response's `Location`, if it has one.
pub fn upload_id(created: &Response) -> Option<String> {
    Some(
        created
            .headers()
            .get("location")?
            .to_str()
            .ok()?
            .rsplit('/')
            .next()?
            .to_owned(),
    )
}

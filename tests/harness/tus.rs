//! tus requests: the plain protocol, and as Ferry's own upload page (upload.js)
//! sends them.

use super::http::Exchange;
use reqwest::{Client, Response};

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

/// The path (`/files/ID`) of the `Location` a creation answered with.
pub fn path_of(created: &Response) -> String {
    let location = created.headers()["location"].to_str().unwrap();
    format!("/{}", location.splitn(4, '/').nth(3).unwrap())
}

use super::data::b64;

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
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
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

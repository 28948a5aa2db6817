//! File requests as the suites drive them: an owner who made one, uploads into it as
//! `curl -T` sends them, and what the request's counters and the owner's transfers
//! hold.

use reqwest::{Client, StatusCode};

use super::{
    Process, TestApp,
    browser::{self, STRONG_PASSWORD, browser},
    count, data,
    http::Exchange,
};

/// Signs a new browser up as `email` on `web` and creates a request there with
/// `fields` on top of the defaults of [`browser::create_file_request`]; the browser and
/// the request's link token.
pub async fn owner_with_request(
    web: &Process,
    email: &str,
    fields: &[(&str, &str)],
) -> (Client, String) {
    let owner = browser();
    let made = browser::sign_up(&owner, web, email, STRONG_PASSWORD).await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER, "sign-up");
    let token = browser::create_file_request(&owner, web, fields).await;
    (owner, token)
}

/// `PUT /r/{token}/{name}` of `bytes`, as `curl -T` sends it: status and body.
pub async fn put_into(
    client: &Client,
    web: &Process,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String) {
    let answer = client
        .put(web.url(&format!("/r/{token}/{name}")))
        .body(bytes)
        .answer()
        .await;
    (answer.status(), answer.text().await.unwrap())
}

/// The request's counters as stored: (files_used, bytes_used).
pub async fn counters(app: &TestApp, token: &str) -> (i64, i64) {
    (
        count(
            app,
            &format!("SELECT files_used::int8 FROM file_requests WHERE token = '{token}'"),
        )
        .await,
        count(
            app,
            &format!("SELECT bytes_used FROM file_requests WHERE token = '{token}'"),
        )
        .await,
    )
}

/// Transfers that arrived through request `token`, and their bytes.
pub async fn arrived(app: &TestApp, token: &str) -> (i64, i64) {
    let join = format!(
        "FROM transfers t JOIN files f ON f.transfer_id = t.id
         JOIN file_requests r ON r.id = t.file_request_id WHERE r.token = '{token}'"
    );
    (
        count(app, &format!("SELECT count(*) {join}")).await,
        count(
            app,
            &format!("SELECT COALESCE(sum(f.size), 0)::int8 {join}"),
        )
        .await,
    )
}

/// How many files of request `token` are named `name` and hold exactly `bytes` (their
/// `files.sha256` is the digest of `bytes`).
pub async fn stored_whole(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) FROM files f JOIN transfers t ON t.id = f.transfer_id
             JOIN file_requests r ON r.id = t.file_request_id
             WHERE r.token = '{token}' AND f.name = '{name}' AND f.sha256 = '\\x{}'::bytea",
            data::sha_hex(bytes)
        ),
    )
    .await
}

//! The APIs for programs, not browsers: the curl API (`curl -T file <url>`, short
//! paths; [`curl`]), tus 1.0 resumable uploads at `/files/` ([`tus`]), the probes and
//! the OpenAPI description ([`probes`]), an account's JSON API for API tokens
//! ([`account`]), and the test-only endpoints
//! ([`scaffolding`]). Answers are JSON or plain text, never pages; errors render as
//! `{"error": code}` (`crate::http::error`), tus's as plain text with `Tus-Resumable`
//! ([`tus::Tus`]).
//!
//! A new endpoint goes in the module of its API (a new API gets a module here), its
//! route in `routes.rs`, and its description in `openapi.json` (a test holds the two to
//! each other). What it needs from a request (client address, base URL, limits) comes
//! from `crate::http`; what it does, from a use case of `ferry_core::Service`.
//!
//! A new setting is a field of `Config`; a new job type is enqueued through a use case
//! of `ferry_core::Service`, never built here. Answers here are for programs and stay
//! English; a string a person reads is a key of the catalogues (`ferry_core::i18n`).

pub mod account;
pub mod curl;
pub mod probes;
pub mod scaffolding;
pub mod tus;

use actix_session::Session;
use actix_web::HttpRequest;
use ferry_core::{Service, Verdict};
use ferry_state::{file_request::FileRequest, transfer::Transfer};
use serde_json::{Value, json};

use crate::{
    Config,
    http::{
        error::{Error, Result},
        links::{delete_url, file_url, remaining_days},
        password::Passwords,
        request, visitor,
    },
};

/// The open file request `token` an upload (curl or tus) goes into, once its
/// password, if it has one, was given: this session unlocked it on the request's
/// page, or `password` (the `Ferry-Request-Password` header, tus metadata
/// `file_request_password`) is right — a guess counted like a share password's.
/// 403 `password_required` / `password_wrong`; 503 when it cannot be checked now.
pub async fn admit_file_request(
    http: &HttpRequest,
    session: &Session,
    service: &Service,
    config: &Config,
    passwords: &Passwords,
    token: &str,
    password: Option<String>,
) -> Result<FileRequest> {
    let file_request = service.open_file_request(token).await?;
    if visitor::may_upload_into(
        session,
        &file_request.token,
        file_request.password_hash.as_deref(),
    ) {
        return Ok(file_request);
    }
    let Some(password) = password else {
        return Err(Error::Forbidden("password_required"));
    };
    let client = request::client_ip(http, config);
    match service
        .unlock_file_request(
            &file_request,
            &client,
            config.unlock_limits(),
            async |hash| passwords.check(password, hash).await,
        )
        .await?
    {
        Verdict::Right => Ok(file_request),
        Verdict::Wrong => Err(Error::Forbidden("password_wrong")),
        Verdict::CannotCheck => Err(Error::Busy),
    }
}

/// Refuses, before a byte is read, an upload for `owner` that declares more bytes than
/// their storage quota has left (413 `quota_exceeded`). Only a courtesy: the quota is
/// enforced when the transfer is made, in the transaction that charges it.
pub async fn check_quota_room(
    service: &Service,
    owner: Option<uuid::Uuid>,
    declared: u64,
) -> Result<()> {
    let Some(owner) = owner else {
        return Ok(());
    };
    let storage = service.state().storage_of(owner).await?;
    let declared = i64::try_from(declared).unwrap_or(i64::MAX);
    match storage.left() {
        Some(left) if declared > left => Err(Error::storage_full(left, declared)),
        _ => Ok(()),
    }
}

/// The JSON description of a transfer for its uploader.
pub fn transfer_json(base: &str, transfer: &Transfer) -> Value {
    let first = transfer
        .files
        .first()
        .map(|f| f.name.as_str())
        .unwrap_or("file");
    json!({
        "token": transfer.token,
        "url": file_url(base, &transfer.token, first),
        "delete_url": delete_url(base, transfer, first),
        "zip_url": format!("{base}/{}.zip", transfer.token),
        "expires_at": transfer.expires_at,
        "remaining_days": remaining_days(transfer),
        "max_downloads": transfer.max_downloads,
        "remaining_downloads": transfer.remaining_downloads(),
        "files": transfer.files.iter().map(|f| json!({
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "sha256": hex::encode(&f.sha256),
            "url": file_url(base, &transfer.token, &f.name),
            "remaining_downloads": transfer.file_remaining_downloads(f),
        })).collect::<Vec<_>>(),
    })
}

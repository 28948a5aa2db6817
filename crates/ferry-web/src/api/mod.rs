//! The APIs for programs, not browsers: the curl API (`curl -T file <url>`, short
//! paths; [`curl`]), tus 1.0 resumable uploads at `/files/` ([`tus`]), the probes and
//! the OpenAPI description ([`probes`]), and the test-only endpoints
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
//! of `ferry_core::Service`, never built here; a new string stays beside the markup
//! that shows it (the full list is in `crate::http`'s module docs).

pub mod curl;
pub mod probes;
pub mod scaffolding;
pub mod tus;

use ferry_state::transfer::Transfer;
use serde_json::{Value, json};

use crate::http::links::{delete_url, file_url, remaining_days};

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

//! The JSON API of an account, for scripts with an API token (or a signed-in
//! session): the owner's transfers (scope `read`) and file requests (scope
//! `requests`).
//!
//! ```text
//! GET  /api/transfers                      the owner's live transfers
//! GET  /api/requests                       the owner's file requests
//! POST /api/requests        (JSON)         a new file request
//! POST /api/requests/{token}/close         closes one
//! ```
//! A browser session may call these too: they change nothing a cross-site page could
//! abuse (the session cookie is `SameSite=Lax`, and `POST` takes JSON only).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use ferry_core::{Service, SharePassword, api_token::Scope, file_request::RequestForm};
use ferry_state::file_request::FileRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Config,
    http::{
        caller,
        error::{Error, Result},
        password::Passwords,
        request,
    },
};

/// `GET /api/transfers`: the caller's live transfers, newest first (scope `read`).
pub async fn transfers(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let caller = caller::of(&request, &session, &service, &config).await?;
    let user = caller.require(Scope::Read)?;
    let base = request::base_url(&request, &config);
    let transfers = service.state().transfers_of(user.id).await?;
    let listed: Vec<Value> = transfers
        .iter()
        .map(|t| super::transfer_json(&base, t))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "transfers": listed })))
}

/// What scripts see of a file request.
fn request_json(base: &str, file_request: &FileRequest) -> Value {
    json!({
        "token": file_request.token,
        "url": format!("{base}/r/{}", file_request.token),
        "title": file_request.title,
        "message": file_request.message,
        "open": file_request.is_open(Utc::now()),
        "created_at": file_request.created_at,
        "expires_at": file_request.expires_at,
        "closed_at": file_request.closed_at,
        "max_files": file_request.max_files,
        "max_bytes": file_request.max_bytes,
        "files_used": file_request.files_used,
        "bytes_used": file_request.bytes_used,
        "password_required": file_request.password_hash.is_some(),
        "transfer_days": file_request.transfer_days,
        "transfer_max_downloads": file_request.transfer_max_downloads,
    })
}

/// `GET /api/requests`: the caller's file requests, newest first (scope `requests`).
pub async fn requests(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let caller = caller::of(&request, &session, &service, &config).await?;
    let user = caller.require(Scope::Requests)?;
    let base = request::base_url(&request, &config);
    let listed: Vec<Value> = service
        .state()
        .file_requests_of(user.id, 200)
        .await?
        .iter()
        .map(|r| request_json(&base, r))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "requests": listed })))
}

fn seven_days() -> String {
    "7".to_owned()
}

/// A new file request, as JSON: the fields of the `/requests` form (numbers as JSON
/// numbers or strings), with the same defaults as the form.
#[derive(Deserialize)]
pub struct NewRequest {
    title: String,
    #[serde(default)]
    message: String,
    #[serde(default = "seven_days", deserialize_with = "text_or_number")]
    days: String,
    #[serde(deserialize_with = "text_or_number")]
    max_files: String,
    max_size: String,
    #[serde(default, deserialize_with = "text_or_number")]
    transfer_days: String,
    #[serde(default, deserialize_with = "text_or_number")]
    transfer_max_downloads: String,
    #[serde(default)]
    password: String,
}

/// A field given as a JSON number or string, read as its text (the service parses it).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        _ => return Err(serde::de::Error::custom("expected a number or a string")),
    })
}

/// `POST /api/requests`: makes a file request (scope `requests`); 201 with it.
pub async fn create_request(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    body: web::Json<NewRequest>,
) -> Result<HttpResponse> {
    let caller = caller::of(&request, &session, &service, &config).await?;
    let user = caller.require(Scope::Requests)?;
    let body = body.into_inner();
    let password_hash = match SharePassword::parse_optional(&body.password) {
        Ok(None) => None,
        Ok(Some(password)) => Some(passwords.hash(password.expose().to_owned()).await?),
        Err(weak) => {
            return Err(Error::bad_request(
                weak.message(ferry_core::i18n::Locale::default()),
            ));
        }
    };
    let transfer_days = match body.transfer_days.trim() {
        "" => config
            .default_max_days
            .min(config.max_days_limit)
            .to_string(),
        typed => typed.to_owned(),
    };
    let form = RequestForm {
        title: body.title,
        message: body.message,
        days: body.days,
        max_files: body.max_files,
        max_size: body.max_size,
        transfer_days,
        transfer_max_downloads: body.transfer_max_downloads,
        password_hash,
        locale: ferry_core::i18n::Locale::default(),
    };
    let created = service.create_file_request(user.id, &form).await?;
    let base = request::base_url(&request, &config);
    Ok(HttpResponse::Created().json(request_json(&base, &created)))
}

/// `POST /api/requests/{token}/close`: closes one of the caller's requests (scope
/// `requests`); 404 if it is not theirs.
pub async fn close_request(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let caller = caller::of(&request, &session, &service, &config).await?;
    let user = caller.require(Scope::Requests)?;
    service.close_file_request(&token, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

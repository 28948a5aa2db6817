//! The `web` process type. It binds `$PORT` itself, keeps nothing in memory that
//! outlives a request, and reaches Postgres and Redis only through `ferry-state`.
//!
//! Start-up seam (the same for every process type):
//! `Application::build(config)` binds the listener (port 0 works in tests),
//! `application.port()` tells the bound port, `application.run_until_stopped()` serves
//! until SIGTERM/SIGINT, drains in-flight requests for up to `SHUTDOWN_TIMEOUT`, and
//! returns.

mod account;
mod admin;
mod api;
mod config;
mod file_request;
mod http;
mod routes;
mod share;
mod upload;

use std::net::TcpListener;

use actix_session::{
    SessionMiddleware,
    config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy},
};
use actix_web::{
    App, HttpServer,
    cookie::{Key, SameSite, time::Duration as CookieDuration},
    dev::Server,
    web,
};
use ferry_process::{Identity, Kind};
use ferry_state::State;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::http::{
    access_log, csrf, error, password, security,
    session_store::{self, RedisSessionStore},
    telemetry, upload_limits,
};

pub use config::AllowedOrigins;
pub use config::Config;
pub use http::error::{Error, Result};

/// Largest JSON body any API route accepts.
const JSON_LIMIT: usize = 64 * 1024;

/// A bound, not yet running web server.
pub struct Application {
    port: u16,
    server: Server,
    state: State,
    identity: Identity,
}

impl Application {
    /// Binds the listener and builds the server. Does not touch Postgres or Redis.
    pub fn build(config: Config) -> Result<Application> {
        if config.public_url.is_none() && !config.public_url_from_request {
            return Err(Error::State(ferry_state::Error::Config(
                "PUBLIC_URL is required: the base of every share link (e.g. \
                 https://files.example.com); or PUBLIC_URL_FROM_REQUEST=true to build \
                 links from each request's Host header"
                    .into(),
            )));
        }
        config
            .mail
            .check()
            .map_err(|e| Error::State(ferry_state::Error::Config(e)))?;
        let state = State::connect_lazy(&config.common.settings())?;
        let listener = TcpListener::bind((config.bind_address, config.port)).map_err(|e| {
            Error::Bind(format!(
                "cannot listen on {}:{} (BIND_ADDRESS, PORT): {e}",
                config.bind_address, config.port
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Bind(e.to_string()))?
            .port();
        let key = Key::derive_from(config.session_secret.expose_secret().as_bytes());
        let session_ttl = CookieDuration::seconds(config.session_ttl.as_secs() as i64);
        let app_state = web::Data::new(state.clone());
        let service = web::Data::new(ferry_core::Service::new(state.clone(), config.policy()));
        let app_config = web::Data::new(config.clone());
        match config.common.metrics_port {
            Some(port) => ferry_telemetry::serve("web", port).map_err(Error::Bind)?,
            None => {
                ferry_telemetry::install_recorder("web");
            }
        }
        let upload_slots = web::Data::new(upload_limits::UploadSlots::new(
            config.max_concurrent_uploads as usize,
            config.max_uploads_per_client as usize,
        ));
        let test_endpoints = config.test_endpoints;
        let passwords = web::Data::new(password::Passwords::new(&config));
        let sessions_store = RedisSessionStore::new(state.clone(), config.session_ttl);
        let cors = config.cors_allowed_origins.clone();
        let session_cookie = config.cookie_name(session_store::COOKIE);
        // Our handlers, not actix's: SIGINT drains like SIGTERM (actix's own would drop
        // in-flight requests on SIGINT), the same as worker and clock.
        let stop = ferry_process::shutdown_signal()
            .map_err(|e| Error::Bind(format!("cannot install signal handlers: {e}")))?;

        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(sessions_store.clone(), key.clone())
                .cookie_name(session_cookie.clone())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                // `Secure` comes from `mark_cookies_secure`, for this and every cookie.
                .cookie_secure(false)
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(session_ttl)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            App::new()
                .app_data(app_state.clone())
                .app_data(service.clone())
                .app_data(app_config.clone())
                .app_data(passwords.clone())
                .app_data(upload_slots.clone())
                // A body that is not the JSON a route takes is a 400 like any other
                // (`{"error":"bad_request","message":…}`), not actix's plain text.
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT)
                        .error_handler(|e, _| {
                            Error::bad_request(format!("the JSON body is not right: {e}")).into()
                        }),
                )
                .wrap(sessions)
                .wrap_fn(session_store::resend_renewed_cookie)
                .wrap_fn(error::unavailable_page)
                .wrap_fn(csrf::issue_cookie)
                .wrap_fn(security::mark_cookies_secure)
                .wrap(security::headers())
                .wrap_fn(telemetry::observe)
                .wrap_fn(access_log::echo_request_id)
                // Outside the rest, so a preflight is answered before sessions, CSRF
                // or routing see it (and logged like any request).
                .wrap(actix_web::middleware::Condition::new(
                    cors.enabled(),
                    cors.middleware(),
                ))
                .wrap(TracingLogger::<access_log::RedactedSpan>::new())
                .configure(|cfg| routes::configure(cfg, test_endpoints))
        })
        .workers(usize::from(config.web_concurrency))
        .shutdown_timeout(config.common.shutdown_timeout.as_secs())
        .shutdown_signal(stop)
        .listen(listener)
        .map_err(|e| Error::Bind(e.to_string()))?
        .run();

        Ok(Application {
            port,
            server,
            state,
            identity: Identity::new(Kind::Web),
        })
    }

    /// The TCP port the server is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections, finishes
    /// in-flight requests (up to `SHUTDOWN_TIMEOUT`) and closes the pools.
    pub async fn run_until_stopped(self) -> Result<()> {
        tracing::info!(port = self.port, "web listening");
        let port = self.port;
        let registration = self
            .identity
            .register(&self.state, move || serde_json::json!({ "port": port }));
        let result = self.server.await;
        registration.end().await;
        tracing::info!("web stopped accepting requests; closing pools");
        self.state.close().await;
        result.map_err(|e| Error::Bind(e.to_string()))
    }
}

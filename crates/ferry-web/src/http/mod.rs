//! The HTTP layer under every feature: what any handler may need to read a request or
//! answer one, and nothing that belongs to a single page or API.
//!
//! What belongs here: the one error mapping and its renderings ([`error`]); facts read
//! off a request — base URL, client address, "does it want HTML or JSON?"
//! ([`request`]); the visitor (session, sign-in, draft id, unlocked transfers:
//! [`visitor`], stored by [`session_store`]) and its CSRF token ([`csrf`]); what one
//! client or process may spend ([`budget`], [`upload_limits`]); the bounded password
//! hasher ([`password`]); who calls an API — token, session or nobody ([`caller`]);
//! the middleware (CORS, security headers, access log, metrics:
//! [`cors`], [`security`], [`access_log`], [`telemetry`]); and what several features
//! render the same way — the page layout and shared markup ([`html`]), the static
//! assets ([`assets`]), share and deletion links ([`links`]), download header names
//! ([`names`]), the QR code of a share link ([`qr`]), the visitor's colour theme
//! ([`theme`]) and language ([`language`]), the drop zone and draft list of the pages
//! that take files ([`drop`]).
//!
//! The rule: modules here import only each other and `crate::config`, never a feature
//! (`upload`, `share`, `account`, `admin`, `api`). A feature may import anything here.
//! So an error mapper that needs "does the client want HTML?" asks [`request`], not a
//! page; and when a piece of one feature turns out to be needed by a second, it moves
//! down here rather than one feature importing the other.
//!
//! Where new things go:
//! - a new page or form: its feature's module (a new feature gets a new top-level
//!   module beside `upload` and `share`), its route in `routes.rs`;
//! - a new setting: a field of `Config` (`config.rs`, with its `env = "…"`), read by
//!   the handler or the piece here that needs it;
//! - a new job type: `ferry-state`'s `jobs` and the worker; the web only enqueues it
//!   through a use case of `ferry_core::Service`;
//! - a new user-facing string: a key in every catalogue of
//!   `crates/ferry-core/locales/*/ferry.ftl` (see `ferry_core::i18n`), looked up with
//!   the page's [`language::Locale`] (`viewer.locale.t("key")`) beside the markup
//!   that shows it.

/// Seconds a client should wait before retrying after a 503 (every rendering of one:
/// `error`'s, the password pages of `html`).
pub const RETRY_AFTER_SECS: &str = "5";

/// The wait (seconds) a client is told when a file's malware scan has not finished
/// (`SCAN_REQUIRED`): scans of ordinary files take seconds.
pub const SCAN_RETRY_AFTER_SECS: u64 = 10;

pub mod access_log;
pub mod assets;
pub mod budget;
pub mod caller;
pub mod cors;
pub mod csrf;
pub mod drop;
pub mod error;
pub mod html;
pub mod language;
pub mod links;
pub mod names;
pub mod password;
pub mod qr;
pub mod request;
pub mod security;
pub mod session_store;
pub mod telemetry;
pub mod theme;
pub mod upload_limits;
pub mod visitor;

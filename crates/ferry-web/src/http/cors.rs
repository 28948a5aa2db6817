//! CORS for the APIs a page on another origin embeds: tus at `/files/` (Uppy,
//! tus-js-client), the curl API and downloads. `CORS_ALLOWED_ORIGINS` lists the
//! origins (or `*`; parsed in `crate::config`); with none configured no CORS header
//! is ever sent.
//!
//! Credentials (cookies) are never allowed cross-origin, so a page elsewhere can do
//! only what an anonymous client can: the session-backed pages stay same-origin, and
//! their CSRF protection is unchanged. A request from an origin not on the list is
//! served as before, just without CORS headers — the browser then withholds the
//! response from that page. actix-cors would refuse it with a 400 by default, which
//! would also break Ferry's own forms (browsers send `Origin` on same-origin POSTs).

use actix_cors::Cors;
use actix_web::http::{Method, header};

use crate::config::AllowedOrigins;

/// Request headers the APIs read (tus, the curl API's limits, a checksum).
const REQUEST_HEADERS: [&str; 11] = [
    "tus-resumable",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-checksum",
    "upload-defer-length",
    "upload-concat",
    "max-downloads",
    "max-days",
    "content-type",
    "x-requested-with",
];

/// Response headers a page may read: where the upload went, its offsets and the
/// server's tus capabilities, and the share and deletion links.
const EXPOSED_HEADERS: [&str; 16] = [
    "location",
    "upload-offset",
    "upload-length",
    "upload-defer-length",
    "upload-concat",
    "upload-expires",
    "upload-metadata",
    "tus-version",
    "tus-resumable",
    "tus-max-size",
    "tus-extension",
    "tus-checksum-algorithm",
    "x-share-url",
    "x-url-delete",
    "x-remaining-downloads",
    "x-remaining-days",
];

impl AllowedOrigins {
    /// Whether any origin is allowed.
    pub fn enabled(&self) -> bool {
        *self != AllowedOrigins::None
    }

    /// The middleware for these origins (see the module docs). With none, it is never
    /// used: the app wraps it in a `Condition`.
    pub fn middleware(&self) -> Cors {
        let mut cors = Cors::default()
            .allowed_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allowed_headers(REQUEST_HEADERS.map(header::HeaderName::from_static))
            .expose_headers(EXPOSED_HEADERS.map(header::HeaderName::from_static))
            .block_on_origin_mismatch(false)
            .max_age(3600);
        match self {
            AllowedOrigins::None => {}
            AllowedOrigins::Any => cors = cors.allow_any_origin().send_wildcard(),
            AllowedOrigins::List(origins) => {
                for origin in origins {
                    cors = cors.allowed_origin(origin);
                }
            }
        }
        cors
    }
}

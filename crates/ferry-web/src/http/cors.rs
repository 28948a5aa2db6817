//! CORS for the APIs a page on another origin embeds: tus at `/files/` (Uppy,
//! tus-js-client), the curl API and downloads. `CORS_ALLOWED_ORIGINS` lists the
//! origins (or `*`); with none configured no CORS header is ever sent.
//!
//! Credentials (cookies) are never allowed cross-origin, so a page elsewhere can do
//! only what an anonymous client can: the session-backed pages stay same-origin, and
//! their CSRF protection is unchanged. A request from an origin not on the list is
//! served as before, just without CORS headers — the browser then withholds the
//! response from that page. actix-cors would refuse it with a 400 by default, which
//! would also break Ferry's own forms (browsers send `Origin` on same-origin POSTs).

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// The origins of `CORS_ALLOWED_ORIGINS`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// None (the default): no CORS.
    #[default]
    None,
    /// `*`: any origin.
    Any,
    /// These origins, each `scheme://host[:port]` as browsers send it.
    List(Vec<String>),
}

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
    /// Parses `CORS_ALLOWED_ORIGINS`: empty, `*`, or comma-separated origins. An entry
    /// with a path, query or user info is refused (an origin has none), so a typo
    /// cannot silently allow nothing.
    pub fn parse(value: &str) -> Result<AllowedOrigins, String> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(AllowedOrigins::None);
        }
        if value == "*" {
            return Ok(AllowedOrigins::Any);
        }
        let mut origins = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return Err("`*` allows every origin; it cannot be combined with others".into());
            }
            let url = url::Url::parse(entry)
                .map_err(|_| format!("`{entry}` is not an origin like https://app.example.com"))?;
            let bare = matches!(url.path(), "" | "/")
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none();
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !bare {
                return Err(format!(
                    "`{entry}` is not an origin like https://app.example.com (scheme, host and \
                     port only)"
                ));
            }
            origins.push(url.origin().ascii_serialization());
        }
        Ok(AllowedOrigins::List(origins))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_to_what_browsers_send_and_anything_else_is_refused() {
        assert_eq!(AllowedOrigins::parse(""), Ok(AllowedOrigins::None));
        assert_eq!(AllowedOrigins::parse(" * "), Ok(AllowedOrigins::Any));
        assert_eq!(
            AllowedOrigins::parse("https://App.Example.com/, http://localhost:3000"),
            Ok(AllowedOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/upload",
            "https://user@app.example.com",
            "ftp://app.example.com",
            "https://a.example.com,*",
        ] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}

//! The public base URL that share links are built from.
//!
//! `PUBLIC_URL` wins when set. Otherwise the request's own scheme and `Host` are used,
//! and `X-Forwarded-Proto` / `X-Forwarded-Host` are believed only when the TCP peer is
//! one of `TRUSTED_PROXIES` — anyone else could forge them to make Ferry hand out links
//! to a host they control.

use actix_web::HttpRequest;

use crate::Config;

/// `scheme://host[:port]` without a trailing slash.
pub fn base_url(request: &HttpRequest, config: &Config) -> String {
    if let Some(url) = &config.public_url {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    let trusted = request.peer_addr().is_some_and(|peer| {
        config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer.ip()))
    });
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    // Not `connection_info()`: it believes forwarding headers from anyone.
    let own_scheme = if request.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let scheme = trusted
        .then(|| header("x-forwarded-proto"))
        .flatten()
        .filter(|s| s == "http" || s == "https")
        .unwrap_or_else(|| own_scheme.to_owned());
    let host = trusted
        .then(|| header("x-forwarded-host"))
        .flatten()
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or_else(|| {
            request
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| request.app_config().host().to_owned())
        });
    format!("{scheme}://{host}")
}

/// The client's IP address: the TCP peer, or — when the peer is a trusted proxy — the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(request: &HttpRequest, config: &Config) -> String {
    let Some(peer) = request.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let trusted = |ip: &std::net::IpAddr| config.trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return peer.to_string();
    }
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    forwarded
        .split(',')
        .rev()
        .filter_map(|part| part.trim().parse::<std::net::IpAddr>().ok())
        .find(|ip| !trusted(ip))
        .unwrap_or(peer)
        .to_string()
}

//! What a request says about its client: what it wants back (HTML for a browser, JSON
//! when it asks), the public base URL that share links are built from, and the client
//! address every per-client limit counts.
//!
//! `PUBLIC_URL`, which a deployment must set (the web refuses to start without it).
//! Only with `PUBLIC_URL_FROM_REQUEST=true` (a laptop, or a proxy that sets `Host`
//! itself) are the request's own scheme and `Host` used, and `X-Forwarded-Proto` /
//! `X-Forwarded-Host` are believed only when the TCP peer is one of `TRUSTED_PROXIES`
//! — anyone else could forge them to make Ferry hand out links to a host they control.

use std::net::{IpAddr, SocketAddr};

use actix_web::{HttpRequest, http::header};

use crate::{Config, config::ClientIpHeader};

/// True when a browser asks (it wants HTML); curl gets text.
pub fn wants_html(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// True when the client prefers JSON (`Accept: application/json`).
pub fn wants_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `scheme://host[:port]` without a trailing slash.
pub fn base_url(request: &HttpRequest, config: &Config) -> String {
    if let Some(url) = &config.public_url {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    let trusted = request
        .peer_addr()
        .is_some_and(|peer| is_trusted(config, &peer.ip()));
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
        .map(|s| s.to_ascii_lowercase())
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

/// Whether the client reached us over https: our own TLS, or `X-Forwarded-Proto: https`
/// from a trusted proxy (the first value: the proxy that faced the client sets it).
pub fn is_https(request: &HttpRequest, config: &Config) -> bool {
    if request.app_config().secure() {
        return true;
    }
    let trusted = request
        .peer_addr()
        .is_some_and(|peer| is_trusted(config, &peer.ip()));
    trusted
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn is_trusted(config: &Config, ip: &IpAddr) -> bool {
    config.trusted_proxies.iter().any(|net| net.contains(ip))
}

/// The client as every per-client limit counts it (rate-limit buckets, byte budgets,
/// upload slots, resume grants), as text: its IPv4 address, or its IPv6 address cut to
/// `CLIENT_IPV6_PREFIX` bits (a /64 by default). One IPv6 subscriber is routinely
/// given a whole /64 — 2^64 addresses to rotate through — so a limit keyed on the full
/// address would bind nobody. See [`client_net`].
pub fn client_ip(request: &HttpRequest, config: &Config) -> String {
    client_net(request, config)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client address with an IPv6 address masked to `CLIENT_IPV6_PREFIX` bits (an
/// IPv4-mapped IPv6 address counts as the IPv4 address it maps). See [`client_addr`].
pub fn client_net(request: &HttpRequest, config: &Config) -> Option<IpAddr> {
    client_addr(request, config).map(|ip| mask(ip, config.client_ipv6_prefix))
}

/// `ip` as a per-client limit keys it: IPv4 whole, IPv6 cut to `prefix` bits.
pub fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6);
                let keep = u32::from(prefix.min(128));
                let masked = if keep == 0 {
                    0
                } else {
                    bits & (u128::MAX << (128 - keep))
                };
                IpAddr::V6(masked.into())
            }
        },
    }
}

/// The client's IP address: the TCP peer, or — when the peer is a trusted proxy — the
/// right-most address in `CLIENT_IP_HEADER` (all of its lines, in order) that is not
/// itself a trusted proxy. Proxies append what they saw, so everything right of the
/// first untrusted hop was written by a proxy we trust and everything left of it may
/// be the client's invention. A hop a trusted proxy could not name (`for=unknown`,
/// an obfuscated `_node`) ends the walk at that proxy.
pub fn client_addr(request: &HttpRequest, config: &Config) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    if !is_trusted(config, &peer) {
        return Some(peer);
    }
    let lines = request
        .headers()
        .get_all(match config.client_ip_header {
            ClientIpHeader::XForwardedFor => "x-forwarded-for",
            ClientIpHeader::Forwarded => "forwarded",
        })
        .filter_map(|v| v.to_str().ok());
    let hops: Vec<Option<IpAddr>> = lines
        .flat_map(|line| line.split(','))
        .map(|element| match config.client_ip_header {
            ClientIpHeader::XForwardedFor => parse_node(element),
            ClientIpHeader::Forwarded => forwarded_for(element).and_then(parse_node),
        })
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(config, &ip) => client = ip,
            Some(ip) => return Some(ip),
            None => return Some(client),
        }
    }
    Some(client)
}

/// The `for=` parameter of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then_some(value.trim())
    })
}

/// One node as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:5678`, optionally in double quotes (RFC 7239). Written by hand
/// because the crates for it reject a whole header for one bad element, which would let
/// text a client put on the left decide how the right-hand, trusted part is read.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

/// The body's declared `Content-Length`, if it has one that parses.
pub fn content_length(request: &HttpRequest) -> Option<u64> {
    request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_prefix_and_ipv4_ones_whole() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(mask(a, 64), mask(b, 64));
        assert_eq!(mask(a, 64).to_string(), "2001:db8:1:2::");
        assert_ne!(mask(a, 64), mask(other, 64));
        assert_eq!(mask(a, 56), mask(other, 56));
        assert_eq!(mask(a, 128), a);
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(mask(v4, 64), v4);
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(mask(mapped, 64), v4);
    }

    proptest::proptest! {
        /// For every prefix `CLIENT_IPV6_PREFIX` allows, two IPv6 addresses are one
        /// client exactly when they agree on its bits (`b` is `a` with one bit flipped),
        /// and the key is the address with every later bit zeroed; an IPv4 address is
        /// always whole.
        #[test]
        fn ipv6_addresses_are_one_client_exactly_when_they_share_the_prefix(
            a in proptest::prelude::any::<u128>(),
            flipped in 0u32..128,
            prefix in 32u8..=128,
            v4 in proptest::prelude::any::<u32>(),
        ) {
            let b = a ^ (1u128 << (127 - flipped));
            let (a6, b6) = (std::net::Ipv6Addr::from(a), std::net::Ipv6Addr::from(b));
            // IPv4-mapped addresses count as the IPv4 address (tested above).
            proptest::prop_assume!(a6.to_ipv4_mapped().is_none() && b6.to_ipv4_mapped().is_none());
            let same = flipped >= u32::from(prefix);
            proptest::prop_assert_eq!(mask(a6.into(), prefix) == mask(b6.into(), prefix), same);
            let kept = !u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            proptest::prop_assert_eq!(mask(a6.into(), prefix), IpAddr::from(std::net::Ipv6Addr::from(a & kept)));
            let v4 = IpAddr::from(std::net::Ipv4Addr::from(v4));
            proptest::prop_assert_eq!(mask(v4, prefix), v4);
        }
    }

    #[test]
    fn nodes_parse_in_every_form_proxies_write() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(parse_node(" 203.0.113.7 "), Some(v4));
        assert_eq!(parse_node("203.0.113.7:4711"), Some(v4));
        assert_eq!(parse_node("\"[2001:db8::1]:4711\""), Some(v6));
        assert_eq!(parse_node("2001:db8::1"), Some(v6));
        assert_eq!(parse_node("unknown"), None);
        assert_eq!(parse_node("_hidden"), None);
        assert_eq!(
            forwarded_for("proto=https;For=\"[2001:db8::1]\"").and_then(parse_node),
            Some(v6)
        );
    }
}

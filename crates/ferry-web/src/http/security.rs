//! Headers that protect every page: a strict Content-Security-Policy (no inline
//! script anywhere), no framing, no referrer leaking share tokens; and, when the client
//! is on https, `Secure` on every cookie and `Strict-Transport-Security`.

use actix_web::{
    cookie::Cookie,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    web,
};

use crate::{Config, http::request};

/// Headers every response gets unless it set its own (downloads set a stricter CSP).
/// No inline script anywhere, no framing, no referrer leaking share tokens.
pub fn headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// When the client is on https — `PUBLIC_URL` says so, or a trusted proxy's
/// `X-Forwarded-Proto` does — marks every cookie `Secure`, whichever middleware or
/// handler set it, and sends `Strict-Transport-Security` (`HSTS_MAX_AGE`; never over
/// plain http, where browsers ignore it and a dev setup must not be pinned to https).
pub fn mark_cookies_secure<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let config = request.app_data::<web::Data<Config>>();
    let https = config.is_some_and(|config| {
        config.public_https() || request::is_https(request.request(), config)
    });
    let hsts = config
        .map(|config| config.hsts_max_age.as_secs())
        .filter(|seconds| https && *seconds > 0);
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        if let Some(seconds) = hsts
            && let Ok(value) = HeaderValue::from_str(&format!("max-age={seconds}"))
        {
            response
                .headers_mut()
                .insert(header::STRICT_TRANSPORT_SECURITY, value);
        }
        if https {
            let headers = response.headers_mut();
            let cookies: Vec<String> = headers
                .get_all(header::SET_COOKIE)
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect();
            if !cookies.is_empty() {
                headers.remove(header::SET_COOKIE);
                for raw in cookies {
                    let value = match Cookie::parse(raw.clone()) {
                        Ok(mut cookie) => {
                            cookie.set_secure(true);
                            cookie.to_string()
                        }
                        Err(_) => raw,
                    };
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        headers.append(header::SET_COOKIE, value);
                    }
                }
            }
        }
        Ok(response)
    }
}

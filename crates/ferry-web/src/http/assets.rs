//! The static files every page loads — the stylesheet, the two scripts
//! (`upload.js`: resumable uploads with progress; `share.js`: copy buttons) and the
//! icon — compiled into the binary: no CDN, no disk, nothing to deploy beside it.

use actix_web::{HttpResponse, http::header, web};

/// Static assets, compiled into the binary (no CDN, no disk).
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    asset_named(&name)
}

/// The asset `name` (`favicon.svg` also answers `/favicon.ico`); 404 for any other.
pub fn asset_named(name: &str) -> HttpResponse {
    let (body, kind): (&'static str, &str) = match name {
        "app.css" => (
            include_str!("../../assets/app.css"),
            "text/css; charset=utf-8",
        ),
        "upload.js" => (
            include_str!("../../assets/upload.js"),
            "text/javascript; charset=utf-8",
        ),
        "share.js" => (
            include_str!("../../assets/share.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_str!("../../assets/favicon.svg"), "image/svg+xml"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

//! Every route of the web process, in one place.
//!
//! The curl API's short paths (`/{name}`, `/{token}/{name}`, …) are catch-alls, so they
//! are registered last, and each path shape is one resource that dispatches on the
//! method: `PUT /report.zip` is an upload, `GET /{token}.zip` an archive download.

use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::Service;

use actix_session::Session;

use crate::{
    Config, accounts, admin, curl_api,
    download::{self, ArchiveFormat, Presentation},
    http::{
        error::{Error, Result},
        request,
    },
    jobs_api, probes, session_api, tus, ui,
};

/// Registers every route. The test scaffolding (`/api/session`, `/api/jobs/demo`)
/// exists only when `FERRY_TEST_ENDPOINTS` is on: anonymous clients must not be able
/// to queue jobs or store session data in a real deployment.
pub fn configure(cfg: &mut web::ServiceConfig, test_endpoints: bool) {
    // The upload page first: the router tries resources in order, and every one with
    // a path parameter is a regex match, which showed up in the page's profile.
    cfg.service(
        web::resource("/")
            .route(web::post().to(post_root))
            .route(web::get().to(index)),
    );
    cfg.service(probes::healthz)
        .service(probes::readyz)
        .service(probes::openapi);
    if test_endpoints {
        cfg.service(session_api::get_session)
            .service(session_api::set_session_value)
            .service(jobs_api::enqueue_demo_job);
    }
    tus::configure(cfg);
    ui::configure(cfg);
    accounts::configure(cfg);
    admin::configure(cfg);
    cfg.service(
        web::resource("/{name}")
            .route(web::put().to(put_one))
            .route(web::get().to(get_one))
            .route(web::head().to(get_one))
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/{first}/{second}")
            .route(web::put().to(put_two))
            .route(web::get().to(get_two))
            .route(web::head().to(get_two))
            .default_service(web::to(not_found)),
    )
    .service(
        web::resource("/{first}/{second}/{third}")
            .route(web::get().to(get_three))
            .route(web::head().to(get_three))
            .route(web::delete().to(delete_three))
            .default_service(web::to(not_found)),
    );
}

/// The curl API's catch-all paths answer 404, not 405, to other methods: a path such
/// as `POST /api/jobs/demo` names nothing here, whatever the method.
async fn not_found() -> Result<HttpResponse> {
    Err(Error::NotFound)
}

/// `GET /`: the upload page for browsers, a short usage text for curl.
async fn index(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    if request::wants_html(&request) {
        return ui::upload_page(request, session, service, config).await;
    }
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(
        "Ferry — share files.\n\n  curl -T file.pdf <this url>\n  curl -F filedata=@a.txt -F filedata=@b.txt <this url>\n\nResumable uploads: tus 1.0 at /files/\n",
    ))
}

async fn post_root(
    request: HttpRequest,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    curl_api::post_multipart(request, body, service, config).await
}

/// `PUT /{name}`.
async fn put_one(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    curl_api::put_file(request, body, service, config, &path).await
}

/// `PUT /put/{name}`, `PUT /upload/{name}`.
async fn put_two(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let (first, name) = path.into_inner();
    match first.as_str() {
        "put" | "upload" => curl_api::put_file(request, body, service, config, &name).await,
        _ => Err(Error::NotFound),
    }
}

/// `GET /{token}.zip`, `GET /{token}.tar.gz`.
async fn get_one(
    request: HttpRequest,
    session: Session,
    path: web::Path<String>,
    service: web::Data<Service>,
) -> Result<HttpResponse> {
    let (token, format) = ArchiveFormat::split(&path).ok_or(Error::NotFound)?;
    download::archive(request, session, service, token, format).await
}

/// `GET /{token}/{name}`.
async fn get_two(
    request: HttpRequest,
    session: Session,
    path: web::Path<(String, String)>,
    service: web::Data<Service>,
) -> Result<HttpResponse> {
    let (token, name) = path.into_inner();
    download::file(request, session, service, &token, &name, Presentation::Auto).await
}

/// `GET /get/{token}/{name}`, `GET /inline/{token}/{name}`.
async fn get_three(
    request: HttpRequest,
    session: Session,
    path: web::Path<(String, String, String)>,
    service: web::Data<Service>,
) -> Result<HttpResponse> {
    let (mode, token, name) = path.into_inner();
    let presentation = match mode.as_str() {
        "get" | "download" => Presentation::Attachment,
        "inline" => Presentation::Inline,
        "thumb" => return download::thumbnail(session, service, &token, &name).await,
        _ => return Err(Error::NotFound),
    };
    download::file(request, session, service, &token, &name, presentation).await
}

/// `DELETE /{token}/{name}/{deletion_token}`.
async fn delete_three(
    path: web::Path<(String, String, String)>,
    service: web::Data<Service>,
) -> Result<HttpResponse> {
    let (token, name, deletion_token) = path.into_inner();
    curl_api::delete(service, &token, &name, &deletion_token).await
}

//! Every route of the web process, in one table: a newcomer reads here which handler
//! answers a path, and adds a route here — never in the feature module, which holds
//! only the handlers (and their markup).
//!
//! Order matters: the router tries resources in order. Fixed paths come first; the
//! curl API's short paths (`/{name}`, `/{token}/{name}`, …) are catch-alls, so they
//! are registered last, and each path shape is one resource that dispatches on the
//! method: `PUT /report.zip` is an upload, `GET /{token}.zip` an archive download.
//!
//! A route that answers one method and lets the others fall through to the routes
//! after it is `cfg.route(path, web::get().to(..))` or a resource with a method guard;
//! a path that answers several methods and 405s the rest is one `web::resource`.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, guard, web};
use ferry_core::Service;

use crate::{
    Config, account, admin,
    api::{account as api_account, curl, probes, scaffolding, tus},
    file_request,
    http::{
        assets,
        error::{Error, Result},
        language, request, theme,
    },
    share::{
        self,
        download::{self, ArchiveFormat, Presentation},
    },
    upload,
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

    // Probes and the API's description (api::probes). GET only; other methods fall
    // through to the catch-alls below.
    cfg.service(
        web::resource("/healthz")
            .name("healthz")
            .guard(guard::Get())
            .to(probes::healthz),
    )
    .service(
        web::resource("/readyz")
            .name("readyz")
            .guard(guard::Get())
            .to(probes::readyz),
    )
    .service(
        web::resource("/openapi.json")
            .name("openapi")
            .guard(guard::Get())
            .to(probes::openapi),
    );

    // Test scaffolding (api::scaffolding).
    if test_endpoints {
        cfg.service(
            web::resource("/api/session")
                .name("get_session")
                .guard(guard::Get())
                .to(scaffolding::get_session),
        )
        .service(
            web::resource("/api/session")
                .name("set_session_value")
                .guard(guard::Post())
                .to(scaffolding::set_session_value),
        )
        .service(
            web::resource("/api/jobs/demo")
                .name("enqueue_demo_job")
                .guard(guard::Post())
                .to(scaffolding::enqueue_demo_job),
        );
    }

    // tus 1.0 resumable uploads (api::tus).
    cfg.service(
        web::resource(["/files", "/files/"])
            .route(web::method(actix_web::http::Method::OPTIONS).to(tus::options))
            .route(web::post().to(tus::create)),
    )
    .service(
        web::resource("/files/{id}")
            .route(web::method(actix_web::http::Method::OPTIONS).to(tus::options))
            .route(web::head().to(tus::head))
            .route(web::get().to(tus::status))
            .route(web::patch().to(tus::patch))
            .route(web::delete().to(tus::terminate)),
    );

    // Static assets (http::assets).
    cfg.route("/assets/{name}", web::get().to(assets::asset))
        // Browsers ask for it on every site; without it each page view logged a 404.
        .route(
            "/favicon.ico",
            web::get().to(|| async { assets::asset_named("favicon.svg") }),
        )
        // The colour theme (http::theme): a cookie, then back to the page.
        .route("/theme", web::post().to(theme::choose))
        // The language (http::language): a cookie, then back to the page.
        .route("/language", web::post().to(language::choose));

    // The sender's pages (upload); `GET /` is above.
    cfg.route("/draft", web::post().to(upload::add_to_draft))
        .route("/draft/remove", web::post().to(upload::remove_from_draft))
        .route("/send", web::post().to(upload::send))
        .route("/sent/{token}", web::get().to(upload::sent));

    // The recipient's pages (share); the downloads are among the catch-alls below.
    cfg.route("/s/{token}", web::get().to(share::share_page))
        .route("/s/{token}/unlock", web::post().to(share::unlock))
        .route("/s/{token}/delete", web::post().to(share::delete));

    // File requests (file_request): the owner's page, the uploaders' page; the curl upload
    // `PUT /r/{token}/{name}` is among the catch-alls below.
    cfg.route("/requests", web::get().to(file_request::my_requests))
        .route("/requests", web::post().to(file_request::create))
        .route(
            "/requests/{token}/close",
            web::post().to(file_request::close),
        )
        .route("/r/{token}", web::get().to(file_request::request_page))
        .service(
            web::resource("/r/{token}/unlock")
                .guard(guard::Post())
                .to(file_request::unlock),
        )
        .service(
            web::resource("/r/{token}/draft")
                .guard(guard::Post())
                .to(file_request::add_to_draft),
        )
        .service(
            web::resource("/r/{token}/send")
                .guard(guard::Post())
                .to(file_request::send),
        );

    // Accounts (account).
    cfg.route("/signup", web::get().to(account::signup_form))
        .route("/signup", web::post().to(account::signup))
        .route("/signin", web::get().to(account::signin_form))
        .route("/signin", web::post().to(account::signin))
        .route("/signout", web::post().to(account::signout))
        .route("/me", web::get().to(account::my_transfers))
        .route("/me/{token}/delete", web::post().to(account::delete_mine))
        .route("/tokens", web::get().to(account::tokens::tokens))
        .route("/tokens", web::post().to(account::tokens::create))
        .route(
            "/tokens/{id}/revoke",
            web::post().to(account::tokens::revoke),
        )
        .route(
            "/me/verify",
            web::post().to(account::mail::send_verification),
        )
        .route("/forgot", web::get().to(account::mail::forgot_form))
        .route("/forgot", web::post().to(account::mail::forgot))
        .route("/reset/{token}", web::get().to(account::mail::reset_page))
        .route("/reset/{token}", web::post().to(account::mail::reset))
        .route("/verify/{token}", web::get().to(account::mail::verify));

    // The JSON API of an account (api::account): an API token's or a session's.
    cfg.service(
        web::resource("/api/transfers")
            .name("api_transfers")
            .route(web::get().to(api_account::transfers)),
    )
    .service(
        web::resource("/api/requests")
            .name("api_requests")
            .route(web::get().to(api_account::requests))
            .route(web::post().to(api_account::create_request)),
    )
    .service(
        web::resource("/api/requests/{token}/close")
            .name("api_request_close")
            .route(web::post().to(api_account::close_request)),
    );

    // The operator's page (admin).
    cfg.route("/admin", web::get().to(admin::overview))
        .route("/admin/users", web::get().to(admin::users::users))
        .route("/admin/users", web::post().to(admin::users::act))
        .route(
            "/admin/transfers",
            web::get().to(admin::transfers::transfers),
        )
        .route(
            "/admin/transfers/{token}/take-down",
            web::post().to(admin::transfers::take_down),
        )
        .route("/admin/jobs/{id}/retry", web::post().to(admin::retry));

    // The curl API's short paths (api::curl) and the downloads (share::download).
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
            .route(web::put().to(put_three))
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
        return upload::upload_page(request, session, service, config).await;
    }
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(
        "Ferry — share files.\n\n  curl -T file.pdf <this url>\n  curl -F filedata=@a.txt -F filedata=@b.txt <this url>\n\nResumable uploads: tus 1.0 at /files/\n",
    ))
}

async fn post_root(
    request: HttpRequest,
    session: Session,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    curl::post_multipart(request, session, body, service, config).await
}

/// `PUT /{name}`.
async fn put_one(
    request: HttpRequest,
    session: Session,
    path: web::Path<String>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    curl::put_file(request, session, body, service, config, &path).await
}

/// `PUT /put/{name}`, `PUT /upload/{name}`.
async fn put_two(
    request: HttpRequest,
    session: Session,
    path: web::Path<(String, String)>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let (first, name) = path.into_inner();
    match first.as_str() {
        "put" | "upload" => curl::put_file(request, session, body, service, config, &name).await,
        _ => Err(Error::NotFound),
    }
}

/// `PUT /r/{token}/{name}`: one file into a file request.
async fn put_three(
    request: HttpRequest,
    session: Session,
    path: web::Path<(String, String, String)>,
    body: web::Payload,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<crate::http::password::Passwords>,
) -> Result<HttpResponse> {
    let (first, token, name) = path.into_inner();
    match first.as_str() {
        "r" => {
            curl::put_into_request(
                request, session, body, service, config, passwords, &token, &name,
            )
            .await
        }
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

/// `GET /get/{token}/{name}`, `GET /inline/{token}/{name}`, `GET /thumb/{token}/{name}`
/// (an image's thumbnail), `GET /preview/{token}/{name}` (a video, audio, PDF or text
/// file shown in the browser: free without a download limit, a counted download with
/// one; see `Presentation::Preview`).
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
        "preview" => Presentation::Preview,
        "thumb" => return download::thumbnail(&request, session, service, &token, &name).await,
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
    curl::delete(service, &token, &name, &deletion_token).await
}

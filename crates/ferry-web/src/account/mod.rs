//! Accounts: sign up, sign in, sign out, and "my transfers".
//!
//! A new password must pass `ferry_core::AccountPassword` (length, a common-password
//! list, zxcvbn's estimate; the form says why when it does not) before it is hashed
//! with argon2id. Signing in renews the session id. Sign-in is rate limited per client
//! IP and per account, sign-up per client IP, in Redis, so the limits hold across all
//! web processes; a visitor over one gets 429 with `Retry-After`. Hashing is bounded
//! in memory (see `crate::http::password`).
//!
//! A new account page or form goes here, beside the handler its markup belongs to;
//! its route goes in `routes.rs`; what every page shows about the visitor (the header's
//! sign-in state) is `crate::http::visitor` and `crate::http::html`.
//!
//! The e-mail pages (forgot / reset / verify) are in [`mail`].
//!
//! A new setting is a field of `Config`; a new job type is enqueued through a use case
//! of `ferry_core::Service`, never built here; a new string stays beside the markup
//! that shows it (the full list is in `crate::http`'s module docs).

pub mod mail;
pub mod tokens;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use ferry_core::{
    MIN_ACCOUNT_PASSWORD_CHARS, Service,
    mail::plausible_email,
    rate_limit::{self, Bucket},
};
use ferry_state::State;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    Config,
    config::Signup,
    http::{
        csrf,
        error::{Error, Result},
        html::{CsrfOnly, csrf_field, limits_line, linked, page, redirect, respond},
        language::Locale,
        password::Passwords,
        request,
        visitor::{self, Visitor},
    },
};

fn form_page(
    visitor: &Visitor,
    mail: bool,
    kind: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let l = visitor.locale;
    let (title, action, button, other): (&str, &str, &str, Markup) = match kind {
        "signup" => (
            "signup-title",
            "/signup",
            "sign-up",
            linked(l, "have-account", "/signin", "sign-in"),
        ),
        _ => (
            "signin-title",
            "/signin",
            "sign-in",
            linked(l, "new-here", "/signup", "signup-title"),
        ),
    };
    let title = l.t(title);
    let signup = kind == "signup";
    let autocomplete = if signup {
        "new-password"
    } else {
        "current-password"
    };
    let body = html! {
        section.card {
            h1 { (title) }
            p.lead { (l.t("account-lead")) }
            @if let Some(error) = error {
                div.notice.error role="alert" { (error) }
            }
            form method="post" action=(action) {
                (csrf_field(&visitor.csrf))
                label for="email" { (l.t("email-label")) }
                input #email name="email" type="email" autocomplete="email" required value=(email);
                label for="password" { (l.t("password-label")) }
                @if signup {
                    input #password name="password" type="password" autocomplete=(autocomplete) required
                        minlength=(MIN_ACCOUNT_PASSWORD_CHARS) aria-describedby="password-hint";
                    small #password-hint .hint {
                        (l.t_args("account-password-hint", &[("min", MIN_ACCOUNT_PASSWORD_CHARS.into())]))
                    }
                } @else {
                    input #password name="password" type="password" autocomplete=(autocomplete) required;
                }
                p { button type="submit" { (l.t(button)) } }
            }
            @if mail && !signup {
                p { a href="/forgot" { (l.t("forgot-link")) } }
            }
            @if visitor.signup_open || signup {
                p.muted { (other) }
            }
        }
    };
    respond(status, page(&title, &visitor.viewer(), body, None))
}

/// `GET /signup`: the sign-up form.
pub async fn signup_form(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    if config.signup == Signup::Closed {
        return Ok(signup_closed_page(&visitor));
    }
    Ok(form_page(
        &visitor,
        config.mail.enabled(),
        "signup",
        "",
        None,
        StatusCode::OK,
    ))
}

/// `/signup` when `SIGNUP=closed`: 403, saying who makes accounts here.
fn signup_closed_page(visitor: &Visitor) -> HttpResponse {
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("signup-title")) }
            p.lead { (l.t("signup-closed")) }
            p { a href="/signin" { (l.t("sign-in")) } }
        }
    };
    respond(
        StatusCode::FORBIDDEN,
        page(&l.t("signup-title"), &visitor.viewer(), body, None),
    )
}

/// `GET /signin`: the sign-in form.
pub async fn signin_form(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    Ok(form_page(
        &visitor,
        config.mail.enabled(),
        "signin",
        "",
        None,
        StatusCode::OK,
    ))
}

/// The sign-up and sign-in form.
#[derive(Deserialize)]
pub struct Credentials {
    _csrf: String,
    email: String,
    password: String,
}

/// `POST /signup`: rate limited per client IP in Redis (every web process counts
/// into one bucket), and hashing waits for a slot of the bounded hasher.
pub async fn signup(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    if config.signup == Signup::Closed {
        return Err(Error::Forbidden("signup_closed"));
    }
    let ip = request::client_ip(&request, &config);
    let buckets = [Bucket {
        name: format!("signup-ip:{ip}"),
        max: config.signup_attempts_per_ip,
        window_secs: 600,
    }];
    rate_limit::enforce(&state, &buckets).await?;
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let email = form.email.trim().to_lowercase();
    // A browser gets the form again, saying what to change; any other client a 400
    // with the same sentence (`{"error":"bad_request","message":…}`, in English).
    let refuse = |message: String, english: String| {
        if request::wants_html(&request) {
            Ok(form_page(
                &visitor,
                config.mail.enabled(),
                "signup",
                &email,
                Some(&message),
                StatusCode::BAD_REQUEST,
            ))
        } else {
            Err(Error::bad_request(english))
        }
    };
    let l = visitor.locale;
    if !plausible_email(&email) {
        return refuse(l.t("error-not-email"), Locale::En.t("error-not-email"));
    }
    // Checked before hashing: argon2 is the expensive part, and a refused password
    // never reaches it.
    let password = match passwords
        .check_new(form.password.clone(), email.clone())
        .await?
    {
        Ok(password) => password,
        Err(weak) => return refuse(weak.message(l), weak.to_string()),
    };
    let hash = passwords.hash(password.expose().to_owned()).await?;
    let Some(user) = state.create_user(&email, &hash).await? else {
        return Ok(form_page(
            &visitor,
            config.mail.enabled(),
            "signup",
            &email,
            Some(&l.t("error-account-exists")),
            StatusCode::CONFLICT,
        ));
    };
    visitor::sign_in(&request, &session, &service, &config, &user).await?;
    // The account exists either way; a verification mail that could not be queued
    // is asked for again from /me ("send it again").
    if config.mail.enabled() {
        let base = request::base_url(&request, &config);
        if let Err(e) = service
            .request_verification(&user, &base, visitor.locale)
            .await
        {
            tracing::warn!(error = %e, "could not enqueue the verification mail");
        }
    }
    Ok(redirect("/me"))
}

/// `POST /signin`: rate limited per client IP and per account; a wrong e-mail costs
/// the same time as a wrong password.
pub async fn signin(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let email = form.email.trim().to_lowercase();
    let ip = request::client_ip(&request, &config);
    let buckets = [
        Bucket {
            name: format!("signin-ip:{ip}"),
            max: config.signin_attempts_per_ip,
            window_secs: 300,
        },
        Bucket {
            name: format!("signin-account:{email}"),
            max: config.signin_attempts_per_account,
            window_secs: 300,
        },
    ];
    rate_limit::enforce(&state, &buckets).await?;
    let user = state.user_by_email(&email).await?;
    // Verify against a real hash even for unknown addresses, so timing does not tell
    // which addresses have accounts.
    let (hash, user) = match user {
        Some(user) => (user.password_hash.clone(), Some(user)),
        None => (DUMMY_HASH.to_owned(), None),
    };
    let matches = passwords.verify(form.password.clone(), hash).await?;
    match user {
        // The right password of a disabled account: said plainly (whoever typed it
        // knows the password, so nothing is given away).
        Some(user) if matches && user.disabled_at.is_some() => Ok(form_page(
            &visitor,
            config.mail.enabled(),
            "signin",
            &email,
            Some(&visitor.locale.t("error-signin-disabled")),
            StatusCode::FORBIDDEN,
        )),
        Some(user) if matches => {
            visitor::sign_in(&request, &session, &service, &config, &user).await?;
            Ok(redirect("/me"))
        }
        _ => Ok(form_page(
            &visitor,
            config.mail.enabled(),
            "signin",
            &email,
            Some(&visitor.locale.t("error-signin-wrong")),
            StatusCode::UNAUTHORIZED,
        )),
    }
}

/// argon2id hash of a random string, verified against for unknown e-mail addresses.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qk6cNWYbhXy4w0Z0u1pRZPNzEC5R2fDZ2oJ2cvnc4dE";

/// `POST /signout`: ends the sign-in.
pub async fn signout(
    request: HttpRequest,
    session: Session,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    visitor::sign_out(&request, &session);
    Ok(redirect("/"))
}

/// `GET /me`: the signed-in user's transfers.
pub async fn my_transfers(
    request: HttpRequest,
    session: Session,
    state: web::Data<State>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, &state, &config).await?;
    let Some(user) = &visitor.user else {
        return Ok(redirect("/signin"));
    };
    let base = request::base_url(&request, &config);
    let transfers = state.transfers_of(user.id).await?;
    let storage = state.storage_of(user.id).await?;
    let ids: Vec<uuid::Uuid> = transfers.iter().map(|t| t.id).collect();
    let via: std::collections::HashMap<uuid::Uuid, String> =
        state.request_titles(&ids).await?.into_iter().collect();
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("me-title")) }
            p.lead {
                (l.t_args("me-signed-in-as", &[("email", user.email.as_str().into())]))
                " " a href="/requests" { (l.t("me-ask-for-files")) }
                " " a href="/tokens" { (l.t("me-api-tokens")) }
            }
            p.muted #storage {
                @match storage.quota {
                    Some(quota) => (l.t_args("me-storage-quota", &[("used", l.size(storage.used).into()), ("total", l.size(quota).into())])),
                    None => (l.t_args("me-storage-used", &[("used", l.size(storage.used).into())])),
                }
            }
            @if config.mail.enabled() {
                @if user.email_verified_at.is_some() {
                    p.muted #address-status { (l.t("me-confirmed")) }
                } @else {
                    form #address-status method="post" action="/me/verify" {
                        (csrf_field(&visitor.csrf))
                        p.muted {
                            (l.t("me-unconfirmed")) " "
                            button.link type="submit" { (l.t("me-send-again")) }
                        }
                    }
                }
            }
            @if transfers.is_empty() {
                p.muted { (linked(l, "me-nothing", "/", "me-send-some")) }
            }
            ul.files {
                @for transfer in &transfers {
                    @let names: Vec<&str> = transfer.files.iter().map(|f| f.name.as_str()).collect();
                    li {
                        div.progress-row {
                            a.name href={ "/s/" (transfer.token) } { (names.join(", ")) }
                            span.meta {
                                @if let Some(title) = via.get(&transfer.id) {
                                    span.via { (l.t_args("me-via-request", &[("title", title.as_str().into())])) }
                                }
                                (limits_line(l, transfer))
                            }
                            span.muted { (base) "/s/" (transfer.token) }
                        }
                        span.size { (l.size(transfer.total_size())) }
                        form method="post" action={ "/me/" (transfer.token) "/delete" } {
                            (csrf_field(&visitor.csrf))
                            button.link type="submit" { (l.t("delete")) }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&l.t("me-title"), &visitor.viewer(), body, None),
    ))
}

/// `POST /me/{token}/delete`: deletes one of the signed-in user's transfers.
pub async fn delete_mine(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor.user.ok_or(Error::Forbidden("sign_in_required"))?;
    service.delete_owned_transfer(&token, user.id).await?;
    Ok(redirect("/me"))
}

//! The account's e-mail pages: "Forgot your password?" (`/forgot`), the reset link's
//! page (`/reset/{token}`), the verification link (`/verify/{token}`) and "send it
//! again" (`POST /me/verify`). All of them exist only when SMTP_URL is set (404
//! otherwise, and no page links to them).
//!
//! The forgot form answers the same page, after the same work (one outbox row and
//! one job), whether or not the address has an account: the worker decides. It is
//! rate limited per client address and per typed address. Tokens travel in the path,
//! which the access log records only as its pattern (`/reset/{token}`), and pages
//! send `Referrer-Policy: no-referrer`, so a token leaks to no log and no other site.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use ferry_core::{
    MIN_ACCOUNT_PASSWORD_CHARS, Service,
    rate_limit::{self, Bucket},
};
use ferry_state::mail::TokenUse;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    Config,
    http::{
        csrf,
        error::{Error, Result},
        html::{csrf_field, linked, page, redirect, respond},
        password::Passwords,
        request,
        visitor::{self, Visitor},
    },
};

fn mail_on(config: &Config) -> Result<()> {
    if config.mail.enabled() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

fn card(visitor: &Visitor, title: &str, status: StatusCode, body: Markup) -> HttpResponse {
    let title = visitor.locale.t(title);
    let body = html! { section.card { h1 { (title) } (body) } };
    respond(status, page(&title, &visitor.viewer(), body, None))
}

/// `GET /forgot`: the address form.
pub async fn forgot_form(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let l = visitor.locale;
    let body = html! {
        p.lead { (l.t("forgot-lead")) }
        form method="post" action="/forgot" {
            (csrf_field(&visitor.csrf))
            label for="email" { (l.t("email-label")) }
            input #email name="email" type="email" autocomplete="email" required;
            p { button type="submit" { (l.t("forgot-button")) } }
        }
    };
    Ok(card(&visitor, "forgot-title", StatusCode::OK, body))
}

/// The forgot form.
#[derive(Deserialize)]
pub struct ForgotForm {
    _csrf: String,
    email: String,
}

/// `POST /forgot`: enqueues the reset mail; the same answer for any address.
pub async fn forgot(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let email = form.email.trim().to_lowercase();
    let ip = request::client_ip(&request, &config);
    let buckets = [
        Bucket {
            name: format!("reset-ip:{ip}"),
            max: config.password_resets_per_ip_per_hour,
            window_secs: 3600,
        },
        Bucket {
            name: format!("reset-address:{email}"),
            max: config.password_resets_per_address_per_hour,
            window_secs: 3600,
        },
    ];
    rate_limit::enforce(service.state(), &buckets).await?;
    let base = request::base_url(&request, &config);
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let l = visitor.locale;
    service.request_password_reset(&email, &base, l).await?;
    let body = html! {
        p.lead { (l.t("check-mail-lead")) }
        p.muted { a href="/signin" { (l.t("back-to-signin")) } }
    };
    Ok(card(&visitor, "check-mail-title", StatusCode::OK, body))
}

fn dead_link(visitor: &Visitor, used: TokenUse) -> HttpResponse {
    let l = visitor.locale;
    let why = match used {
        TokenUse::Expired => "link-expired",
        _ => "link-used",
    };
    let body = html! {
        div.notice.error role="alert" { (l.t(why)) }
        p { a href="/forgot" { (l.t("ask-new-link")) } }
    };
    card(visitor, "link-invalid-title", StatusCode::GONE, body)
}

fn reset_form(
    visitor: &Visitor,
    token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let l = visitor.locale;
    let body = html! {
        @if let Some(error) = error {
            div.notice.error role="alert" { (error) }
        }
        form method="post" action={ "/reset/" (token) } {
            (csrf_field(&visitor.csrf))
            label for="password" { (l.t("new-password-label")) }
            input #password name="password" type="password" autocomplete="new-password" required
                minlength=(MIN_ACCOUNT_PASSWORD_CHARS) aria-describedby="password-hint";
            small #password-hint .hint {
                (l.t_args("reset-hint", &[("min", MIN_ACCOUNT_PASSWORD_CHARS.into())]))
            }
            p { button type="submit" { (l.t("reset-button")) } }
        }
    };
    card(visitor, "reset-title", status, body)
}

/// `GET /reset/{token}`: the new-password form, or why the link does not work.
pub async fn reset_page(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    match service.reset_token_state(&token).await? {
        TokenUse::Live(_) => Ok(reset_form(&visitor, &token, None, StatusCode::OK)),
        other => Ok(dead_link(&visitor, other)),
    }
}

/// The new-password form.
#[derive(Deserialize)]
pub struct ResetForm {
    _csrf: String,
    password: String,
}

/// `POST /reset/{token}`: sets the password, uses the token up, signs out every
/// session of the account (on every web process: the account's session epoch).
pub async fn reset(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    passwords: web::Data<Passwords>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let ip = request::client_ip(&request, &config);
    // Guessing tokens is hopeless (256 bits), but each try costs a lookup and maybe a
    // hash: bounded like sign-in.
    rate_limit::enforce(
        service.state(),
        &[Bucket {
            name: format!("reset-use-ip:{ip}"),
            max: config.signin_attempts_per_ip,
            window_secs: 300,
        }],
    )
    .await?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = match service.reset_token_state(&token).await? {
        TokenUse::Live(user) => user,
        other => return Ok(dead_link(&visitor, other)),
    };
    let email = service
        .state()
        .user_by_id(user)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let password = match passwords.check_new(form.password.clone(), email).await? {
        Ok(password) => password,
        Err(weak) => {
            return Ok(reset_form(
                &visitor,
                &token,
                Some(&weak.message(visitor.locale)),
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let hash = passwords.hash(password.expose().to_owned()).await?;
    match service.reset_password_with_token(&token, &hash).await? {
        TokenUse::Used(_) => {
            // This browser, too, starts afresh: it signs in with the new password.
            visitor::sign_out(&request, &session);
            let l = visitor.locale;
            let body = html! {
                div.notice.ok { (l.t("password-changed")) }
                p { a.button href="/signin" { (l.t("sign-in")) } }
            };
            Ok(card(
                &visitor,
                "password-changed-title",
                StatusCode::OK,
                body,
            ))
        }
        other => Ok(dead_link(&visitor, other)),
    }
}

/// `GET /verify/{token}`: confirms the account's address.
pub async fn verify(
    request: HttpRequest,
    session: Session,
    token: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let l = visitor.locale;
    match service.verify_address(&token).await? {
        TokenUse::Used(_) => {
            let body = html! {
                div.notice.ok { (l.t("me-confirmed")) }
                p { a.button href="/me" { (l.t("me-title")) } }
            };
            Ok(card(
                &visitor,
                "address-confirmed-title",
                StatusCode::OK,
                body,
            ))
        }
        other => {
            let why = match other {
                TokenUse::Expired => "link-expired",
                _ => "link-used",
            };
            let body = html! {
                div.notice.error role="alert" { (l.t(why)) }
                p { (linked(l, "verify-ask-again", "/me", "me-title")) }
            };
            Ok(card(&visitor, "link-invalid-title", StatusCode::GONE, body))
        }
    }
}

/// `POST /me/verify`: mails the verification link again (rate limited per account).
pub async fn send_verification(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<crate::http::html::CsrfOnly>,
) -> Result<HttpResponse> {
    mail_on(&config)?;
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor.user.ok_or(Error::Forbidden("sign_in_required"))?;
    if user.email_verified_at.is_none() {
        rate_limit::enforce(
            service.state(),
            &[Bucket {
                name: format!("verify-account:{}", user.id),
                max: config.verification_mails_per_hour,
                window_secs: 3600,
            }],
        )
        .await?;
        let base = request::base_url(&request, &config);
        service
            .request_verification(&user, &base, visitor.locale)
            .await?;
    }
    Ok(redirect("/me"))
}

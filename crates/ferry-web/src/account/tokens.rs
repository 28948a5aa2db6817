//! `/tokens`: a signed-in user's personal API tokens (`ferry_core::api_token`) — make
//! one (shown once, on the answer to the form: never in a URL, never again), see the
//! list (name, first characters, scopes, last use, expiry) and revoke one. Only a
//! browser session manages tokens; a token cannot make or revoke tokens.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;
use ferry_core::{
    Service,
    api_token::{MAX_EXPIRY_DAYS, MAX_NAME_CHARS, NewToken, Scope, TokenForm},
};
use ferry_state::api_token::ApiToken;
use maud::{Markup, html};
use uuid::Uuid;

use crate::{
    Config,
    http::{
        csrf,
        error::{Error, Result},
        html::{CsrfOnly, csrf_field, page, redirect, respond},
        language::Locale,
        visitor::{self, Visitor},
    },
};

/// The scope's label key.
fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::Upload => "tokens-scope-upload",
        Scope::Read => "tokens-scope-read",
        Scope::Requests => "tokens-scope-requests",
    }
}

/// `GET /tokens`: the list and the form.
pub async fn tokens(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
) -> Result<HttpResponse> {
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    tokens_page(&visitor, &service, None, None, StatusCode::OK).await
}

/// The page: `made` is a token just made (its secret shown once), `problem` why the
/// form was refused.
async fn tokens_page(
    visitor: &Visitor,
    service: &Service,
    made: Option<&NewToken>,
    problem: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse> {
    let Some(user) = &visitor.user else {
        return Ok(redirect("/signin"));
    };
    let tokens = service.state().api_tokens_of(user.id).await?;
    let l = visitor.locale;
    let body = html! {
        section.card {
            h1 { (l.t("tokens-title")) }
            p.lead { (l.t("tokens-lead")) " " a href="/me" { (l.t("nav-my-transfers")) } }
            @if let Some(made) = made {
                div.notice role="status" {
                    p { strong { (l.t("tokens-made")) } }
                    div.share-link {
                        input #new-token type="text" readonly value=(made.secret)
                            aria-label=(l.t_args("tokens-secret-label", &[("name", made.token.name.as_str().into())]));
                        button type="button" data-copy="new-token" data-status="copy-status"
                            data-copied=(l.t("copied")) data-copied-status=(l.t("copied-status")) { (l.t("copy")) }
                    }
                    p.muted { (l.t("tokens-made-once")) }
                }
            }
            @if tokens.is_empty() {
                p.muted { (l.t("tokens-none")) }
            } @else {
                ul.files #token-list {
                    @for token in &tokens {
                        (token_row(l, token, &visitor.csrf))
                    }
                }
            }
            span.sr-only #copy-status role="status" aria-live="polite" {}
        }
        section.card aria-labelledby="new-token-title" {
            h2 #new-token-title { (l.t("tokens-new")) }
            @if let Some(problem) = problem {
                p.notice.error role="alert" { (problem) }
            }
            form method="post" action="/tokens" {
                (csrf_field(&visitor.csrf))
                label for="token-name" { (l.t("tokens-field-name")) }
                input #token-name name="name" type="text" required maxlength=(MAX_NAME_CHARS)
                    placeholder=(l.t("tokens-name-example"));
                fieldset {
                    legend { (l.t("tokens-field-scopes")) }
                    @for scope in Scope::ALL {
                        label.check {
                            input name="scope" type="checkbox" value=(scope.as_str()) checked[scope == Scope::Upload];
                            " " (l.t(scope_label(scope)))
                        }
                    }
                }
                label for="token-expiry" { (l.t("tokens-field-expiry")) }
                input #token-expiry name="expires_in_days" type="number" min="1" max=(MAX_EXPIRY_DAYS)
                    placeholder=(l.t("tokens-never")) aria-describedby="expiry-hint";
                small #expiry-hint .hint { (l.t("tokens-expiry-hint")) }
                p { button type="submit" { (l.t("tokens-create")) } }
            }
        }
    };
    Ok(respond(
        status,
        page(
            &l.t("tokens-title"),
            &visitor.viewer(),
            body,
            Some("share.js"),
        ),
    ))
}

/// One token of the list.
fn token_row(l: Locale, token: &ApiToken, csrf: &str) -> Markup {
    let expired = token.expires_at.is_some_and(|t| t <= Utc::now());
    let scopes: Vec<String> = token
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .map(|s| l.t(scope_label(s)))
        .collect();
    html! {
        li.token {
            div.progress-row {
                span.name { (token.name) }
                span.meta.spaced {
                    code { (token.prefix) "…" }
                    span { (scopes.join(", ")) }
                    @match token.last_used_at {
                        Some(at) => span { (l.t_args("tokens-last-used", &[("date", l.date_time(at).into())])) },
                        None => span { (l.t("tokens-never-used")) },
                    }
                    @match token.expires_at {
                        Some(_) if expired => span { (l.t("tokens-expired")) },
                        Some(at) => span { (l.t_args("tokens-expires", &[("date", l.date_time(at).into())])) },
                        None => span { (l.t("tokens-no-expiry")) },
                    }
                }
            }
            form method="post" action={ "/tokens/" (token.id) "/revoke" } {
                (csrf_field(csrf))
                button.link type="submit"
                    aria-label=(l.t_args("tokens-revoke-label", &[("name", token.name.as_str().into())])) {
                    (l.t("tokens-revoke"))
                }
            }
        }
    }
}

/// `POST /tokens`: makes a token and shows it once.
pub async fn create(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse> {
    // A form with repeated `scope` fields: read as pairs, not a struct.
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    csrf::verify(&request, &session, &config, Some(&field("_csrf")))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor
        .user
        .as_ref()
        .ok_or(Error::Forbidden("sign_in_required"))?;
    let typed = TokenForm {
        name: field("name"),
        scopes: form
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect(),
        expires_in_days: field("expires_in_days"),
        locale: visitor.locale,
    };
    match service.create_api_token(user.id, &typed).await {
        Ok(made) => tokens_page(&visitor, &service, Some(&made), None, StatusCode::OK).await,
        Err(ferry_core::Error::Invalid(problem)) => {
            tokens_page(
                &visitor,
                &service,
                None,
                Some(&problem),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /tokens/{id}/revoke`: revokes one of the signed-in user's tokens.
pub async fn revoke(
    request: HttpRequest,
    session: Session,
    id: web::Path<String>,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse> {
    csrf::verify(&request, &session, &config, Some(&form._csrf))?;
    let visitor = visitor::load(&request, &session, service.state(), &config).await?;
    let user = visitor.user.ok_or(Error::Forbidden("sign_in_required"))?;
    let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound)?;
    service.revoke_api_token(user.id, id).await?;
    Ok(redirect("/tokens"))
}

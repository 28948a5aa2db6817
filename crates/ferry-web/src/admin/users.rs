//! `/admin/users`: every account (searchable by address) with what an admin may do to
//! it — make admin or not, disable or enable, set its storage quota, delete it with
//! its transfers. Each action is a use case of `ferry_core::Service` that writes the
//! audit log; the page only asks.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use ferry_core::Service;
use maud::html;
use serde::Deserialize;

use crate::{
    Config,
    http::{
        error::{Error, Result},
        html::{csrf_field, redirect},
    },
};

use super::{acting_admin, admin, admin_page, nav};

/// The search box.
#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    pub(super) q: String,
}

/// `GET /admin/users?q=`: the accounts whose address contains `q`.
pub async fn users(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    query: web::Query<Search>,
) -> Result<HttpResponse> {
    let visitor = admin(&request, &session, service.state(), &config).await?;
    let l = visitor.locale;
    let found = service.state().search_users(query.q.trim(), 200).await?;
    let body = html! {
        section.card {
            h1 { (l.t("admin-users")) }
            (nav(l))
            form.search method="get" action="/admin/users" role="search" {
                label for="user-search" { (l.t("admin-search-users")) }
                input #user-search name="q" type="search" value=(query.q);
                button type="submit" { (l.t("admin-search")) }
            }
            ul.files #user-list {
                @for user in &found {
                    li {
                        div.progress-row {
                            span.name { (user.email) }
                            span.meta.spaced {
                                @if user.is_admin { span { (l.t("admin-role-admin")) } }
                                @if user.disabled_at.is_some() { span { (l.t("admin-disabled")) } }
                                span { (l.t_args("admin-user-transfers", &[("count", user.live_transfers.into())])) }
                                span { (l.t_args("admin-user-storage", &[("used", l.size(user.used_bytes).into())])) }
                                @if let Some(quota) = user.quota_bytes {
                                    span { (l.t_args("admin-own-quota", &[("size", l.size(quota).into())])) }
                                }
                            }
                        }
                        form.actions method="post" action="/admin/users" {
                            (csrf_field(&visitor.csrf))
                            input type="hidden" name="email" value=(user.email);
                            @if user.is_admin {
                                button.secondary name="action" value="revoke_admin" { (l.t("admin-revoke-admin")) }
                            } @else {
                                button.secondary name="action" value="make_admin" { (l.t("admin-make-admin")) }
                            }
                            @if user.disabled_at.is_some() {
                                button.secondary name="action" value="enable" { (l.t("admin-enable")) }
                            } @else {
                                button.secondary name="action" value="disable" { (l.t("admin-disable")) }
                            }
                            label.sr-only for={ "quota-" (user.email) } { (l.t_args("admin-quota-label", &[("email", user.email.as_str().into())])) }
                            input id={ "quota-" (user.email) } name="quota" type="text" size="8" placeholder=(l.t("admin-quota-placeholder"));
                            button.secondary name="action" value="quota" { (l.t("admin-set-quota")) }
                            button.secondary name="action" value="delete" { (l.t("admin-delete-user")) }
                        }
                    }
                }
                @if found.is_empty() {
                    li.muted { (l.t("admin-none")) }
                }
            }
        }
    };
    Ok(admin_page(&l.t("admin-users"), &visitor, body))
}

/// One action on one account.
#[derive(Deserialize)]
pub struct UserAction {
    _csrf: String,
    email: String,
    action: String,
    #[serde(default)]
    quota: String,
}

/// `POST /admin/users`: does `action` to the account `email`, as the signed-in admin.
pub async fn act(
    request: HttpRequest,
    session: Session,
    service: web::Data<Service>,
    config: web::Data<Config>,
    form: web::Form<UserAction>,
) -> Result<HttpResponse> {
    let actor = acting_admin(&request, &session, service.state(), &config, &form._csrf).await?;
    let actor = actor.as_str();
    let email = form.email.as_str();
    let done = match form.action.as_str() {
        "make_admin" => service.set_admin(actor, email, true).await?,
        "revoke_admin" if email.eq_ignore_ascii_case(actor) => {
            return Err(Error::bad_request(
                "an admin cannot take their own role away here",
            ));
        }
        "revoke_admin" => service.set_admin(actor, email, false).await?,
        "disable" if email.eq_ignore_ascii_case(actor) => {
            return Err(Error::bad_request(
                "an admin cannot disable their own account",
            ));
        }
        "disable" => service.set_user_disabled(actor, email, true).await?,
        "enable" => service.set_user_disabled(actor, email, false).await?,
        "delete" if email.eq_ignore_ascii_case(actor) => {
            return Err(Error::bad_request(
                "an admin cannot delete their own account here",
            ));
        }
        "delete" => service.delete_user(actor, email).await?.is_some(),
        "quota" => {
            let quota = match form.quota.trim() {
                "" | "default" => None,
                size => Some(
                    ferry_process::parse_size(size)
                        .map_err(|e| Error::bad_request(format!("quota {size:?}: {e}")))?,
                ),
            };
            service.set_user_quota(actor, email, quota).await?
        }
        _ => return Err(Error::bad_request("unknown action")),
    };
    if !done {
        return Err(Error::NotFound);
    }
    Ok(redirect(&format!(
        "/admin/users?q={}",
        percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC)
    )))
}

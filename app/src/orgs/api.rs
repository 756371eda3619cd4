//! Organization server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::OrgOverview;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{cookies, request, state::AppState};

#[server(output = crate::wire::Packed)]
pub async fn get_org_overview(region: String, short_name: String) -> Result<OrgOverview, AppError> {
    request::org_page(&region, &short_name, async |state, member| {
        service::overview(state, member).await
    })
    .await
}

/// The organization settings page.
#[server(output = crate::wire::Packed)]
pub async fn get_org_settings(
    region: String,
    short_name: String,
) -> Result<super::types::OrgSettings, AppError> {
    // A key made by a plain form post comes in its page-scoped cookie: shown once.
    let new_key = request::cookie(cookies::Cookie::NewKey).filter(|k| !k.is_empty());
    let path = crate::paths::settings_path(&region, &short_name);
    request::org_page(&region, &short_name, async |state, member| {
        // Only now are region and short name known to be real (and safe in a cookie path).
        if new_key.is_some() {
            request::set_cookie(cookies::clear_new_key_cookie(
                &path,
                state.settings.secure_cookies,
            ));
        }
        service::settings(state, member, new_key.as_deref()).await
    })
    .await
}

/// "Send invitation" on the settings page. Answers (and, without JavaScript, redirects
/// to) the settings page saying who was invited.
#[server(output = crate::wire::Packed)]
pub async fn invite_member(
    region: String,
    short_name: String,
    email: String,
    role: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        crate::people::server::service::invite_member(
            &state,
            &member,
            &email,
            &role,
            crate::people::server::service::IfOpen::SendAgain,
        )
        .await
    }
    .await;
    request::respond(result.map(|_| {
        let to = format!(
            "{}?invited={}",
            crate::paths::settings_path(&region, &short_name),
            crate::url::encode(email.trim())
        );
        request::redirect_form_post(&to);
        to
    }))
}

/// "Require a second factor" on the settings page (OWNERs only).
#[server(output = crate::wire::Packed)]
pub async fn save_second_factor_policy(
    region: String,
    short_name: String,
    policy: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::save_second_factor_policy(&state, &member, &policy).await
    }
    .await;
    request::respond(result.map(|()| {
        let to = format!(
            "{}?second_factor=saved#second-factor",
            crate::paths::settings_path(&region, &short_name)
        );
        request::redirect_form_post(&to);
        to
    }))
}

/// "May I do `permission` here?" for the signed-in member, from the same rules as the
/// REST API's `GET /api/v1/permissions`.
#[server(output = crate::wire::Packed)]
pub async fn check_permission(
    region: String,
    short_name: String,
    permission: String,
) -> Result<crate::roles::Decision, AppError> {
    let state = AppState::current();
    let result = async {
        let permission = crate::roles::Permission::from_code(&permission)
            .ok_or_else(|| AppError::field("permission", "errors.permission_unknown"))?;
        let member = request::member(&state, &region, &short_name).await?;
        member.decide(&state, permission).await
    }
    .await;
    request::respond(result)
}

/// "Leave organization" on the organization's home page.
#[server(output = crate::wire::Packed)]
pub async fn leave_organization(
    region: String,
    short_name: String,
    confirm: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::leave(&state, &member, request::checkbox(&confirm)).await
    }
    .await;
    request::respond(result.map(|()| {
        request::redirect_form_post("/");
        "/".to_owned()
    }))
}

/// "Offer ownership" on the settings page (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn offer_ownership(
    region: String,
    short_name: String,
    to: i64,
    role_after: String,
) -> Result<String, AppError> {
    let back_to = format!(
        "{}?transfer=sent#transfer",
        crate::paths::settings_path(&region, &short_name)
    );
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::offer_ownership(state, member, to, &role_after).await
    })
    .await
}

/// "Accept ownership" (`accept` = "yes") or "Decline", from the notifications page.
#[server(output = crate::wire::Packed)]
pub async fn answer_ownership(offer_id: i64, accept: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_principal(&state).await?;
        let home = service::answer_offer(&state, &user, offer_id, accept == "yes").await?;
        Ok(if accept == "yes" {
            home
        } else {
            "/notifications".to_owned()
        })
    }
    .await;
    request::respond(result.inspect(|to| request::redirect_form_post(to)))
}

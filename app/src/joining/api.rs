//! Joining-by-link server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::{ConfirmView, JoinView};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server(output = crate::wire::Packed)]
pub async fn get_join_link(token: String) -> Result<JoinView, AppError> {
    let state = AppState::current();
    request::no_store();
    let view = service::view(&state, &token).await;
    match &view {
        Ok(v) if v.state != super::types::LinkState::Open => request::set_page_status(410),
        Ok(_) => {}
        Err(err) => request::set_page_status(err.status()),
    }
    view
}

/// Returns the page that says where the confirmation was sent.
#[server(output = crate::wire::Packed)]
pub async fn request_join(
    token: String,
    name: String,
    email: String,
    password: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = service::request(
        &state,
        request::locale(),
        request::client_ip(),
        &token,
        &name,
        &email,
        &password,
    )
    .await;
    request::respond(result.map(|email| {
        let to = format!("/join/sent?to={}", crate::url::encode(&email));
        request::redirect_form_post(&to);
        to
    }))
}

#[server(output = crate::wire::Packed)]
pub async fn get_join_confirmation(token: String) -> Result<ConfirmView, AppError> {
    let state = AppState::current();
    request::page(service::confirm_view(&state, &token).await)
}

#[server(output = crate::wire::Packed)]
pub async fn confirm_join(token: String, password: String) -> Result<String, AppError> {
    let state = AppState::current();
    let joined =
        request::respond(service::confirm(&state, request::client_ip(), &token, &password).await)?;
    crate::auth::api::enter(&state, joined.entry, joined.home).await
}

/// The Link tab's form: the "People can add themselves" switch and the allowed domains.
#[server(output = crate::wire::Packed)]
pub async fn save_join_link(
    region: String,
    short_name: String,
    enabled: Option<String>,
    domains: String,
) -> Result<String, AppError> {
    let back_to = crate::paths::people_path(&region, &short_name);
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::update_settings(state, member, request::checkbox(&enabled), &domains).await
    })
    .await
}

/// "New link" on the Link tab: a named link with its role, last day and number of joins.
#[server(output = crate::wire::Packed)]
pub async fn create_limited_link(
    region: String,
    short_name: String,
    name: String,
    role: String,
    expires: Option<String>,
    max_joins: Option<String>,
) -> Result<String, AppError> {
    let back_to = format!("{}#link", crate::paths::people_path(&region, &short_name));
    request::org_action(&region, &short_name, back_to, async |state, member| {
        let form = service::NewLink {
            name: &name,
            role: &role,
            expires: expires.as_deref().unwrap_or_default(),
            max_joins: max_joins.as_deref().unwrap_or_default(),
        };
        service::create_limited_link(state, member, form).await
    })
    .await
}

/// "Disable" on a limited link.
#[server(output = crate::wire::Packed)]
pub async fn disable_limited_link(
    region: String,
    short_name: String,
    link_id: i64,
) -> Result<String, AppError> {
    let back_to = format!("{}#link", crate::paths::people_path(&region, &short_name));
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::disable_limited_link(state, member, link_id).await
    })
    .await
}

//! Invitation server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::InvitationView;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server(output = crate::wire::Packed)]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    let state = AppState::current();
    request::no_store();
    let view = service::view(&state, &token).await;
    match &view {
        Ok(v) if v.state != super::types::InvitationState::Open => request::set_page_status(410),
        Ok(_) => {}
        Err(err) => request::set_page_status(err.status()),
    }
    view
}

#[server(output = crate::wire::Packed)]
pub async fn accept_invitation(
    token: String,
    name: Option<String>,
    password: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let accepted = request::respond(
        service::accept(
            &state,
            request::locale(),
            request::client_ip(),
            &token,
            name.as_deref().unwrap_or_default(),
            &password,
        )
        .await,
    )?;
    crate::auth::api::enter(&state, accepted.entry, accepted.home).await
}

/// "Invitation reminders" on the settings page (OWNERs and ADMINs).
#[server(output = crate::wire::Packed)]
pub async fn save_reminders(
    region: String,
    short_name: String,
    reminders: Option<String>,
    reminder_days: String,
) -> Result<String, AppError> {
    let back_to = format!(
        "{}?reminders=saved#reminders",
        crate::paths::settings_path(&region, &short_name)
    );
    request::org_action(&region, &short_name, back_to, async |state, member| {
        let on = request::checkbox(&reminders);
        service::save_reminders(state, member, on, &reminder_days).await
    })
    .await
}

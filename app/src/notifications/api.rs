//! Notification server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::Notifications;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

/// The signed-in person's notifications; `None` for a visitor. Not an error: the bell asks
/// this of a page whose session may end at any moment (a sign-out racing a refresh), and
/// "signed out" is an answer it acts on, not a failure.
#[server(output = crate::wire::Packed)]
pub async fn get_notifications() -> Result<Option<Notifications>, AppError> {
    let state = AppState::current();
    let result = async {
        match request::principal(&state).await? {
            Some(user) => service::list(&state, &user).await.map(Some),
            None => Ok(None),
        }
    }
    .await;
    request::respond(request::page(result))
}

#[server(output = crate::wire::Packed)]
pub async fn join_organization(invitation_id: i64) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_principal(&state).await?;
        service::join(&state, &user, invitation_id).await
    }
    .await;
    request::respond(result.inspect(|home| request::redirect_form_post(home)))
}

#[server(output = crate::wire::Packed)]
pub async fn decline_invitation(invitation_id: i64) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_principal(&state).await?;
        service::decline(&state, &user, invitation_id).await
    }
    .await;
    let to = "/notifications".to_owned();
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

/// "Dismiss" on a note of the bell.
#[server(output = crate::wire::Packed)]
pub async fn dismiss_note(note_id: i64) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_principal(&state).await?;
        service::dismiss(&state, &user, note_id).await
    }
    .await;
    let to = "/notifications".to_owned();
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

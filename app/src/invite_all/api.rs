//! Invite All server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::{BatchProgress, InviteAllPreview};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

/// "Invite All" after "Yes".
#[server(output = crate::wire::Packed)]
pub async fn invite_all(region: String, short_name: String) -> Result<String, AppError> {
    let back_to = crate::paths::people_path(&region, &short_name);
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::invite_all(state, member).await.map(|_| ())
    })
    .await
}

#[server(output = crate::wire::Packed)]
pub async fn get_invite_all_preview(
    region: String,
    short_name: String,
) -> Result<InviteAllPreview, AppError> {
    let state = AppState::current();
    request::no_store();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::preview(&state, &member).await
    }
    .await;
    request::respond(result)
}

#[server(output = crate::wire::Packed)]
pub async fn get_invite_all_progress(
    region: String,
    short_name: String,
) -> Result<Option<BatchProgress>, AppError> {
    let state = AppState::current();
    request::no_store();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::progress(&state, &member).await
    }
    .await;
    request::respond(result)
}

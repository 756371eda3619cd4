//! API key server functions (the organization settings page).

use leptos::prelude::*;

use super::types::CreatedApiKey;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server]
pub async fn create_api_key(
    region: String,
    short_name: String,
    name: String,
    role: String,
) -> Result<CreatedApiKey, AppError> {
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        super::server::service::create(&state, &member, &name, &role).await
    }
    .await;
    request::respond(result)
}

#[server]
pub async fn revoke_api_key(
    region: String,
    short_name: String,
    key_id: i64,
) -> Result<String, AppError> {
    let state = AppState::current();
    let to = format!(
        "{}/settings",
        crate::orgs::types::org_home(&region, &short_name)
    );
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        super::server::service::revoke(&state, &member, key_id).await
    }
    .await;
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

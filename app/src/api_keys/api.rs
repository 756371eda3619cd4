//! API key server functions (the organization settings page).

use leptos::prelude::*;

use super::types::CreatedApiKey;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server(output = crate::wire::Packed)]
pub async fn create_api_key(
    region: String,
    short_name: String,
    name: String,
    role: String,
    /// "scim" for a SCIM token (Settings → Provisioning); none for a REST key.
    purpose: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    let purpose = super::types::KeyPurpose::from_form(purpose.as_deref());
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        super::server::service::create(&state, &member, &name, &role, purpose).await
    }
    .await;
    // Without JavaScript the answer is a redirect back to the settings page, which shows
    // the key once from a short-lived cookie scoped to that page.
    if let Ok(created) = &result
        && request::is_form_post()
    {
        let page = crate::paths::settings_path(&region, &short_name);
        request::set_cookie(crate::cookies::new_key_cookie(
            &created.key,
            &page,
            state.settings.secure_cookies,
        ));
        request::redirect_form_post(&format!("{page}#{}", purpose.section()));
    }
    request::respond(result)
}

#[server(output = crate::wire::Packed)]
pub async fn revoke_api_key(
    region: String,
    short_name: String,
    key_id: i64,
    purpose: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::current();
    let purpose = super::types::KeyPurpose::from_form(purpose.as_deref());
    let to = format!(
        "{}#{}",
        crate::paths::settings_path(&region, &short_name),
        purpose.section()
    );
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        super::server::service::revoke(&state, &member, key_id, purpose).await
    }
    .await;
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

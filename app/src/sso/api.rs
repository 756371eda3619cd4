//! Single sign-on's server functions: the settings page's "Single sign-on" forms. Each
//! answers (and, without JavaScript, redirects to) the settings page at that section.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::request;

/// The settings page's "Single sign-on" section, saying what was done (`?sso=`).
#[cfg(feature = "ssr")]
fn back(region: &str, short_name: &str, done: &str) -> String {
    format!(
        "{}/settings?sso={done}#sso",
        crate::access::org_home(region, short_name)
    )
}

/// "Test connection" (`intent` = `test`) or "Save" (OWNERs): the provider is asked with
/// what was typed; only what works is saved. An empty secret keeps the saved one.
#[server(output = crate::wire::Packed)]
pub async fn save_sso(
    region: String,
    short_name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    sign_in_host: Option<String>,
    intent: Option<String>,
) -> Result<String, AppError> {
    let save = intent.as_deref() != Some("test");
    // After a test the page shows what was tested (all but the secret), ready to save.
    let done = if save {
        "saved".to_owned()
    } else {
        format!(
            "tested&issuer={}&client_id={}",
            crate::url::encode(issuer.trim()),
            crate::url::encode(client_id.trim())
        )
    };
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name, &done),
        async |state, member| {
            let form = service::SsoForm {
                issuer: &issuer,
                client_id: &client_id,
                client_secret: &client_secret,
                sign_in_host: sign_in_host.as_deref().unwrap_or_default(),
            };
            service::test_or_save(state, member, form, save).await
        },
    )
    .await
}

/// "Require single sign-on" on or off (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn require_sso(
    region: String,
    short_name: String,
    required: Option<String>,
) -> Result<String, AppError> {
    let required = required.is_some();
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name, "required"),
        async |state, member| service::set_required(state, member, required).await,
    )
    .await
}

/// "Turn off single sign-on" (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn remove_sso(region: String, short_name: String) -> Result<String, AppError> {
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name, "removed"),
        async |state, member| service::remove(state, member).await,
    )
    .await
}

//! Verified domains' server functions: the settings page's "Domains" forms. Each answers
//! (and, without JavaScript, redirects to) the settings page at its "Domains" section.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::request;

/// The settings page's "Domains" section.
#[cfg(feature = "ssr")]
fn back(region: &str, short_name: &str) -> String {
    format!(
        "{}/settings#domains",
        crate::access::org_home(region, short_name)
    )
}

/// "Add domain" (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn add_domain(
    region: String,
    short_name: String,
    domain: String,
) -> Result<String, AppError> {
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name),
        async |state, member| service::add(state, member, &domain).await.map(drop),
    )
    .await
}

/// "Verify": looks the domain's record up now (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn verify_domain(
    region: String,
    short_name: String,
    domain_id: i64,
) -> Result<String, AppError> {
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name),
        async |state, member| service::verify(state, member, domain_id).await.map(drop),
    )
    .await
}

/// "Remove" (OWNERs).
#[server(output = crate::wire::Packed)]
pub async fn remove_domain(
    region: String,
    short_name: String,
    domain_id: i64,
) -> Result<String, AppError> {
    request::org_action(
        &region,
        &short_name,
        back(&region, &short_name),
        async |state, member| service::remove(state, member, domain_id).await,
    )
    .await
}

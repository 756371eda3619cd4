//! Import server functions: thin wrappers that find the member and call the service.
//! The file itself arrives as a plain form upload (see the server's import routes).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::{ImportProgress, ImportReport, ImportStart};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::request;

/// The address of an import's report.
pub fn report_path(region: &str, short_name: &str, id: i64) -> String {
    format!(
        "{}/import/{id}",
        crate::paths::people_path(region, short_name)
    )
}

#[server(output = crate::wire::Packed)]
pub async fn get_import_start(region: String, short_name: String) -> Result<ImportStart, AppError> {
    request::org_page(&region, &short_name, async |state, member| {
        service::start_page(state, member).await
    })
    .await
}

#[server(output = crate::wire::Packed)]
pub async fn get_import(
    region: String,
    short_name: String,
    id: i64,
    outcome: Option<String>,
    after: Option<i32>,
) -> Result<ImportReport, AppError> {
    request::org_page(&region, &short_name, async |state, member| {
        service::report(state, member, id, outcome.as_deref(), after).await
    })
    .await
}

/// The import's progress, read while it runs (not a page: no page status).
#[server(output = crate::wire::Packed)]
pub async fn get_import_progress(
    region: String,
    short_name: String,
    id: i64,
) -> Result<ImportProgress, AppError> {
    let state = crate::state::AppState::current();
    let member = request::member(&state, &region, &short_name).await?;
    request::respond(service::progress(&state, &member, id).await)
}

/// "Import": writes the checked file's rows to be added, in the background.
#[server(output = crate::wire::Packed)]
pub async fn start_import(region: String, short_name: String, id: i64) -> Result<String, AppError> {
    let back_to = report_path(&region, &short_name, id);
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::start(state, member, id).await
    })
    .await
}

/// "Check again": the file's rows against the organization as it is now.
#[server(output = crate::wire::Packed)]
pub async fn check_import_again(
    region: String,
    short_name: String,
    id: i64,
) -> Result<String, AppError> {
    let back_to = report_path(&region, &short_name, id);
    request::org_action(&region, &short_name, back_to, async |state, member| {
        service::check_again(state, member, id).await
    })
    .await
}

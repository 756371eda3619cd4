//! The audit log's server functions: the page, and its exports.

use leptos::prelude::*;

use super::types::{AuditExport, AuditFilter, AuditPage};
use crate::error::AppError;

/// The audit page: entries matching the filter in the address, older ones after `cursor`.
#[server(output = crate::wire::Packed)]
pub async fn get_audit_log(
    region: String,
    short_name: String,
    filter: Option<AuditFilter>,
    cursor: Option<String>,
) -> Result<AuditPage, AppError> {
    crate::request::org_page(&region, &short_name, async |state, member| {
        let filter = filter.unwrap_or_default();
        super::server::service::log(state, member, filter, cursor.as_deref()).await
    })
    .await
}

/// "Export": the entries the filter shows, as CSV or JSON lines (`format`: `csv`,
/// `jsonl`), written in the background; back to the audit page, which follows it.
#[server(output = crate::wire::Packed)]
pub async fn export_audit(
    region: String,
    short_name: String,
    format: String,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<String, AppError> {
    let filter = AuditFilter {
        actor: actor.unwrap_or_default(),
        action: action.unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
    };
    let query = filter.query();
    let mut back_to = format!("{}/audit", crate::paths::people_path(&region, &short_name));
    if !query.is_empty() {
        back_to = format!("{back_to}?{query}");
    }
    crate::request::org_action(&region, &short_name, back_to, async |state, member| {
        super::server::export::start(state, member, &filter, &format).await
    })
    .await
}

/// An export's progress, while the audit page follows it.
#[server(output = crate::wire::Packed)]
pub async fn get_audit_export(
    region: String,
    short_name: String,
    id: i64,
) -> Result<AuditExport, AppError> {
    let state = crate::state::AppState::current();
    let member = crate::request::member(&state, &region, &short_name).await?;
    crate::request::respond(super::server::export::one(&state, &member, id).await)
}

//! The audit log's server function.

use leptos::prelude::*;

use super::types::{AuditFilter, AuditPage};
use crate::error::AppError;

/// The audit page: entries matching the filter in the address, older ones after `cursor`.
#[server]
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

//! The audit log's server function.

use leptos::prelude::*;

use super::types::AuditPage;
use crate::error::AppError;

#[server]
pub async fn get_audit_log(region: String, short_name: String) -> Result<AuditPage, AppError> {
    crate::request::org_page(&region, &short_name, async |state, member| {
        super::server::service::log(state, member).await
    })
    .await
}

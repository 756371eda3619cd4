//! Recording to the audit log, and reading it.

use super::queries;
use crate::access::{Member, can};
use crate::audit::types::{AuditEntry, AuditPage};
use crate::error::AppError;
use crate::state::AppState;

/// Records that `actor` (user id, name; `None` for the system) did `action` in
/// `org_id`. Call it in the transaction of the change itself, so the log has exactly the
/// changes that happened.
pub use super::queries::insert as record;

/// The audit log, newest first (for those who may invite).
pub async fn log(state: &AppState, member: &Member) -> Result<AuditPage, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let events = queries::latest(&state.pool, granted.org_id(), 200)
        .await?
        .into_iter()
        .map(|e| AuditEntry {
            when: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
            actor: e.actor_name,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    Ok(AuditPage {
        org_name: member.org_name.clone(),
        org_home: member.home(),
        events,
    })
}

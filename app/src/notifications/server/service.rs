//! Notification rules: a person sees, joins and declines only invitations to their own
//! verified address. Joining gives the invited role; both answers are audited.

use super::queries;
use crate::access::Principal;
use crate::access::org_home;
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::auth::server::pending::{PendingRow, pending_view};
use crate::error::AppError;
use crate::invitations::server::service as invitations;
use crate::notifications::types::Notifications;
use crate::roster::server::service as roster;
use crate::state::AppState;

pub async fn list(state: &AppState, user: &Principal) -> Result<Notifications, AppError> {
    let rows = queries::pending(&state.pool, user.id(), None).await?;
    Ok(Notifications {
        invitations: rows.into_iter().map(pending_view).collect(),
        offers: crate::orgs::server::service::offers_for(state, user).await?,
        notes: crate::notes::unread(&state.pool, user.id()).await?,
    })
}

/// "Dismiss" on a note: it leaves the bell.
pub async fn dismiss(state: &AppState, user: &Principal, id: i64) -> Result<(), AppError> {
    if !crate::notes::dismiss(&state.pool, user.id(), id).await? {
        return Err(AppError::Gone("errors.notification_gone".into()));
    }
    Ok(())
}

/// The one invitation `id` waiting for this person; 410 when it is no longer open (or was
/// never theirs: nobody learns about other people's invitations). Join and Decline then
/// end it only if it is still pending, so a concurrent answer makes the later one 410.
async fn take(
    tx: &mut sqlx::PgConnection,
    user: &Principal,
    id: i64,
) -> Result<PendingRow, AppError> {
    queries::pending(&mut *tx, user.id(), Some(id))
        .await?
        .pop()
        .ok_or_else(|| AppError::Gone("errors.notification_gone".into()))
}

/// "Join": the membership starts with the invited role; returns the organization's home.
pub async fn join(state: &AppState, user: &Principal, id: i64) -> Result<String, AppError> {
    let mut tx = state.pool.begin().await?;
    let row = take(&mut tx, user, id).await?;
    let role = invitations::accept_by_id(
        &mut tx,
        row.id,
        row.org_id,
        &row.email,
        user.id(),
        user.name(),
    )
    .await?
    .ok_or_else(|| AppError::Gone("errors.notification_gone".into()))?;
    audit(
        &mut *tx,
        row.org_id,
        Some((user.id(), user.name())),
        AuditAction::InvitationAccepted,
        Some(&row.email),
        Some(role.code()),
    )
    .await?;
    tx.commit().await?;
    Ok(org_home(&row.region, &row.short_name))
}

/// "Decline": the invitation ends, and its emailed link with it.
pub async fn decline(state: &AppState, user: &Principal, id: i64) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = take(&mut tx, user, id).await?;
    if !roster::decline(&mut *tx, row.id).await? {
        return Err(AppError::Gone("errors.notification_gone".into()));
    }
    audit(
        &mut *tx,
        row.org_id,
        Some((user.id(), user.name())),
        AuditAction::InvitationDeclined,
        Some(&row.email),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

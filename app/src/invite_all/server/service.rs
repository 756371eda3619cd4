//! Invite All rules: only people who may invite run it; OWNER-role people are invited
//! only when an OWNER runs it; everyone queued holds a seat and an invitation of today's
//! quota from the moment of "Yes".

use super::queries;
use crate::access::{Member, can, take_seats};
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::error::AppError;
use crate::invitations::server::service::{daily_quota, take_quota};
use crate::invite_all::types::{BatchProgress, InviteAllPreview};
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::AppState;

/// "Invite All" after "Yes": one statement puts everyone never invited into a batch (at
/// once, however many); the batch worker then creates their invitations and mails in
/// chunks. Returns how many were queued (0 on a repeated submit).
pub async fn invite_all(state: &AppState, member: &Member) -> Result<i64, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    let batch_id = queries::insert_batch(
        &mut *tx,
        granted.org_id(),
        granted.user_id(),
        &member.actor.name,
        member.actor.locale.code(),
    )
    .await?;
    // OWNER-role people are invited only when an OWNER runs Invite All.
    let include_owners = granted.may_grant(Role::Owner).is_ok();
    let queued =
        queries::queue_never_invited(&mut *tx, granted.org_id(), batch_id, include_owners).await?;
    roster::wake_batch(&mut *tx, granted.org_id(), batch_id).await?;
    let left_out_owners = if include_owners {
        0
    } else {
        queries::count_never_invited_owners(&mut *tx, granted.org_id()).await?
    };
    if queued == 0 {
        // Nothing to do (a double submit, or everyone is invited): leave no trace.
        tx.rollback().await?;
        if left_out_owners > 0 {
            // Only OWNER-role people are left, and this member may not invite them.
            granted.may_grant(Role::Owner)?;
        }
        return Ok(0);
    }
    // The queued people already count as pending (they hold their seats from now on).
    take_seats(&mut tx, granted.org_id(), 0).await?;
    take_quota(&mut tx, state, granted.org_id(), queued).await?;
    queries::set_batch_total(&mut *tx, batch_id, queued, left_out_owners).await?;
    let detail = queued.to_string();
    audit::record(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::InviteAll,
        None,
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    state.batches_wakeup.notify_one();
    Ok(queued)
}

/// A people import's "invite now", in the import's transaction: the people it added
/// (`person_ids`, of this organization) go into an Invite All batch, holding their seats
/// and today's invitations from now on (or the import is refused with the numbers).
/// Returns the batch's size; the caller wakes the batch worker after its commit.
pub async fn queue_imported(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    org_id: i64,
    inviter: (i64, &str, &str),
    person_ids: &[i64],
) -> Result<i64, AppError> {
    let (user_id, name, locale) = inviter;
    let batch_id = queries::insert_batch(&mut *tx, org_id, user_id, name, locale).await?;
    let queued = queries::queue_people(&mut *tx, batch_id, person_ids).await?;
    take_seats(&mut *tx, org_id, 0).await?;
    take_quota(&mut *tx, state, org_id, queued).await?;
    queries::set_batch_total(&mut *tx, batch_id, queued, 0).await?;
    Ok(queued)
}

/// What the People page's admin bar shows of Invite All and the daily quota: the quota
/// that applies, what is left of it today, and the latest batch. One round trip.
pub struct AdminBar {
    pub quota: i32,
    pub quota_left: i32,
    pub batch: Option<BatchProgress>,
}

pub async fn admin_bar(
    db: impl sqlx::PgExecutor<'_>,
    state: &AppState,
    org_id: i64,
) -> Result<AdminBar, AppError> {
    let facts = queries::admin_facts(db, org_id).await?;
    let quota = daily_quota(state, facts.own_quota);
    Ok(AdminBar {
        quota,
        quota_left: (quota - facts.used).max(0),
        batch: facts.batch.map(batch_view),
    })
}

/// How the organization's latest Invite All is going (admins only).
pub async fn progress(
    state: &AppState,
    member: &Member,
) -> Result<Option<BatchProgress>, AppError> {
    let granted = member.require(state, can::Invite).await?;
    Ok(queries::admin_facts(&state.pool, granted.org_id())
        .await?
        .batch
        .map(batch_view))
}

/// Whom Invite All would invite now (admins only).
pub async fn preview(state: &AppState, member: &Member) -> Result<InviteAllPreview, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let (never_invited, never_invited_inactive) =
        queries::count_never_invited(&state.pool, granted.org_id()).await?;
    Ok(InviteAllPreview {
        never_invited,
        never_invited_inactive,
    })
}

fn batch_view(b: queries::BatchProgressRow) -> BatchProgress {
    BatchProgress {
        id: b.id,
        total: b.total.into(),
        prepared: b.prepared.into(),
        sent: b.sent,
        failed: b.failed,
        left_out_owners: b.left_out_owners.into(),
    }
}

//! Reminders before an invitation expires. A round every few minutes claims the
//! reminders due (the invitations locked, so two servers never send the same one), and
//! sends each in its own transaction with its record, its audit entry and its quota.
//! The round takes the time as a parameter, so tests can try any day of an invitation.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::queries::{self, DueReminder};
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::roster::server::service as roster;
use crate::state::AppState;
use crate::tokens;

/// Reminders claimed per transaction.
const BATCH: i64 = 100;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = round(&state, Utc::now()).await {
            tracing::warn!(%error, "invitation reminders failed");
        }
    }
}

/// Sends every reminder due at `now`. Answers how many were sent. A reminder over its
/// organization's daily quota waits for the next day (it stays due).
pub async fn round(state: &AppState, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        let mut tx = state.pool.begin().await?;
        let due = queries::due_reminders(&mut *tx, now, BATCH).await?;
        let claimed = due.len();
        let mut waiting = 0;
        for reminder in &due {
            // A savepoint each: one over quota does not undo the others.
            let mut one = sqlx::Acquire::begin(&mut *tx).await?;
            match send(&mut one, state, reminder).await {
                Ok(()) => {
                    one.commit().await?;
                    sent += 1;
                }
                Err(AppError::Validation(_)) => {
                    one.rollback().await?;
                    waiting += 1;
                }
                Err(err) => return Err(err),
            }
        }
        outbox::commit_and_send(tx, state).await?;
        if claimed < BATCH as usize || waiting == claimed {
            return Ok(sent);
        }
    }
}

async fn send(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    r: &DueReminder,
) -> Result<(), AppError> {
    super::service::take_quota(&mut *tx, state, r.org_id, 1).await?;
    let token = tokens::generate();
    if !roster::record_reminder(&mut *tx, r.id, r.expires_at, r.days_before, &token.hash).await? {
        return Ok(());
    }
    let locale = r
        .locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_default();
    let link = state
        .settings
        .link(&format!("/invitations/accept?token={}", token.plain));
    let mail = templates::invitation_reminder(
        locale,
        r.inviter.as_deref().unwrap_or(&r.org_name),
        &r.org_name,
        r.role,
        &r.expires_at.format("%Y-%m-%d %H:%M").to_string(),
        &link,
    );
    outbox::enqueue_for(
        &mut *tx,
        &state.settings.secret_key,
        &r.email,
        &mail,
        Some(r.id),
    )
    .await?;
    audit::record(
        &mut *tx,
        r.org_id,
        None,
        AuditAction::InvitationReminded,
        Some(&r.email),
        Some(&r.days_before.to_string()),
    )
    .await?;
    Ok(())
}

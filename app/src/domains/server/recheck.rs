//! The background re-check: domains waiting for their record are looked up every few
//! minutes for a week after they were added (publishing the record is enough, "Verify"
//! only saves the wait); verified domains once a day, so a record taken down is noticed.

use std::time::Duration;

use super::{dns, queries, service};
use crate::state::AppState;

/// Look-ups per round.
const BATCH: i64 = 50;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let seconds = i32::try_from(every.as_secs()).unwrap_or(i32::MAX);
    loop {
        tick.tick().await;
        if let Err(error) = round(&state, seconds).await {
            tracing::warn!(%error, "domain re-check failed");
        }
    }
}

/// One round: claims the domains due and looks each up. Answers how many were looked up.
pub async fn round(
    state: &AppState,
    pending_seconds: i32,
) -> Result<usize, crate::error::AppError> {
    let due = queries::claim_due(&state.pool, pending_seconds, BATCH).await?;
    for row in &due {
        let found = dns::check(&state.settings, &row.domain, &row.token).await;
        service::record(state, row, found, None).await?;
    }
    Ok(due.len())
}

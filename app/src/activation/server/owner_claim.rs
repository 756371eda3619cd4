//! The owner claim: the holder of an existing account named as owner agrees by mail.

use super::queries::{self, SubscriptionRow};
use super::wizard::{open, open_locked};
use crate::activation::types::OwnerClaimView;
use crate::auth::server::service as accounts;
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens;

/// The wizard page the owner-claim mail links to.
pub const OWNER_PAGE: &str = "owner";

/// The holder of an account named as owner agrees, from the mailed link. The link is
/// single use: it is cleared with the claim.
pub async fn accept_owner_claim(state: &AppState, token: &str, key: &str) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    claim_of(&row, key)?;
    queries::accept_owner_claim(&mut *tx, row.id).await?;
    tx.commit().await?;
    Ok(())
}

/// What the owner-claim page shows before its holder agrees.
pub async fn owner_claim(
    state: &AppState,
    token: &str,
    key: &str,
) -> Result<OwnerClaimView, AppError> {
    let row = open(&state.pool, token).await?;
    let (user_id, claimant) = claim_of(&row, key)?;
    let user = accounts::find_user_by_id(&state.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let invites = queries::list_invites(&state.pool, row.id).await?;
    Ok(OwnerClaimView {
        company: row.org_name.clone().unwrap_or(row.company_name.clone()),
        claimant: claimant.to_owned(),
        email: user.email,
        invites: invites
            .into_iter()
            .map(|i| crate::activation::types::InviteRow {
                email: i.email,
                role: i.role,
            })
            .collect(),
    })
}

/// The pending claim `key` opens: the claimed account and the name typed in the wizard.
/// 410 when there is none, or `key` is not (or no longer) its link.
pub(super) fn claim_of<'a>(
    row: &'a SubscriptionRow,
    key: &str,
) -> Result<(i64, &'a str), AppError> {
    let matches = row
        .owner_claim_hash
        .as_deref()
        .is_some_and(|h| h == tokens::hash(key).as_slice());
    match (
        row.owner_claim_user_id,
        row.owner_claim_name.as_deref(),
        matches,
    ) {
        (Some(user_id), Some(claimant), true) => Ok((user_id, claimant)),
        _ => Err(AppError::Gone("errors.owner_claim_unknown".into())),
    }
}

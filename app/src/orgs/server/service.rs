//! Organization rules: members see their organization; nobody else learns it exists.

use super::queries;
use crate::auth::types::CurrentUser;
use crate::error::AppError;
use crate::orgs::types::{InvitationRow, MemberRow, Membership, OrgOverview, Role};
use crate::state::AppState;

fn role(code: &str) -> Role {
    Role::from_code(code).unwrap_or(Role::Viewer)
}

pub async fn memberships(state: &AppState, user_id: i64) -> Result<Vec<Membership>, AppError> {
    Ok(queries::memberships_of(&state.pool, user_id)
        .await?
        .into_iter()
        .map(|m| Membership {
            role: role(&m.role),
            name: m.name,
            short_name: m.short_name,
            region: m.region,
        })
        .collect())
}

/// The home page of an organization, for one of its members. To anyone else it does
/// not exist (404), so short names cannot be probed.
pub async fn overview(
    state: &AppState,
    user: &CurrentUser,
    region: &str,
    short_name: &str,
) -> Result<OrgOverview, AppError> {
    let pool = &state.pool;
    let org = queries::org_for_member(pool, region, short_name, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let features = queries::features(pool, org.id).await?;
    let members = queries::members(pool, org.id)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            role: role(&m.role),
            name: m.name,
            email: m.email,
        })
        .collect();
    let invitations = queries::open_invitations(pool, org.id)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            role: role(&i.role),
            email: i.email,
            expires_on: i.expires_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    Ok(OrgOverview {
        public_id: org.public_id,
        name: org.name,
        short_name: org.short_name,
        region: org.region,
        plan: org.plan,
        trial: org.trial,
        billed: org.billed.unwrap_or(false),
        seats: org.seats,
        my_role: role(&org.role),
        features,
        members,
        invitations,
    })
}

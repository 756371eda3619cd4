//! `/api/v1/invitations`: invite, resend and revoke.

use app::orgs::server::service as orgs;
use app::orgs::types::InvitationRow;
use app::people::server::service as people;
use app::roles::Role;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiResult, Body, Caller, Id, reply};
use super::problem::Problem;

/// The open invitations (at most 200, newest first).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations",
    responses((status = 200, body = Vec<InvitationRow>), (status = 401, body = Problem)))]
pub(super) async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<InvitationRow>>> {
    reply(&caller, orgs::invitations(&state, &caller.member).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInvitation {
    /// The invitee's address.
    #[schema(format = Email, min_length = 3, max_length = 254)]
    email: String,
    /// Defaults to VIEWER (least privilege).
    #[serde(default)]
    role: Option<Role>,
}

/// Invites someone by email (valid 30 days). An address that already has an open
/// invitation gets 409 (send it again with `POST /api/v1/invitations/{id}/resend`, which
/// keeps its id: an id stays valid until it is revoked, accepted or expires). Counts against
/// the plan's seats and the daily invitation quota. One address gets a limited number of
/// invitations a day from all organizations together (429 past that).
#[utoipa::path(post, path = "/api/v1/invitations", tag = "invitations",
    request_body = NewInvitation,
    responses((status = 201, body = InvitationRow), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub(super) async fn create_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationRow>), Problem> {
    let role = body.role.unwrap_or(Role::Viewer);
    let result = async {
        let id = people::invite_member(
            &state,
            &caller.member,
            &body.email,
            role.code(),
            people::IfOpen::Refuse,
        )
        .await?;
        orgs::invitation(&state, &caller.member, id).await
    }
    .await;
    reply(&caller, result).map(|json| (StatusCode::CREATED, json))
}

/// Sends an open invitation again: it keeps its id, the old link stops working (it says
/// the invitation was sent again), and the new one is valid 30 days. Limited per
/// recipient address like a new invitation (429).
#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", tag = "invitations",
    params(("id" = i64, Path, description = "An open invitation's id")),
    responses((status = 200, body = InvitationRow), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 429, body = Problem)))]
pub(super) async fn resend_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<InvitationRow>> {
    let member = &caller.member;
    let result = async {
        let (person, _) = people::person_for_invitation(&state, member, id).await?;
        let id = people::send_invite(&state, member, person, true).await?;
        orgs::invitation(&state, member, id).await
    }
    .await;
    reply(&caller, result)
}

/// Revokes an open invitation: its link stops working at once.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "invitations",
    params(("id" = i64, Path, description = "An open invitation's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn revoke_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<StatusCode, Problem> {
    let member = &caller.member;
    let result = async {
        let (person, _) = people::person_for_invitation(&state, member, id).await?;
        people::revoke_invite(&state, member, person).await
    }
    .await;
    reply(&caller, result).map(|_| StatusCode::NO_CONTENT)
}

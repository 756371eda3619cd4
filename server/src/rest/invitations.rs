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
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiResult, Body, Caller, Id, Paged, Params, paged, reply};
use super::problem::Problem;

/// What `GET /api/v1/invitations` takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct InvitationQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The cursor of the `next` link of the page before (opaque).
    #[param(pattern = "^([0-9a-f]{2})*$")]
    cursor: Option<String>,
    /// Only invitations to this role.
    #[param(value_type = Option<Role>)]
    role: Option<String>,
    /// `open` (the default: not accepted, revoked or expired) or `expired`.
    #[param(value_type = Option<InvitationState>)]
    state: Option<String>,
    /// Only invitations whose address contains this.
    q: Option<String>,
}

/// The organization's invitations not yet answered, by address, a page at a time: when
/// there are more, the `Link` header names the next page (`rel="next"`).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations", params(InvitationQuery),
    responses((status = 200, body = Vec<InvitationRow>, headers(("link" = String, description = "`<…>; rel=\"next\"` when there are more rows"))),
               (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<InvitationQuery>,
) -> Result<Paged<InvitationRow>, Problem> {
    let filter = orgs::ListFilter {
        role: query.role.as_deref(),
        state: query.state.as_deref(),
        q: query.q.as_deref(),
        cursor: query.cursor.as_deref(),
        limit: query.limit.as_deref(),
    };
    let page = orgs::invitations_page(&state, &caller.member, &filter).await;
    let more = [
        ("limit", &query.limit),
        ("role", &query.role),
        ("state", &query.state),
        ("q", &query.q),
    ];
    paged(&state, &caller, "/api/v1/invitations", &more, page)
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

/// The states this list can be filtered by (for the OpenAPI document).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(super) enum InvitationState {
    Open,
    Expired,
}

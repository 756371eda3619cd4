//! `/api/v1/members`: the organization's members and their roles.

use app::error::AppError;
use app::orgs::server::service as orgs;
use app::orgs::types::MemberRow;
use app::people::server::service as people;
use app::roles::Role;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiResult, Body, Caller, Id, reply};
use super::problem::Problem;

/// The organization's members (at most 200, by name).
#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    responses((status = 200, body = Vec<MemberRow>), (status = 401, body = Problem)))]
pub(super) async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<MemberRow>>> {
    reply(&caller, orgs::members(&state, &caller.member, None).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    role: Role,
}

/// Changes a member's role (needs the invite permission; only an OWNER grants or removes
/// OWNER; the last OWNER stays).
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = i64, Path, description = "The member's id")),
    request_body = RoleChange,
    responses((status = 200, body = MemberRow), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    Body(body): Body<RoleChange>,
) -> ApiResult<Json<MemberRow>> {
    let member = async || {
        orgs::members(&state, &caller.member, Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)
    };
    let result = async {
        member().await?;
        people::change_role(&state, &caller.member, id, body.role.code()).await?;
        member().await
    }
    .await;
    reply(&caller, result)
}

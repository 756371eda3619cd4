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
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiResult, Body, Caller, Id, Paged, Params, paged, reply};
use super::problem::Problem;

/// What `GET /api/v1/members` takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MemberQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The cursor of the `next` link of the page before (opaque).
    #[param(pattern = "^([0-9a-f]{2})*$")]
    cursor: Option<String>,
    /// Only members with this role.
    #[param(value_type = Option<Role>)]
    role: Option<String>,
    /// `active` or `inactive`.
    #[param(value_type = Option<MemberState>)]
    state: Option<String>,
    /// Only members whose name or address contains this.
    q: Option<String>,
}

/// The organization's members, by name, a page at a time: when there are more, the
/// `Link` header names the next page (`rel="next"`), whose rows continue after this
/// page's last one however members come and go meanwhile.
#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberQuery),
    responses((status = 200, body = Vec<MemberRow>, headers(("link" = String, description = "`<…>; rel=\"next\"` when there are more rows"))),
               (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<MemberQuery>,
) -> Result<Paged<MemberRow>, Problem> {
    let filter = orgs::ListFilter {
        role: query.role.as_deref(),
        state: query.state.as_deref(),
        q: query.q.as_deref(),
        cursor: query.cursor.as_deref(),
        limit: query.limit.as_deref(),
    };
    let page = orgs::members_page(&state, &caller.member, &filter).await;
    let more = [
        ("limit", &query.limit),
        ("role", &query.role),
        ("state", &query.state),
        ("q", &query.q),
    ];
    paged(&state, &caller, "/api/v1/members", &more, page)
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

/// The states this list can be filtered by (for the OpenAPI document).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(super) enum MemberState {
    Active,
    Inactive,
}

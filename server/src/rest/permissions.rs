//! `/api/v1/permissions` and `/api/v1/members/{id}/permissions`: who may do what.

use app::i18n::Locale;
use app::orgs::server::service as orgs;
use app::roles::Role;
use app::roles::{Decision, Permission, PlanFacts};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiResult, Caller, Id, reply};
use super::problem::Problem;

/// What the key's organization lets one member do, permission by permission.
#[derive(Debug, Serialize, ToSchema)]
pub struct Permissions {
    role: Role,
    plan: PlanFacts,
    permissions: Vec<Answer>,
}

/// One permission's answer, with the refusal explained in the caller's language
/// (`Accept-Language`): whom to ask, the upgrade hint, or the seat numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answer {
    #[serde(flatten)]
    decision: Decision,
    /// Present when not allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

fn answers(decisions: Vec<Decision>, locale: Locale) -> Vec<Answer> {
    decisions
        .into_iter()
        .map(|decision| Answer {
            hint: decision.denial.as_ref().map(|d| d.explain(locale)),
            decision,
        })
        .collect()
}

/// "May this key do X here?": every permission, from the role matrix and the plan.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "permissions",
    responses((status = 200, body = Permissions), (status = 401, body = Problem)))]
pub(super) async fn my_permissions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Permissions>> {
    let result = async {
        let plan = caller.member.plan(&state).await?;
        Ok(Permissions {
            role: caller.member.role,
            plan,
            permissions: answers(
                Permission::ALL
                    .into_iter()
                    .map(|p| p.decide(caller.member.role, &plan))
                    .collect(),
                caller.locale,
            ),
        })
    }
    .await;
    reply(&caller, result)
}

/// "May this member do X here?" for one member: every permission, with the reason for
/// each refusal (`role`, `premium` with an upgrade hint, or `seats` with the numbers).
#[utoipa::path(get, path = "/api/v1/members/{id}/permissions", tag = "permissions",
    params(("id" = i64, Path, description = "The member's id (from GET /api/v1/members)")),
    responses((status = 200, body = Vec<Answer>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn member_permissions(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<Vec<Answer>>> {
    let result = orgs::decisions_for(&state, &caller.member, id).await;
    reply(&caller, result.map(|d| answers(d, caller.locale)))
}

//! `/api/v1/audit`: the organization's audit log, newest first, a page at a time.

use app::audit::server::service as audit;
use app::audit::types::{AuditAction, AuditEntry, AuditFilter};
use app::error::{AppError, FieldError};
use app::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Caller, Paged, Params, paged};
use super::problem::Problem;

/// What `GET /api/v1/audit` takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The cursor of the `next` link of the page before (opaque).
    #[param(pattern = "^([0-9a-f]{2})*$")]
    cursor: Option<String>,
    /// Only entries whose actor's name contains this.
    actor: Option<String>,
    /// Only entries of this action.
    #[param(value_type = Option<AuditAction>)]
    action: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC) on; an RFC 3339 time is taken too.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Up to this day (included); an RFC 3339 time (excluded) is taken too.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

/// The audit log, newest first, a page at a time (needs the invite permission): when
/// there are more, the `Link` header names the next (older) page (`rel="next"`).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>, headers(("link" = String, description = "`<…>; rel=\"next\"` when there are more rows"))),
               (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<AuditQuery>,
) -> Result<Paged<AuditEntry>, Problem> {
    // On the page an empty field filters nothing; here a parameter given empty is a
    // mistake, named like any other.
    let empty: Vec<FieldError> = [
        ("action", &query.action, "errors.audit_action_unknown"),
        ("from", &query.from, "errors.audit_time_invalid"),
        ("to", &query.to, "errors.audit_time_invalid"),
    ]
    .into_iter()
    .filter(|(_, v, _)| v.as_deref().is_some_and(|v| v.trim().is_empty()))
    .map(|(field, _, key)| FieldError::new(field, key))
    .collect();
    if !empty.is_empty() {
        return Err(Problem::new(&AppError::Validation(empty), caller.locale));
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let filter = AuditFilter {
        actor: text(&query.actor),
        action: text(&query.action),
        from: text(&query.from),
        to: text(&query.to),
    };
    let page = audit::entries(
        &state,
        &caller.member,
        &filter,
        query.cursor.as_deref(),
        query.limit.as_deref(),
    )
    .await;
    let more = [
        ("limit", &query.limit),
        ("actor", &query.actor),
        ("action", &query.action),
        ("from", &query.from),
        ("to", &query.to),
    ];
    paged(&state, &caller, "/api/v1/audit", &more, page)
}

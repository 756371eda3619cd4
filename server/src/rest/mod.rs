//! The REST API, version 1 (`/api/v1/...`), for programs acting for an organization.
//!
//! Requests carry an organization API key (`Authorization: Bearer mk_...`): a missing,
//! unknown or revoked key gets 401. Each handler is thin: it turns the key into the same
//! `Member` a signed-in person would be, calls the same service the pages call (so the
//! same permission, seat and quota rules apply), and answers JSON. Errors are RFC 9457
//! problem details, their `detail` in the language of `Accept-Language`.

mod audit;
mod extract;
mod invitations;
mod members;
mod openapi;
mod permissions;
mod problem;

use app::error::AppError;
use app::request::locale_from_headers;
use app::state::AppState;
use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};

use audit::*;
use invitations::*;
use members::*;
use permissions::*;
use problem::Problem;

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::openapi))
        .route("/api/v1/permissions", get(my_permissions))
        .route("/api/v1/members", get(list_members))
        .route("/api/v1/members/{id}", patch(change_role))
        .route("/api/v1/members/{id}/permissions", get(member_permissions))
        .route(
            "/api/v1/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/api/v1/invitations/{id}",
            axum::routing::delete(revoke_invitation),
        )
        .route("/api/v1/invitations/{id}/resend", post(resend_invitation))
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found(headers: axum::http::HeaderMap) -> Problem {
    Problem::new(&AppError::NotFound, locale_from_headers(&headers))
}

async fn method_not_allowed(method: axum::http::Method, headers: axum::http::HeaderMap) -> Problem {
    Problem::malformed(
        StatusCode::METHOD_NOT_ALLOWED,
        locale_from_headers(&headers),
        "errors.api_bad_method",
        method.as_str(),
    )
}

//! The REST API, version 1 (`/api/v1/...`), for programs acting for an organization.
//!
//! Requests carry an organization API key (`Authorization: Bearer mk_...`): a missing,
//! unknown or revoked key gets 401. Each handler is thin: it turns the key into the same
//! `Member` a signed-in person would be, calls the same service the pages call (so the
//! same permission, seat and quota rules apply), and answers JSON. Errors are RFC 9457
//! problem details, their `detail` in the language of `Accept-Language`.

use app::api_keys::server::service as api_keys;
use app::error::AppError;
use app::i18n::Locale;
use app::orgs::server::{access::Member, service as orgs};
use app::orgs::types::{InvitationRow, MemberRow};
use app::people::server::service as people;
use app::request::locale_from_headers;
use app::roles::Role;
use app::roles::{Decision, Denial, Permission, PlanFacts};
use app::state::AppState;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
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
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Muster API",
        version = "1",
        description = "Members, invitations and permissions of one organization, for programs \
                       holding one of its API keys (created by an OWNER or ADMIN on the \
                       organization settings page). A key acts with its own role, never above \
                       its creator's current role. Errors are RFC 9457 problem details."
    ),
    paths(
        my_permissions,
        list_members,
        change_role,
        member_permissions,
        list_invitations,
        create_invitation,
        resend_invitation,
        revoke_invitation
    ),
    components(schemas(
        Problem,
        ProblemField,
        MemberRow,
        InvitationRow,
        Role,
        Permission,
        Decision,
        Answer,
        Denial,
        PlanFacts,
        Permissions,
        NewInvitation,
        RoleChange
    )),
    modifiers(&BearerKey, &ProblemResponses)
)]
struct ApiDoc;

/// Makes the document tell the truth about errors: every 4xx/5xx answer is
/// `application/problem+json`; an operation with a path id or a body can answer 400 (an
/// id out of range, a body that is not the JSON described); any can answer 503 while the
/// database is unreachable.
struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let takes_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut operation.responses.responses;
                for (code, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && (code.starts_with('4') || code.starts_with('5'))
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response.content.insert(PROBLEM_JSON.to_owned(), content);
                    }
                }
                if takes_input {
                    responses.entry("400".to_owned()).or_insert_with(|| {
                        problem("The path id or the JSON body is not what this operation takes")
                    });
                }
                responses.entry("503".to_owned()).or_insert_with(|| {
                    problem("The database cannot be reached right now; try again shortly")
                });
            }
        }
    }
}

const PROBLEM_JSON: &str = "application/problem+json";

struct BearerKey;

impl utoipa::Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mk_...")
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "api_key",
            Vec::<String>::new(),
        )]);
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The organization member a request's API key acts as, and the caller's language.
struct Caller {
    member: Member,
    locale: Locale,
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let locale = locale_from_headers(&parts.headers);
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match api_keys::authenticate(&app, key).await {
            Ok(member) => Ok(Caller { member, locale }),
            Err(err) => Err(Problem::new(&err, locale)),
        }
    }
}

/// An RFC 9457 problem: `type` names the kind, `detail` says what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `https://muster.example/problems/<kind>`: unauthenticated, forbidden, not-found,
    /// gone, conflict, validation, rate-limited, internal, bad-request.
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    /// What went wrong and what to do, in the caller's language.
    detail: String,
    /// One entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField>,
    /// Who to ask, when the key's role does not allow something.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    field: String,
    message: String,
}

impl Problem {
    fn new(err: &AppError, locale: Locale) -> Problem {
        let (kind, title) = match err {
            AppError::Unauthenticated => ("unauthenticated", "Missing or invalid API key"),
            AppError::Forbidden
            | AppError::NotPermitted { .. }
            | AppError::SecondFactorRequired { .. } => ("forbidden", "Not permitted"),
            AppError::NotFound => ("not-found", "Not found"),
            AppError::Gone(_) => ("gone", "No longer available"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::Validation(_) => ("validation", "Invalid request"),
            AppError::RateLimited { .. } | AppError::MailLimited { .. } => {
                ("rate-limited", "Too many requests")
            }
            AppError::Internal => ("internal", "Internal error"),
            AppError::Unavailable => ("unavailable", "Temporarily unavailable"),
            AppError::Busy => ("busy", "Busy: try again in a moment"),
            AppError::Request(_) => ("bad-request", "Bad request"),
        };
        let errors = match err {
            AppError::Validation(errors) => errors
                .iter()
                .filter(|e| e.field != "form")
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message(locale),
                })
                .collect(),
            _ => Vec::new(),
        };
        let contacts = match err {
            AppError::NotPermitted { contacts, .. } => contacts.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("https://muster.example/problems/{kind}"),
            title,
            status: err.status(),
            detail: err.form_message(locale).unwrap_or_default(),
            errors,
            contacts,
        }
    }

    /// A 400 (or other client error) that names what was wrong with the request itself.
    fn malformed(status: StatusCode, locale: Locale, key: &str, reason: &str) -> Problem {
        Problem {
            kind: "https://muster.example/problems/bad-request".to_owned(),
            title: "Bad request",
            status: status.as_u16(),
            detail: app::i18n::tr_args(locale, key, &[("reason", reason)]),
            errors: Vec::new(),
            contacts: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if unauthenticated {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"muster\""),
            );
        }
        response
    }
}

type ApiResult<T> = Result<T, Problem>;

/// Maps a service result to JSON, or its error to a problem in the caller's language.
fn reply<T: Serialize>(caller: &Caller, result: Result<T, AppError>) -> ApiResult<Json<T>> {
    result
        .map(Json)
        .map_err(|err| Problem::new(&err, caller.locale))
}

/// A JSON body, or a 400 problem saying what is wrong with it.
struct Body<T>(T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let locale = locale_from_headers(req.headers());
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(Problem::malformed(
                StatusCode::BAD_REQUEST,
                locale,
                "errors.api_bad_body",
                &rejection.body_text(),
            )),
        }
    }
}

/// The `{id}` of a path, or a 400 problem when it is not a whole number in range.
struct Id(i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let locale = locale_from_headers(&parts.headers);
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(rejection) => Err(Problem::malformed(
                StatusCode::BAD_REQUEST,
                locale,
                "errors.api_bad_id",
                &rejection.body_text(),
            )),
        }
    }
}

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
async fn my_permissions(
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
async fn member_permissions(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<Vec<Answer>>> {
    let result = orgs::decisions_for(&state, &caller.member, id).await;
    reply(&caller, result.map(|d| answers(d, caller.locale)))
}

/// The organization's members (at most 200, by name).
#[utoipa::path(get, path = "/api/v1/members", tag = "members",
    responses((status = 200, body = Vec<MemberRow>), (status = 401, body = Problem)))]
async fn list_members(
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
async fn change_role(
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

/// The open invitations (at most 200, newest first).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations",
    responses((status = 200, body = Vec<InvitationRow>), (status = 401, body = Problem)))]
async fn list_invitations(
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
async fn create_invitation(
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
async fn resend_invitation(
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
async fn revoke_invitation(
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

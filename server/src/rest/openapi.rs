//! The OpenAPI document of the REST API, as `GET /api/v1/openapi.json` serves it.

use app::audit::types::{AuditAction, AuditEntry};
use app::orgs::types::{InvitationRow, MemberRow};
use app::roles::Role;
use app::roles::{Decision, Denial, Permission, PlanFacts};
use axum::Json;
use utoipa::OpenApi;

use super::audit;
use super::invitations::{self, NewInvitation};
use super::members::{self, RoleChange};
use super::permissions::{self, Answer, Permissions};
use super::problem::{Problem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Muster API",
        version = "1",
        description = "Members, invitations, permissions and the audit log of one organization, for programs \
                       holding one of its API keys (created by an OWNER or ADMIN on the \
                       organization settings page). A key acts with its own role, never above \
                       its creator's current role. Errors are RFC 9457 problem details. \
                       Lists come a page at a time (`limit`, at most 200): the `Link` \
                       header of a page names the next one (`rel=\"next\"`), with an opaque \
                       `cursor` that continues after the page's last row. \
                       SCIM 2.0 provisioning (/scim/v2, with a SCIM token) is not in this \
                       document: it follows RFC 7643 and RFC 7644, and describes itself at \
                       /scim/v2/ServiceProviderConfig, /scim/v2/ResourceTypes and \
                       /scim/v2/Schemas."
    ),
    paths(
        permissions::my_permissions,
        members::list_members,
        members::change_role,
        permissions::member_permissions,
        invitations::list_invitations,
        invitations::create_invitation,
        invitations::resend_invitation,
        invitations::revoke_invitation,
        audit::list_audit
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
        RoleChange,
        AuditEntry,
        AuditAction
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

pub(super) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

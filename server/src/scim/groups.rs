//! `/scim/v2/Groups`: the four role groups and the provider's own groups.
//!
//! - `owner`, `admin`, `editor` and `viewer` are the roles: a group's members are the
//!   people with its role; adding a person gives them the role, and removing them leaves
//!   the least role, VIEWER. These groups are not created, renamed or deleted.
//! - Any other group the provider pushes is kept as sent, with its members, and grants
//!   nothing: the provider's directory and Muster's stay in step.

use app::provisioning::server::service::{self, Group, GroupFields};
use app::roles::Role;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::discovery::{self, GROUP};
use super::patch::{self, Shape};
use super::{App, Body, Caller, List, ListQuery, ScimError, filter, ok, scim_json};
use app::state::AppState;

pub const SHAPE: Shape = Shape {
    urn: GROUP,
    attributes: &["displayName", "members", "externalId"],
    multi: &["members"],
};

/// A group id: a role's name, or a stored group's number.
enum Which {
    Role(Role),
    Stored(i64),
}

fn which(id: &str) -> Result<Which, ScimError> {
    if let Some(role) = Role::ALL
        .into_iter()
        .find(|r| r.code().eq_ignore_ascii_case(id))
    {
        return Ok(Which::Role(role));
    }
    id.parse()
        .map(Which::Stored)
        .map_err(|_| ScimError::not_found())
}

/// A group's members as the schema names them: each person's id and `$ref`.
fn members_json(base: &str, people: Vec<i64>) -> Vec<Value> {
    people
        .into_iter()
        .map(|person| {
            json!({"value": person.to_string(), "$ref": format!("{base}/scim/v2/Users/{person}")})
        })
        .collect()
}

async fn role_group(state: &AppState, caller: &Caller, role: Role) -> Result<Value, ScimError> {
    let id = role.code().to_ascii_lowercase();
    let members = service::role_members(state, &caller.member, role)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(json!({
        "schemas": [GROUP],
        "id": id,
        "displayName": role.code(),
        "members": members_json(&caller.base, members),
        "meta": {"resourceType": "Group", "location": format!("{}/scim/v2/Groups/{id}", caller.base)}
    }))
}

async fn stored_group(state: &AppState, caller: &Caller, g: &Group) -> Result<Value, ScimError> {
    let members = service::group_members(state, &caller.member, g.id)
        .await
        .map_err(|e| caller.fail(e))?;
    let mut body = json!({
        "schemas": [GROUP],
        "id": g.id.to_string(),
        "displayName": g.display_name,
        "meta": {
            "resourceType": "Group",
            "created": g.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "location": format!("{}/scim/v2/Groups/{}", caller.base, g.id)
        }
    });
    if !members.is_empty() {
        body["members"] = json!(members_json(&caller.base, members));
    }
    if let Some(external_id) = &g.external_id {
        body["externalId"] = json!(external_id);
    }
    Ok(body)
}

async fn shown(state: &AppState, caller: &Caller, which: &Which) -> Result<Value, ScimError> {
    match which {
        Which::Role(role) => role_group(state, caller, *role).await,
        Which::Stored(id) => {
            let g = service::group(state, &caller.member, *id)
                .await
                .map_err(|e| caller.fail(e))?;
            stored_group(state, caller, &g).await
        }
    }
}

async fn page(state: &AppState, caller: &Caller, query: &ListQuery) -> Result<Response, ScimError> {
    let mut name = None;
    if let Some(raw) = query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        let eq = filter::parse(raw)?;
        if !eq.attribute.eq_ignore_ascii_case("displayName") {
            return Err(ScimError::invalid_filter(format!(
                "Groups cannot be filtered by “{}”: use displayName.",
                eq.attribute
            )));
        }
        name = Some(eq.value);
    }
    let mut roles: Vec<Role> = Role::ALL.to_vec();
    if let Some(name) = &name {
        roles.retain(|r| r.code().eq_ignore_ascii_case(name));
    }
    let (start, count) = query.page();
    let skip = (start - 1) as usize;
    let mut resources = Vec::new();
    for role in roles.iter().skip(skip).take(count as usize) {
        resources.push(query.project(role_group(state, caller, *role).await?));
    }
    let offset = skip.saturating_sub(roles.len()) as i64;
    let left = count - resources.len() as i64;
    let (stored_total, stored) =
        service::groups(state, &caller.member, name.as_deref(), offset, left)
            .await
            .map_err(|e| caller.fail(e))?;
    for g in &stored {
        resources.push(query.project(stored_group(state, caller, g).await?));
    }
    let total = roles.len() as i64 + stored_total;
    Ok(ok(discovery::list(resources, total, start)))
}

pub async fn list(
    State(state): App,
    caller: Caller,
    Query(query): List,
) -> Result<Response, ScimError> {
    page(&state, &caller, &query).await
}

/// `POST /Groups/.search`: a list asked for in the body (RFC 7644 §3.4.3).
pub async fn search(
    State(state): App,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ScimError> {
    page(&state, &caller, &ListQuery::from_search(&body)?).await
}

pub async fn get(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): List,
) -> Result<Response, ScimError> {
    Ok(ok(
        query.project(shown(&state, &caller, &which(&id)?).await?)
    ))
}

fn member_ids(value: &Value) -> Result<Vec<i64>, ScimError> {
    let all = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(all) => all.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => {
            return Err(ScimError::invalid_value(
                "members is a list of {\"value\": \"<user id>\"}.",
            ));
        }
    };
    let mut ids: Vec<i64> = all
        .iter()
        .map(|m| {
            m["value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ScimError::invalid_value(format!("No such user: {m}")))
        })
        .collect::<Result<_, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The longest group name and `externalId` kept.
const TEXT_MAX: usize = 256;

fn fields_of(body: &Value) -> Result<GroupFields, ScimError> {
    for what in ["displayName", "externalId"] {
        if body[what]
            .as_str()
            .is_some_and(|t| t.chars().count() > TEXT_MAX)
        {
            return Err(ScimError::too_long(what, TEXT_MAX));
        }
    }
    Ok(GroupFields {
        display_name: body["displayName"].as_str().unwrap_or_default().to_owned(),
        external_id: body["externalId"]
            .as_str()
            .filter(|e| !e.trim().is_empty())
            .map(str::to_owned),
        members: member_ids(&body["members"])?,
    })
}

pub async fn create(
    State(state): App,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let g = service::create_group(&state, &caller.member, fields_of(&body)?)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(scim_json(
        StatusCode::CREATED,
        stored_group(&state, &caller, &g).await?,
    ))
}

pub async fn delete(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    match which(&id)? {
        Which::Role(_) => Err(is_a_role(&caller)),
        Which::Stored(id) => {
            service::delete_group(&state, &caller.member, id)
                .await
                .map_err(|e| caller.fail(e))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

fn is_a_role(caller: &Caller) -> ScimError {
    let err = app::error::AppError::field("displayName", "errors.group_is_a_role");
    let detail = ScimError::from_app(&err, caller.locale);
    ScimError::mutability(detail.detail())
}

/// A role group's members become `ids`: they get its role, and those who left get the
/// least role.
async fn settle(
    state: &AppState,
    caller: &Caller,
    role: Role,
    ids: &[i64],
) -> Result<(), ScimError> {
    let current = service::role_members(state, &caller.member, role)
        .await
        .map_err(|e| caller.fail(e))?;
    for id in ids.iter().filter(|id| !current.contains(id)) {
        service::set_role(state, &caller.member, *id, role)
            .await
            .map_err(|e| caller.fail(e))?;
    }
    if role != Role::Viewer {
        for id in current.iter().filter(|id| !ids.contains(id)) {
            service::set_role(state, &caller.member, *id, Role::Viewer)
                .await
                .map_err(|e| caller.fail(e))?;
        }
    }
    Ok(())
}

/// Saves a group as `body` describes it (after a PUT, or a PATCH applied).
async fn save(
    state: &AppState,
    caller: &Caller,
    which: &Which,
    body: &Value,
) -> Result<Value, ScimError> {
    let fields = fields_of(body)?;
    match which {
        Which::Role(role) => {
            let renamed = !fields.display_name.is_empty()
                && !fields.display_name.eq_ignore_ascii_case(role.code());
            if renamed || fields.external_id.is_some() {
                return Err(is_a_role(caller));
            }
            settle(state, caller, *role, &fields.members).await?;
            role_group(state, caller, *role).await
        }
        Which::Stored(id) => {
            let g = service::replace_group(state, &caller.member, *id, fields)
                .await
                .map_err(|e| caller.fail(e))?;
            stored_group(state, caller, &g).await
        }
    }
}

/// PUT: the group becomes what is sent, members included.
pub async fn replace(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let which = which(&id)?;
    // The group exists (a 404 before any change).
    shown(&state, &caller, &which).await?;
    Ok(ok(save(&state, &caller, &which, &body).await?))
}

/// PATCH: the operations applied to the group as SCIM shows it, then saved as a PUT.
pub async fn patch(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let which = which(&id)?;
    let ops = super::operations(&body)?;
    let mut resource = shown(&state, &caller, &which).await?;
    patch::apply_all(&SHAPE, &mut resource, ops)?;
    Ok(ok(save(&state, &caller, &which, &resource).await?))
}

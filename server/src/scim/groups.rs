//! `/scim/v2/Groups`: the four roles. A group's members are the people with its role;
//! adding a person to a group gives them its role, removing them leaves VIEWER. The
//! groups themselves are fixed: they cannot be created, renamed or deleted.

use app::provisioning::server::service;
use app::roles::Role;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::discovery::{self, GROUP};
use super::{App, Body, Caller, List, ScimError, filter, ok};
use axum::extract::Query;

fn role_of(id: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|r| r.code().eq_ignore_ascii_case(id))
}

async fn group(
    state: &app::state::AppState,
    caller: &Caller,
    role: Role,
) -> Result<Value, ScimError> {
    let id = role.code().to_ascii_lowercase();
    let members: Vec<Value> = service::group_members(state, &caller.member, role)
        .await
        .map_err(|e| caller.fail(e))?
        .into_iter()
        .map(|(person, email)| {
            json!({"value": person.to_string(), "display": email,
                   "$ref": format!("{}/scim/v2/Users/{person}", caller.base)})
        })
        .collect();
    Ok(json!({
        "schemas": [GROUP],
        "id": id,
        "displayName": role.code(),
        "members": members,
        "meta": {"resourceType": "Group", "location": format!("{}/scim/v2/Groups/{id}", caller.base)}
    }))
}

pub async fn list(
    State(state): App,
    caller: Caller,
    Query(query): List,
) -> Result<Response, ScimError> {
    let mut roles: Vec<Role> = Role::ALL.to_vec();
    if let Some(raw) = query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        let eq = filter::parse(raw)?;
        if !eq.attribute.eq_ignore_ascii_case("displayName") {
            return Err(ScimError::invalid_filter(format!(
                "Groups cannot be filtered by “{}”: use displayName.",
                eq.attribute
            )));
        }
        roles.retain(|r| r.code().eq_ignore_ascii_case(&eq.value));
    }
    let (start, count) = query.page();
    let total = roles.len() as i64;
    let mut resources = Vec::new();
    for role in roles
        .into_iter()
        .skip((start - 1) as usize)
        .take(count as usize)
    {
        resources.push(query.project(group(&state, &caller, role).await?));
    }
    Ok(ok(discovery::list(resources, total, start)))
}

pub async fn get(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): List,
) -> Result<Response, ScimError> {
    let role = role_of(&id).ok_or_else(ScimError::not_found)?;
    Ok(ok(query.project(group(&state, &caller, role).await?)))
}

pub async fn create(_caller: Caller) -> ScimError {
    ScimError::mutability(
        "The groups are Muster's four roles (owner, admin, editor, viewer); others cannot be made.",
    )
}

pub async fn delete(_caller: Caller, Path(_id): Path<String>) -> ScimError {
    ScimError::mutability("The groups are Muster's four roles; they cannot be deleted.")
}

fn member_ids(value: &Value) -> Result<Vec<i64>, ScimError> {
    let all = match value {
        Value::Array(all) => all.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => {
            return Err(ScimError::invalid_value(
                "members is a list of {\"value\": \"<user id>\"}.",
            ));
        }
    };
    all.iter()
        .map(|m| {
            m["value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ScimError::invalid_value(format!("No such user: {m}")))
        })
        .collect()
}

/// Gives `ids` the group's role, and `removed` the least role.
async fn settle(
    state: &app::state::AppState,
    caller: &Caller,
    role: Role,
    ids: &[i64],
    removed: &[i64],
) -> Result<(), ScimError> {
    for id in ids {
        service::set_role(state, &caller.member, *id, role)
            .await
            .map_err(|e| caller.fail(e))?;
    }
    for id in removed {
        if role != Role::Viewer {
            service::set_role(state, &caller.member, *id, Role::Viewer)
                .await
                .map_err(|e| caller.fail(e))?;
        }
    }
    Ok(())
}

/// The ids of the people with `role`.
async fn member_ids_of(
    state: &app::state::AppState,
    caller: &Caller,
    role: Role,
) -> Result<Vec<i64>, ScimError> {
    Ok(service::group_members(state, &caller.member, role)
        .await
        .map_err(|e| caller.fail(e))?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// `members[value eq "12"]`: the id in a remove's path.
fn id_in_path(path: &str) -> Option<i64> {
    let inner = path.split_once('[')?.1.strip_suffix(']')?;
    let eq = filter::parse(inner).ok()?;
    eq.attribute
        .eq_ignore_ascii_case("value")
        .then(|| eq.value.parse().ok())?
}

pub async fn patch(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let role = role_of(&id).ok_or_else(ScimError::not_found)?;
    let ops = super::operations(&body)?;
    let current = member_ids_of(&state, &caller, role).await?;
    for op in ops {
        let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
        let path = op["path"].as_str().unwrap_or_default();
        let value = &op["value"];
        match (kind.as_str(), path.to_ascii_lowercase().as_str()) {
            ("add", "members") => settle(&state, &caller, role, &member_ids(value)?, &[]).await?,
            ("replace", "members") => {
                let ids = member_ids(value)?;
                let gone: Vec<i64> = current
                    .iter()
                    .copied()
                    .filter(|c| !ids.contains(c))
                    .collect();
                settle(&state, &caller, role, &ids, &gone).await?;
            }
            ("remove", "members") => {
                let ids = if value.is_null() {
                    current.clone()
                } else {
                    member_ids(value)?
                };
                settle(&state, &caller, role, &[], &ids).await?;
            }
            ("remove", p) if p.starts_with("members[") => {
                let id = id_in_path(path).ok_or_else(|| {
                    ScimError::invalid_path(format!("Unsupported path “{path}”."))
                })?;
                settle(&state, &caller, role, &[], &[id]).await?;
            }
            (_, "displayname") | (_, "")
                if value.get("members").is_none()
                    && (value.as_str() == Some(role.code())
                        || value["displayName"].as_str() == Some(role.code())) => {}
            (_, "") if value.get("members").is_some() => {
                let single = json!({"op": kind, "path": "members", "value": value["members"]});
                apply_one(&state, &caller, role, &current, &single).await?;
            }
            _ => {
                return Err(ScimError::mutability(format!(
                    "Only a group's members change (the groups are Muster's roles): “{path}”."
                )));
            }
        }
    }
    Ok(ok(group(&state, &caller, role).await?))
}

async fn apply_one(
    state: &app::state::AppState,
    caller: &Caller,
    role: Role,
    current: &[i64],
    op: &Value,
) -> Result<(), ScimError> {
    let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
    let ids = member_ids(&op["value"])?;
    match kind.as_str() {
        "add" => settle(state, caller, role, &ids, &[]).await,
        "remove" => settle(state, caller, role, &[], &ids).await,
        _ => {
            let gone: Vec<i64> = current
                .iter()
                .copied()
                .filter(|c| !ids.contains(c))
                .collect();
            settle(state, caller, role, &ids, &gone).await
        }
    }
}

/// PUT: the group's members become exactly those sent.
pub async fn replace(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let role = role_of(&id).ok_or_else(ScimError::not_found)?;
    if let Some(name) = body["displayName"].as_str()
        && !name.eq_ignore_ascii_case(role.code())
    {
        return Err(ScimError::mutability(
            "A group's displayName is its role and does not change.",
        ));
    }
    let current = member_ids_of(&state, &caller, role).await?;
    let ids = if body["members"].is_null() {
        Vec::new()
    } else {
        member_ids(&body["members"])?
    };
    let gone: Vec<i64> = current
        .iter()
        .copied()
        .filter(|c| !ids.contains(c))
        .collect();
    settle(&state, &caller, role, &ids, &gone).await?;
    Ok(ok(group(&state, &caller, role).await?))
}

use axum::extract::State;

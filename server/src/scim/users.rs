//! `/scim/v2/Users`: the organization's directory.

use app::provisioning::server::service::{self, Fields, Filter, Person};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::discovery::{self, USER};
use super::{App, Body, Caller, List, ScimError, filter, ok, scim_json};
use axum::extract::Query;

pub fn user(base: &str, p: &Person) -> Value {
    let role = p.role.code();
    let group = role.to_ascii_lowercase();
    let mut body = json!({
        "schemas": [USER],
        "id": p.id.to_string(),
        "userName": p.email,
        "name": {"formatted": p.name},
        "displayName": p.name,
        "emails": [{"value": p.email, "type": "work", "primary": true}],
        "active": p.active,
        "groups": [{"value": group, "display": role, "$ref": format!("{base}/scim/v2/Groups/{group}")}],
        "meta": {
            "resourceType": "User",
            "created": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "location": format!("{base}/scim/v2/Users/{}", p.id),
        }
    });
    if let Some(external_id) = &p.external_id {
        body["externalId"] = json!(external_id);
    }
    body
}

fn id_of(raw: &str) -> Result<i64, ScimError> {
    raw.parse().map_err(|_| ScimError::not_found())
}

pub async fn list(
    State(state): App,
    caller: Caller,
    Query(query): List,
) -> Result<Response, ScimError> {
    let mut wanted = Filter::default();
    if let Some(raw) = query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        let eq = filter::parse(raw)?;
        if filter::is_email(&eq.attribute) {
            wanted.email = Some(eq.value);
        } else if eq.attribute.eq_ignore_ascii_case("externalId") {
            wanted.external_id = Some(eq.value);
        } else {
            return Err(ScimError::invalid_filter(format!(
                "Users cannot be filtered by “{}”: use userName, emails.value or externalId.",
                eq.attribute
            )));
        }
    }
    let (start, count) = query.page();
    let (total, people) = service::list(&state, &caller.member, &wanted, start, count)
        .await
        .map_err(|e| caller.fail(e))?;
    let resources = people
        .iter()
        .map(|p| query.project(user(&caller.base, p)))
        .collect();
    Ok(ok(discovery::list(resources, total, start)))
}

pub async fn get(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): List,
) -> Result<Response, ScimError> {
    let person = service::get(&state, &caller.member, id_of(&id)?)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(query.project(user(&caller.base, &person))))
}

/// The person's name from what providers send: `displayName`, `name.formatted`, or
/// `name.givenName` and `name.familyName`.
fn name_of(body: &Value) -> Option<String> {
    let text = |v: &Value| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    text(&body["displayName"])
        .or_else(|| text(&body["name"]["formatted"]))
        .or_else(|| {
            let parts: Vec<String> = [&body["name"]["givenName"], &body["name"]["familyName"]]
                .into_iter()
                .filter_map(text)
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
}

/// The address: the primary (or first) email, else `userName`.
fn email_of(body: &Value) -> Option<String> {
    let emails = body["emails"].as_array();
    emails
        .and_then(|all| {
            all.iter()
                .find(|e| e["primary"].as_bool() == Some(true))
                .or_else(|| all.first())
        })
        .and_then(|e| e["value"].as_str())
        .or_else(|| body["userName"].as_str())
        .map(|s| s.trim().to_owned())
}

/// `true`, `false`, or Entra ID's `"True"` / `"False"`.
fn boolean(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!(
            "active must be true or false, not {other}"
        ))),
    }
}

fn fields_of(body: &Value) -> Result<Fields, ScimError> {
    Ok(Fields {
        email: email_of(body),
        name: name_of(body),
        active: match &body["active"] {
            Value::Null => None,
            v => Some(boolean(v)?),
        },
        external_id: body["externalId"].as_str().map(|e| Some(e.to_owned())),
    })
}

pub async fn create(
    State(state): App,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let fields = fields_of(&body)?;
    if fields.email.is_none() {
        return Err(ScimError::invalid_value(
            "userName (the person's email address) is required.",
        ));
    }
    let person = service::create(&state, &caller.member, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(scim_json(StatusCode::CREATED, user(&caller.base, &person)))
}

/// PUT: the attributes sent replace the person's; `userName` may not change.
pub async fn replace(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let id = id_of(&id)?;
    let mut fields = fields_of(&body)?;
    if fields.external_id.is_none() {
        fields.external_id = Some(None);
    }
    let person = service::update(&state, &caller.member, id, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(user(&caller.base, &person)))
}

/// One PATCH operation's change, in the forms Okta and Entra ID send.
fn apply(op: &Value, fields: &mut Fields) -> Result<(), ScimError> {
    let kind = op["op"].as_str().unwrap_or_default().to_ascii_lowercase();
    if !matches!(kind.as_str(), "add" | "replace" | "remove") {
        return Err(ScimError::invalid_syntax(format!(
            "Unknown PATCH op “{}”.",
            op["op"]
        )));
    }
    let value = &op["value"];
    let Some(path) = op["path"].as_str() else {
        // No path: the value is an object of attributes (Okta's and Entra ID's "replace").
        let Some(attributes) = value.as_object() else {
            return Err(ScimError::invalid_syntax(
                "A PATCH without a path needs an object value.",
            ));
        };
        for (key, value) in attributes {
            let single = json!({"op": kind, "path": key, "value": value});
            apply(&single, fields)?;
        }
        return Ok(());
    };
    let path_lower = path.to_ascii_lowercase();
    let text = || value.as_str().map(str::to_owned);
    match path_lower.as_str() {
        "active" if kind != "remove" => fields.active = Some(boolean(value)?),
        "displayname" | "name.formatted" if kind != "remove" => fields.name = text(),
        "name" if kind != "remove" => fields.name = name_of(&json!({"name": value})),
        "name.givenname" | "name.familyname" if kind != "remove" => {
            // One name is kept: a part replaces the part it names in the current name.
            let part = text().unwrap_or_default();
            let current = fields.name.clone().unwrap_or_default();
            let mut words: Vec<&str> = current.split_whitespace().collect();
            let name = if path_lower == "name.givenname" {
                if words.is_empty() {
                    part
                } else {
                    words[0] = &part;
                    words.join(" ")
                }
            } else if words.len() > 1 {
                let last = words.len() - 1;
                words[last] = &part;
                words.join(" ")
            } else {
                format!("{} {part}", current).trim().to_owned()
            };
            fields.name = Some(name);
        }
        "externalid" => fields.external_id = Some(if kind == "remove" { None } else { text() }),
        p if p == "username" || filter::is_email(p) => {
            if kind == "remove" {
                return Err(ScimError::mutability(
                    "The email address cannot be removed.",
                ));
            }
            let email = match value {
                Value::Array(all) => email_of(&json!({"emails": all})),
                _ => text(),
            };
            fields.email = email;
        }
        _ => {
            return Err(ScimError::invalid_path(format!(
                "Muster does not keep “{path}” (it keeps userName, name, displayName, emails, active and externalId)."
            )));
        }
    }
    Ok(())
}

pub async fn patch(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let id = id_of(&id)?;
    let ops = super::operations(&body)?;
    let current = service::get(&state, &caller.member, id)
        .await
        .map_err(|e| caller.fail(e))?;
    let mut fields = Fields {
        name: Some(current.name.clone()),
        ..Fields::default()
    };
    for op in ops {
        apply(op, &mut fields)?;
    }
    if fields.name.as_deref() == Some(current.name.as_str()) {
        fields.name = None;
    }
    let person = service::update(&state, &caller.member, id, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(user(&caller.base, &person)))
}

/// DELETE deactivates: the person stays in the directory, without access.
pub async fn delete(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let id = id_of(&id)?;
    service::remove(&state, &caller.member, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

use axum::extract::State;

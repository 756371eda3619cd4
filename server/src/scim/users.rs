//! `/scim/v2/Users`: the organization's directory. `userName`, `displayName`, `name` and
//! `externalId` are kept as the provider sends them; the primary email is the address
//! Muster invites and the People page lists.

use app::provisioning::server::service::{self, Fields, Filter, Person, profile_of};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::discovery::{self, NAME_PARTS, USER};
use super::patch::{self, Shape};
use super::{App, Body, Caller, List, ListQuery, ScimError, filter, ok, scim_json};

pub const SHAPE: Shape = Shape {
    urn: USER,
    attributes: &[
        "userName",
        "name",
        "displayName",
        "emails",
        "active",
        "externalId",
    ],
    multi: &["emails"],
};

/// A person as SCIM shows them, with the provider's groups they are in.
pub fn user(base: &str, p: &Person, groups: &[(i64, String)]) -> Value {
    let role = p.role.code();
    let role_group = role.to_ascii_lowercase();
    let mut member_of = vec![
        json!({"value": role_group, "display": role, "type": "direct",
                                    "$ref": format!("{base}/scim/v2/Groups/{role_group}")}),
    ];
    member_of.extend(groups.iter().map(|(id, name)| {
        json!({"value": id.to_string(), "display": name, "type": "direct",
               "$ref": format!("{base}/scim/v2/Groups/{id}")})
    }));
    let mut body = json!({
        "schemas": [USER],
        "id": p.id.to_string(),
        "userName": p.user_name,
        "emails": [{"value": p.email, "type": "work", "primary": true}],
        "active": p.active,
        "groups": member_of,
        "meta": {
            "resourceType": "User",
            "created": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "location": format!("{base}/scim/v2/Users/{}", p.id),
        }
    });
    match &p.profile {
        // Sent by a provider: as sent (the addresses, while they still hold the one
        // Muster invites as their primary).
        Some(Value::Object(profile)) => {
            for (key, value) in profile {
                if key != "emails"
                    || email_of(&json!({"emails": value}))
                        .is_some_and(|e| e.eq_ignore_ascii_case(&p.email))
                {
                    body[key] = value.clone();
                }
            }
        }
        // Added by hand: the name the People page shows.
        _ => {
            body["displayName"] = json!(p.name);
            body["name"] = json!({"formatted": p.name});
        }
    }
    if let Some(external_id) = &p.external_id {
        body["externalId"] = json!(external_id);
    }
    body
}

async fn shown(
    caller: &Caller,
    state: &app::state::AppState,
    p: &Person,
) -> Result<Value, ScimError> {
    let groups = service::groups_of(state, &caller.member, &[p.id])
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(user(
        &caller.base,
        p,
        groups.get(&p.id).map_or(&[], Vec::as_slice),
    ))
}

fn id_of(raw: &str) -> Result<i64, ScimError> {
    raw.parse().map_err(|_| ScimError::not_found())
}

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The primary (or first) email.
fn email_of(body: &Value) -> Option<String> {
    let all = body["emails"].as_array()?;
    all.iter()
        .find(|e| e["primary"].as_bool() == Some(true))
        .or_else(|| all.first())
        .and_then(|e| text(&e["value"]))
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

/// The longest `userName`, `externalId`, `displayName` and name part kept.
const TEXT_MAX: usize = 256;
/// The most addresses a person's `emails` may list.
const EMAILS_MAX: usize = 20;
/// The largest stored profile (names, addresses, display name), as JSON.
const PROFILE_MAX: usize = 16 * 1024;

fn at_most(what: &str, text: Option<&str>, max: usize) -> Result<(), ScimError> {
    match text {
        Some(t) if t.chars().count() > max => Err(ScimError::too_long(what, max)),
        _ => Ok(()),
    }
}

/// A User body as the service's fields. Without `userName`, the address is the user
/// name; without `emails`, the user name is the address. Texts have length limits; a
/// provider cannot store an unbounded profile.
fn fields_of(body: &Value) -> Result<Fields, ScimError> {
    let email = email_of(body);
    let user_name = text(&body["userName"])
        .or_else(|| email.clone())
        .ok_or_else(|| ScimError::invalid_value("userName is required."))?;
    let mut profile = profile_of(body);
    if let Some(name) = profile.get_mut("name") {
        let Some(parts) = name.as_object_mut() else {
            return Err(ScimError::invalid_value("name is an object of name parts."));
        };
        parts.retain(|k, v| NAME_PARTS.contains(&k.as_str()) && v.is_string());
    }
    if let Some(emails) = profile.get("emails") {
        let well_formed = emails
            .as_array()
            .is_some_and(|all| all.iter().all(|e| e["value"].is_string()));
        if !well_formed {
            return Err(ScimError::invalid_value(
                "emails is a list of {\"value\": \"<address>\"}.",
            ));
        }
    }
    if profile.get("displayName").is_some_and(|d| !d.is_string()) {
        return Err(ScimError::invalid_value("displayName is a string."));
    }
    at_most("userName", Some(&user_name), TEXT_MAX)?;
    at_most("externalId", body["externalId"].as_str(), TEXT_MAX)?;
    at_most(
        "displayName",
        profile.get("displayName").and_then(Value::as_str),
        TEXT_MAX,
    )?;
    if let Some(parts) = profile.get("name").and_then(Value::as_object) {
        for (part, value) in parts {
            at_most(&format!("name.{part}"), value.as_str(), TEXT_MAX)?;
        }
    }
    if let Some(emails) = profile.get("emails").and_then(Value::as_array) {
        if emails.len() > EMAILS_MAX {
            return Err(ScimError::invalid_value(format!(
                "emails lists more than {EMAILS_MAX} addresses."
            )));
        }
        for email in emails {
            at_most("emails.value", email["value"].as_str(), 254)?;
        }
    }
    if profile.to_string().len() > PROFILE_MAX {
        return Err(ScimError::invalid_value(format!(
            "The user's names and addresses are longer than {PROFILE_MAX} bytes together."
        )));
    }
    Ok(Fields {
        user_name,
        email,
        profile,
        active: match &body["active"] {
            Value::Null => None,
            v => Some(boolean(v)?),
        },
        external_id: text(&body["externalId"]),
    })
}

/// Which people a `filter` asks for.
fn filter_of(raw: Option<&str>) -> Result<Filter, ScimError> {
    let mut wanted = Filter::default();
    if let Some(raw) = raw.filter(|f| !f.trim().is_empty()) {
        let eq = filter::parse(raw)?;
        let attribute = eq.attribute.to_ascii_lowercase();
        let attribute = attribute
            .strip_prefix(&format!("{}:", USER.to_ascii_lowercase()))
            .unwrap_or(&attribute);
        if attribute == "username" {
            wanted.user_name = Some(eq.value);
        } else if filter::is_email(attribute) {
            wanted.email = Some(eq.value);
        } else if attribute == "externalid" {
            wanted.external_id = Some(eq.value);
        } else {
            return Err(ScimError::invalid_filter(format!(
                "Users cannot be filtered by “{}”: use userName, emails.value or externalId.",
                eq.attribute
            )));
        }
    }
    Ok(wanted)
}

async fn page(
    state: &app::state::AppState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<Response, ScimError> {
    let wanted = filter_of(query.filter.as_deref())?;
    let (start, count) = query.page();
    let (total, people) = service::list(state, &caller.member, &wanted, start, count)
        .await
        .map_err(|e| caller.fail(e))?;
    // The provider's groups of the whole page in one query.
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let groups = service::groups_of(state, &caller.member, &ids)
        .await
        .map_err(|e| caller.fail(e))?;
    let resources = people
        .iter()
        .map(|p| {
            let theirs = groups.get(&p.id).map_or(&[][..], Vec::as_slice);
            query.project(user(&caller.base, p, theirs))
        })
        .collect();
    Ok(ok(discovery::list(resources, total, start)))
}

pub async fn list(
    State(state): App,
    caller: Caller,
    Query(query): List,
) -> Result<Response, ScimError> {
    page(&state, &caller, &query).await
}

/// `POST /Users/.search`: a list asked for in the body (RFC 7644 §3.4.3).
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
    let person = service::get(&state, &caller.member, id_of(&id)?)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(query.project(shown(&caller, &state, &person).await?)))
}

pub async fn create(
    State(state): App,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let fields = fields_of(&body)?;
    let person = service::create(&state, &caller.member, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(scim_json(
        StatusCode::CREATED,
        shown(&caller, &state, &person).await?,
    ))
}

/// PUT: the person becomes what is sent (an attribute left out is removed; `active`
/// left out stays as it is).
pub async fn replace(
    State(state): App,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ScimError> {
    let id = id_of(&id)?;
    let fields = fields_of(&body)?;
    let person = service::update(&state, &caller.member, id, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(shown(&caller, &state, &person).await?))
}

/// PATCH: the operations applied to the person as SCIM shows them, then saved as a PUT.
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
    let mut resource = user(&caller.base, &current, &[]);
    patch::apply_all(&SHAPE, &mut resource, ops)?;
    let fields = fields_of(&resource)?;
    let person = service::update(&state, &caller.member, id, fields)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(ok(shown(&caller, &state, &person).await?))
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

#[cfg(test)]
mod tests {
    use super::fields_of;
    use serde_json::json;

    #[test]
    fn user_names_names_and_profiles_have_length_limits() {
        let long = "x".repeat(257);
        for body in [
            json!({ "userName": long }),
            json!({ "userName": "a@b.test", "externalId": long }),
            json!({ "userName": "a@b.test", "displayName": long }),
            json!({ "userName": "a@b.test", "name": { "givenName": long } }),
            json!({ "userName": "a@b.test", "emails": vec![json!({ "value": "a@b.test" }); 21] }),
        ] {
            assert!(fields_of(&body).is_err(), "{body}");
        }
        assert!(fields_of(&json!({ "userName": "x".repeat(256) })).is_ok());
    }
}

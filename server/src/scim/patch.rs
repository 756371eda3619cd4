//! PATCH (RFC 7644 §3.5.2) applied to a resource as JSON: the handler turns the resource
//! into its SCIM form, applies the operations here, and saves the result as a PUT would.
//! The forms Okta and Entra ID send are read: ops in any case, no path with an object
//! value, `emails[type eq "work"].value`, `members[value eq "…"]`, and a remove of
//! members that names them in its value.

use serde_json::{Map, Value};

use super::{ScimError, filter};

/// What a resource type lets PATCH reach: its attributes, and which hold lists.
pub struct Shape {
    pub urn: &'static str,
    pub attributes: &'static [&'static str],
    pub multi: &'static [&'static str],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A path: `attribute`, `attribute.sub`, `attribute[filter]` or `attribute[filter].sub`.
struct Target {
    attribute: String,
    filter: Option<filter::Eq>,
    sub: Option<String>,
}

impl Shape {
    fn target(&self, path: &str) -> Result<Target, ScimError> {
        let bad = || {
            ScimError::invalid_path(format!(
                "Muster cannot change “{path}”: it changes {}.",
                self.attributes.join(", ")
            ))
        };
        let mut rest = path.trim();
        // A schema-qualified path: `urn:ietf:params:scim:schemas:core:2.0:User:active`.
        // `get`, not slicing: a path with a multi-byte character at the URN's length
        // must be refused, not panic.
        if let Some(prefix) = rest.get(..self.urn.len())
            && rest.len() > self.urn.len()
            && prefix.eq_ignore_ascii_case(self.urn)
        {
            rest = rest[self.urn.len()..].trim_start_matches(':');
        }
        let (head, filter, tail) = match rest.split_once('[') {
            Some((head, more)) => {
                let (inner, tail) = more.split_once(']').ok_or_else(bad)?;
                (head, Some(filter::parse(inner)?), tail.strip_prefix('.'))
            }
            None => match rest.split_once('.') {
                Some((head, sub)) => (head, None, Some(sub)),
                None => (rest, None, None),
            },
        };
        let attribute = self
            .attributes
            .iter()
            .find(|a| a.eq_ignore_ascii_case(head))
            .ok_or_else(bad)?;
        Ok(Target {
            attribute: (*attribute).to_owned(),
            filter,
            sub: tail.filter(|s| !s.is_empty()).map(str::to_owned),
        })
    }

    fn is_multi(&self, attribute: &str) -> bool {
        self.multi.contains(&attribute)
    }
}

/// Applies a PATCH request's operations to `resource`.
pub fn apply_all(shape: &Shape, resource: &mut Value, ops: &[Value]) -> Result<(), ScimError> {
    for op in ops {
        apply(shape, resource, op)?;
    }
    Ok(())
}

fn apply(shape: &Shape, resource: &mut Value, op: &Value) -> Result<(), ScimError> {
    let kind = match op["op"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "Unknown PATCH op {}: use add, replace or remove.",
                op["op"]
            )));
        }
    };
    let value = op.get("value").cloned().unwrap_or(Value::Null);
    let Some(path) = op["path"].as_str().filter(|p| !p.trim().is_empty()) else {
        if kind == Op::Remove {
            return Err(ScimError::new(
                400,
                Some("noTarget"),
                "A remove names a path.",
            ));
        }
        let Value::Object(attributes) = value else {
            return Err(ScimError::invalid_syntax(
                "A PATCH without a path needs an object value.",
            ));
        };
        for (key, value) in attributes {
            let target = shape.target(&key)?;
            change(shape, resource, kind, &target, value)?;
        }
        return Ok(());
    };
    let target = shape.target(path)?;
    change(shape, resource, kind, &target, value)
}

fn object(resource: &mut Value) -> &mut Map<String, Value> {
    if !resource.is_object() {
        *resource = Value::Object(Map::new());
    }
    resource.as_object_mut().expect("an object")
}

/// Whether a list item matches `[attribute eq "value"]` (without case, as SCIM's strings
/// are unless a schema says otherwise).
fn matches(item: &Value, eq: &filter::Eq) -> bool {
    let found = item
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&eq.attribute))
        })
        .map(|(_, v)| v);
    match found {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(&eq.value),
        Some(Value::Bool(b)) => b.to_string() == eq.value.to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string() == eq.value,
        _ => false,
    }
}

fn items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(all) => all,
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn change(
    shape: &Shape,
    resource: &mut Value,
    kind: Op,
    target: &Target,
    value: Value,
) -> Result<(), ScimError> {
    let fields = object(resource);
    let name = target.attribute.as_str();
    if kind != Op::Remove && value.is_null() {
        return Err(ScimError::invalid_value(format!(
            "The {name} operation needs a value."
        )));
    }
    if shape.is_multi(name) {
        let list = fields
            .entry(name.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let list = list.as_array_mut().expect("a list");
        match (&target.filter, &target.sub, kind) {
            (None, None, Op::Add) => {
                for item in items(value) {
                    if !list.contains(&item) {
                        list.push(item);
                    }
                }
            }
            (None, None, Op::Replace) => *list = items(value),
            (None, None, Op::Remove) if value.is_null() => list.clear(),
            // Entra ID names the members to remove in the value.
            (None, None, Op::Remove) => {
                let gone = items(value);
                list.retain(|item| !gone.iter().any(|g| g["value"] == item["value"]));
            }
            (Some(eq), None, Op::Remove) => list.retain(|item| !matches(item, eq)),
            (Some(eq), Some(sub), Op::Remove) => {
                for item in list.iter_mut().filter(|i| matches(i, eq)) {
                    object(item).remove(sub);
                }
            }
            (Some(eq), sub, _) => {
                let mut found = false;
                for item in list.iter_mut().filter(|i| matches(i, eq)) {
                    found = true;
                    set(item, sub.as_deref(), value.clone());
                }
                if !found {
                    // `emails[type eq "work"].value` adds the work address.
                    let mut item = Value::Object(Map::new());
                    object(&mut item).insert(eq.attribute.clone(), Value::String(eq.value.clone()));
                    set(&mut item, sub.as_deref(), value);
                    list.push(item);
                }
            }
            // `emails.value`: the primary (or only) item's.
            (None, Some(sub), _) => {
                let at = list
                    .iter()
                    .position(|i| i["primary"] == Value::Bool(true))
                    .or((!list.is_empty()).then_some(0));
                match (at, kind) {
                    (Some(at), Op::Remove) => {
                        object(&mut list[at]).remove(sub);
                    }
                    (Some(at), _) => set(&mut list[at], Some(sub), value),
                    (None, Op::Remove) => {}
                    (None, _) => {
                        let mut item = Value::Object(Map::new());
                        set(&mut item, Some(sub), value);
                        list.push(item);
                    }
                }
            }
        }
        if list.is_empty() {
            fields.remove(name);
        }
        return Ok(());
    }
    if target.filter.is_some() {
        return Err(ScimError::invalid_path(format!("{name} is not a list.")));
    }
    match (&target.sub, kind) {
        (None, Op::Remove) => {
            fields.remove(name);
        }
        (Some(sub), Op::Remove) => {
            if let Some(inner) = fields.get_mut(name).and_then(Value::as_object_mut) {
                inner.remove(sub);
                if inner.is_empty() {
                    fields.remove(name);
                }
            }
        }
        // A complex attribute's sub-attributes are merged (RFC 7644 §3.5.2.3).
        (None, _) if value.is_object() => {
            let entry = fields
                .entry(name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Some(inner), Value::Object(new)) = (entry.as_object_mut(), &value) {
                for (k, v) in new {
                    inner.insert(k.clone(), v.clone());
                }
            } else {
                *entry = value;
            }
        }
        (None, _) => {
            fields.insert(name.to_owned(), value);
        }
        (Some(sub), _) => {
            let entry = fields
                .entry(name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            set(entry, Some(sub), value);
        }
    }
    Ok(())
}

fn set(item: &mut Value, sub: Option<&str>, value: Value) {
    match sub {
        Some(sub) => {
            object(item).insert(sub.to_owned(), value);
        }
        None => *item = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::scim::users::SHAPE as USER;

    #[test]
    fn a_non_ascii_path_at_the_urns_length_is_refused_without_a_panic() {
        let mut path = "x".repeat(USER.urn.len() - 1);
        path.push('é');
        path.push_str(":active");
        assert!(USER.target(&path).is_err());
    }

    fn patched(start: Value, ops: Value) -> Result<Value, ScimError> {
        let mut doc = start;
        apply_all(&USER, &mut doc, ops.as_array().unwrap())?;
        Ok(doc)
    }

    #[test]
    fn the_shapes_okta_and_entra_id_send_change_what_they_name() {
        let start = json!({"userName": "bo", "name": {"givenName": "Bo", "familyName": "Ng"},
                           "emails": [{"value": "bo@acme.test", "type": "work", "primary": true}],
                           "active": true});
        let after = patched(start.clone(), json!([
            {"op": "Replace", "path": "name.familyName", "value": "Tran"},
            {"op": "replace", "value": {"active": false, "displayName": "Bo T"}},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "bo.t@acme.test"},
            {"op": "Remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName"}
        ])).unwrap();
        assert_eq!(
            after["name"],
            json!({"givenName": "Bo", "familyName": "Tran"})
        );
        assert_eq!(after["active"], false);
        assert_eq!(after["displayName"], "Bo T");
        assert_eq!(after["emails"][0]["value"], "bo.t@acme.test");
        assert_eq!(
            after["emails"][0]["primary"], true,
            "the item's other parts stay"
        );
        assert_eq!(after.get("userName"), None);
        let after = patched(start, json!([{"op": "remove", "path": "name"}])).unwrap();
        assert_eq!(after.get("name"), None);
    }

    #[test]
    fn an_unknown_path_or_op_is_refused_with_its_scim_type() {
        let start = json!({"userName": "bo"});
        let err = patched(
            start.clone(),
            json!([{"op": "replace", "path": "title", "value": "CTO"}]),
        );
        assert!(format!("{:?}", err.unwrap_err()).contains("invalidPath"));
        let err = patched(
            start.clone(),
            json!([{"op": "move", "path": "userName", "value": "x"}]),
        );
        assert!(format!("{:?}", err.unwrap_err()).contains("invalidSyntax"));
        let err = patched(start, json!([{"op": "remove"}]));
        assert!(format!("{:?}", err.unwrap_err()).contains("noTarget"));
    }
}

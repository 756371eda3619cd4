//! What the service offers (RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes`
//! and `/Schemas`. The schemas list only the attributes Muster keeps.

use serde_json::{Value, json};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{base}/resources"),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": 200},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "A SCIM token an OWNER makes in Settings → Provisioning, sent as Authorization: Bearer <token>.",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/scim/v2/ServiceProviderConfig")}
    })
}

fn resource_type(base: &str, name: &str, endpoint: &str, schema: &str, description: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/{name}")}
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        resource_type(
            base,
            "User",
            "/Users",
            USER,
            "People of the organization's directory",
        ),
        resource_type(
            base,
            "Group",
            "/Groups",
            GROUP,
            "The four roles: membership sets a person's role",
        ),
    ]
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": name,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none"
    })
}

fn complex(name: &str, multi: bool, mutability: &str, sub: Vec<Value>) -> Value {
    json!({
        "name": name,
        "type": "complex",
        "multiValued": multi,
        "description": name,
        "required": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
        "subAttributes": sub
    })
}

fn reference(name: &str, to: &[&str]) -> Value {
    let mut r = attribute(name, "reference", false, "readOnly");
    r["referenceTypes"] = json!(to);
    r
}

fn user_schema(base: &str) -> Value {
    let mut user_name = attribute("userName", "string", true, "immutable");
    user_name["uniqueness"] = json!("server");
    let emails = complex(
        "emails",
        true,
        "immutable",
        vec![
            attribute("value", "string", false, "immutable"),
            attribute("type", "string", false, "immutable"),
            attribute("primary", "boolean", false, "immutable"),
        ],
    );
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER,
        "name": "User",
        "description": "A person of the organization's directory; userName is their email address",
        "attributes": [
            user_name,
            complex("name", false, "readWrite", vec![
                attribute("formatted", "string", false, "readWrite"),
                attribute("givenName", "string", false, "readWrite"),
                attribute("familyName", "string", false, "readWrite"),
            ]),
            attribute("displayName", "string", false, "readWrite"),
            emails,
            attribute("active", "boolean", false, "readWrite"),
            complex("groups", true, "readOnly", vec![
                attribute("value", "string", false, "readOnly"),
                reference("$ref", &["Group"]),
                attribute("display", "string", false, "readOnly"),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{USER}")}
    })
}

fn group_schema(base: &str) -> Value {
    let mut display = attribute("displayName", "string", true, "readOnly");
    display["uniqueness"] = json!("server");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP,
        "name": "Group",
        "description": "One of the four roles (OWNER, ADMIN, EDITOR, VIEWER); its members have that role",
        "attributes": [
            display,
            complex("members", true, "readWrite", vec![
                attribute("value", "string", false, "immutable"),
                reference("$ref", &["User"]),
                attribute("display", "string", false, "readOnly"),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{GROUP}")}
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    vec![user_schema(base), group_schema(base)]
}

pub fn list(resources: Vec<Value>, total: i64, start: i64) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

//! What the service offers (RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes`
//! and `/Schemas`. The schemas list only the attributes Muster keeps.

use serde_json::{Value, json};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The parts of a User's `name` Muster keeps.
pub const NAME_PARTS: [&str; 6] = [
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

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
            "The four roles (membership sets a person's role) and the provider's own groups",
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

fn reference(name: &str, to: &[&str], mutability: &str) -> Value {
    let mut r = attribute(name, "reference", false, mutability);
    r["referenceTypes"] = json!(to);
    r
}

fn user_schema(base: &str) -> Value {
    let mut user_name = attribute("userName", "string", true, "readWrite");
    user_name["uniqueness"] = json!("server");
    let mut emails = complex(
        "emails",
        true,
        "readWrite",
        vec![
            attribute("value", "string", true, "readWrite"),
            attribute("type", "string", false, "readWrite"),
            attribute("primary", "boolean", false, "readWrite"),
        ],
    );
    emails["required"] = json!(true);
    emails["description"] =
        json!("The primary (or first) address is the one Muster invites and lists.");
    let name_parts = NAME_PARTS
        .map(|part| attribute(part, "string", false, "readWrite"))
        .to_vec();
    let mut active = attribute("active", "boolean", true, "readWrite");
    active["description"] = json!("false deactivates the person; a new person is active.");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER,
        "name": "User",
        "description": "A person of the organization's directory",
        "attributes": [
            user_name,
            complex("name", false, "readWrite", name_parts),
            attribute("displayName", "string", false, "readWrite"),
            emails,
            active,
            complex("groups", true, "readOnly", vec![
                attribute("value", "string", false, "readOnly"),
                reference("$ref", &["Group"], "readOnly"),
                attribute("display", "string", false, "readOnly"),
                attribute("type", "string", false, "readOnly"),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{USER}")}
    })
}

fn group_schema(base: &str) -> Value {
    let mut display = attribute("displayName", "string", true, "readWrite");
    display["uniqueness"] = json!("server");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP,
        "name": "Group",
        "description": "owner, admin, editor and viewer are the roles (their members have that role); other groups are kept as sent and grant nothing",
        "attributes": [
            display,
            complex("members", true, "readWrite", vec![
                attribute("value", "string", false, "immutable"),
                reference("$ref", &["User"], "immutable"),
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

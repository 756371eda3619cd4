//! SCIM 2.0 provisioning (RFC 7643, RFC 7644) at `/scim/v2`, for an organization's
//! identity provider (Okta, Entra ID, ...). Requests carry a SCIM token
//! (`Authorization: Bearer mk_...`) that an OWNER made in Settings → Provisioning; it acts
//! as an OWNER of that organization and works nowhere else (nor do REST keys here).
//!
//! - `/Users`: the organization's directory. The primary email is the address Muster
//!   invites; `userName`, `name`, `displayName` and `externalId` are kept as sent.
//!   Creating a person adds them as a VIEWER and sends the invitation; `DELETE`, and
//!   `active: false`, deactivate (Muster keeps the person, as "Deactivate" does).
//! - `/Groups`: the four roles, `owner`, `admin`, `editor` and `viewer`, whose membership
//!   sets the role (a person removed from one gets the least role, VIEWER); and the
//!   provider's own groups, kept as sent, which grant nothing.
//!
//! Handlers are thin: the People services do the work, so seats, the daily quota, the
//! invitation mail, the OWNER rules and the audit log apply as for people added by hand.

mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod users;

use app::access::Member;
use app::api_keys::server::service as api_keys;
use app::api_keys::types::KeyPurpose;
use app::i18n::Locale;
use app::request::locale_from_headers;
use app::state::AppState;
use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Query, State};
use axum::http::{header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

pub use error::ScimError;

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route("/scim/v2/Users", get(users::list).post(users::create))
        .route("/scim/v2/Users/.search", post(users::search))
        .route(
            "/scim/v2/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/scim/v2/Groups", get(groups::list).post(groups::create))
        .route("/scim/v2/Groups/.search", post(groups::search))
        .route("/scim/v2/.search", post(search_everything))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route("/scim/v2/{*rest}", axum::routing::any(not_found))
}

/// The member a SCIM token acts as, and the caller's language (for `detail`).
pub struct Caller {
    pub member: Member,
    pub locale: Locale,
    pub base: String,
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimError> {
        let app = AppState::from_ref(state);
        let locale = locale_from_headers(&parts.headers);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match api_keys::authenticate(&app, token, KeyPurpose::Scim).await {
            Ok(member) => Ok(Caller {
                member,
                locale,
                base: app.settings.base_url.clone(),
            }),
            Err(err) => Err(ScimError::from_app(&err, locale)),
        }
    }
}

impl Caller {
    pub fn fail(&self, err: app::error::AppError) -> ScimError {
        ScimError::from_app(&err, self.locale)
    }
}

/// A SCIM answer: JSON with the SCIM media type.
pub fn scim_json(status: axum::http::StatusCode, body: Value) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/scim+json"),
    );
    res
}

pub fn ok(body: Value) -> Response {
    scim_json(axum::http::StatusCode::OK, body)
}

/// A JSON body (SCIM clients send `application/scim+json`, which axum's `Json` refuses).
pub struct Body(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ScimError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ScimError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ScimError::invalid_syntax(e.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ScimError::invalid_syntax(format!("The body is not JSON: {e}")))
    }
}

/// A PATCH request's operations (RFC 7644 §3.5.2), once it names the PatchOp schema.
pub fn operations(body: &Value) -> Result<&Vec<Value>, ScimError> {
    if !body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s == discovery::PATCH))
    {
        return Err(ScimError::invalid_syntax(format!(
            "A PATCH names the schema {}.",
            discovery::PATCH
        )));
    }
    body["Operations"]
        .as_array()
        .ok_or_else(|| ScimError::invalid_syntax("A PATCH has Operations."))
}

/// `startIndex`, `count` and `filter` of a list.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "startIndex")]
    start_index: Option<i64>,
    count: Option<i64>,
    pub filter: Option<String>,
    /// Only these attributes (and `id`, `schemas`), comma-separated.
    attributes: Option<String>,
    /// All but these attributes (never `id` or `schemas`).
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

impl ListQuery {
    /// A `/.search` request's body (RFC 7644 §3.4.3) as the query it stands for.
    pub fn from_search(body: &Value) -> Result<ListQuery, ScimError> {
        let names = |key: &str| -> Result<Option<String>, ScimError> {
            match &body[key] {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                Value::Array(all) => all
                    .iter()
                    .map(|a| a.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(|all| Some(all.join(",")))
                    .ok_or_else(|| ScimError::invalid_syntax(format!("{key} is a list of names."))),
                _ => Err(ScimError::invalid_syntax(format!(
                    "{key} is a list of names."
                ))),
            }
        };
        let number = |key: &str| -> Result<Option<i64>, ScimError> {
            match &body[key] {
                Value::Null => Ok(None),
                v => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_syntax(format!("{key} is a number."))),
            }
        };
        Ok(ListQuery {
            start_index: number("startIndex")?,
            count: number("count")?,
            filter: body["filter"].as_str().map(str::to_owned),
            attributes: names("attributes")?,
            excluded_attributes: names("excludedAttributes")?,
        })
    }

    /// The resource with only the attributes asked for (RFC 7644 §3.9). A sub-attribute
    /// (`name.givenName`) keeps or drops its whole attribute.
    pub fn project(&self, mut resource: Value) -> Value {
        let names = |list: &Option<String>| -> Vec<String> {
            list.as_deref()
                .unwrap_or_default()
                .split(',')
                .map(|a| {
                    let a = a.trim();
                    // A schema-qualified name: `urn:...:User:userName`.
                    let a = a.rsplit(':').next().unwrap_or(a);
                    a.split('.').next().unwrap_or(a).to_ascii_lowercase()
                })
                .filter(|a| !a.is_empty())
                .collect()
        };
        let (only, except) = (names(&self.attributes), names(&self.excluded_attributes));
        if let Some(object) = resource.as_object_mut() {
            object.retain(|key, _| {
                let key = key.to_ascii_lowercase();
                key == "id"
                    || key == "schemas"
                    || ((only.is_empty() || only.contains(&key)) && !except.contains(&key))
            });
        }
        resource
    }

    /// The page asked for: `startIndex` from 1, `count` up to 200 (default 100).
    pub fn page(&self) -> (i64, i64) {
        (
            self.start_index.unwrap_or(1).max(1),
            self.count.unwrap_or(100).clamp(0, 200),
        )
    }
}

async fn service_provider_config(_caller: Caller) -> Response {
    let base = _caller.base.clone();
    ok(discovery::service_provider_config(&base))
}

async fn resource_types(caller: Caller) -> Response {
    let all = discovery::resource_types(&caller.base);
    let n = all.len() as i64;
    ok(discovery::list(all, n, 1))
}

async fn resource_type(
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match discovery::resource_types(&caller.base)
        .into_iter()
        .find(|r| r["id"] == id.as_str())
    {
        Some(found) => ok(found),
        None => ScimError::not_found().into_response(),
    }
}

async fn schemas(caller: Caller) -> Response {
    let all = discovery::schemas(&caller.base);
    let n = all.len() as i64;
    ok(discovery::list(all, n, 1))
}

async fn schema(caller: Caller, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    match discovery::schemas(&caller.base)
        .into_iter()
        .find(|s| s["id"] == id.as_str())
    {
        Some(found) => ok(found),
        None => ScimError::not_found().into_response(),
    }
}

/// `POST /.search` across resource types: not offered (RFC 7644 §3.4.3 lets a service
/// answer 501); `/Users/.search` and `/Groups/.search` are.
async fn search_everything(_caller: Caller) -> ScimError {
    ScimError::new(
        501,
        None,
        "Search Users and Groups apart: POST /Users/.search or /Groups/.search.",
    )
}

async fn not_found(_caller: Caller) -> ScimError {
    ScimError::not_found()
}

/// Reads `State<AppState>` for handlers.
pub type App = State<AppState>;
pub type List = Query<ListQuery>;

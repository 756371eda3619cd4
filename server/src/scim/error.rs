//! SCIM errors (RFC 7644 §3.12): `{"schemas": [...Error], "status": "400", "scimType":
//! "invalidValue", "detail": "..."}`, the detail in the caller's language.

use app::error::AppError;
use app::i18n::Locale;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug)]
pub struct ScimError {
    status: u16,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    /// A text over `max` characters (or a body part over `max` bytes, for `what` that
    /// says so) is refused, never stored.
    pub fn too_long(what: &str, max: usize) -> Self {
        Self::invalid_value(format!("{what} is longer than {max} characters."))
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some("mutability"), detail)
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn not_found() -> Self {
        Self::new(404, None, "No such resource.")
    }

    /// A service's refusal, as SCIM says it.
    pub fn from_app(err: &AppError, locale: Locale) -> Self {
        let detail = match err {
            AppError::Validation(errors) => errors
                .iter()
                .map(|e| e.message(locale))
                .collect::<Vec<_>>()
                .join(" "),
            other => other
                .form_message(locale)
                .unwrap_or_else(|| other.to_string()),
        };
        match err {
            AppError::Validation(errors)
                if errors.iter().any(|e| {
                    matches!(
                        e.key.as_str(),
                        "errors.person_exists"
                            | "errors.user_name_taken"
                            | "errors.group_name_taken"
                    )
                }) =>
            {
                Self::new(409, Some("uniqueness"), detail)
            }
            // The plan is full: nothing is wrong with the request, the organization has
            // no seat for it (the provider shows the detail to its admin).
            AppError::Validation(errors) if errors.iter().any(|e| e.key == "errors.seats_full") => {
                Self::new(403, None, detail)
            }
            AppError::Validation(_) => Self::invalid_value(detail),
            AppError::Conflict(_) => Self::new(409, None, detail),
            AppError::Unauthenticated => Self::new(401, None, detail),
            AppError::NotFound => Self::new(404, None, detail),
            other => Self::new(other.status(), None, detail),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut res = (status, Json(body)).into_response();
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/scim+json"),
        );
        res
    }
}

//! Errors as RFC 9457 problem details, their `detail` in the caller's language.

use app::error::AppError;
use app::i18n::Locale;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem: `type` names the kind, `detail` says what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `https://muster.example/problems/<kind>`: unauthenticated, forbidden, not-found,
    /// gone, conflict, validation, rate-limited, internal, bad-request.
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    /// What went wrong and what to do, in the caller's language.
    detail: String,
    /// One entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField>,
    /// Who to ask, when the key's role does not allow something.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    field: String,
    message: String,
}

impl Problem {
    pub(super) fn new(err: &AppError, locale: Locale) -> Problem {
        let (kind, title) = match err {
            AppError::Unauthenticated => ("unauthenticated", "Missing or invalid API key"),
            AppError::Forbidden
            | AppError::NotPermitted { .. }
            | AppError::SecondFactorRequired { .. }
            | AppError::SsoRequired { .. } => ("forbidden", "Not permitted"),
            AppError::NotFound => ("not-found", "Not found"),
            AppError::Gone(_) => ("gone", "No longer available"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::Validation(_) => ("validation", "Invalid request"),
            AppError::RateLimited { .. } | AppError::MailLimited { .. } => {
                ("rate-limited", "Too many requests")
            }
            AppError::Internal => ("internal", "Internal error"),
            AppError::Unavailable => ("unavailable", "Temporarily unavailable"),
            AppError::Busy => ("busy", "Busy: try again in a moment"),
            AppError::Request(_) => ("bad-request", "Bad request"),
        };
        let errors = match err {
            AppError::Validation(errors) => errors
                .iter()
                .filter(|e| e.field != "form")
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message(locale),
                })
                .collect(),
            _ => Vec::new(),
        };
        let contacts = match err {
            AppError::NotPermitted { contacts, .. } => contacts.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("https://muster.example/problems/{kind}"),
            title,
            status: err.status(),
            detail: err.form_message(locale).unwrap_or_default(),
            errors,
            contacts,
        }
    }

    /// A 400 (or other client error) that names what was wrong with the request itself.
    pub(super) fn malformed(
        status: StatusCode,
        locale: Locale,
        key: &str,
        reason: &str,
    ) -> Problem {
        Problem {
            kind: "https://muster.example/problems/bad-request".to_owned(),
            title: "Bad request",
            status: status.as_u16(),
            detail: app::i18n::tr_args(locale, key, &[("reason", reason)]),
            errors: Vec::new(),
            contacts: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if unauthenticated {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"muster\""),
            );
        }
        response
    }
}

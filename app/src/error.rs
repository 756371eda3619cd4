//! The one error type that crosses the server-function boundary.
//!
//! Variants carry message *keys*, never translated text or internal details, so the
//! browser renders them in whatever language the person is using and nothing internal
//! leaks. Internal causes are logged on the server (see `AppError::internal`).

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::{Locale, tr_args};

/// One problem with one form field, as a translation key plus its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's `name`, or `"form"` for a problem with the form as a whole.
    pub field: String,
    pub key: String,
    pub args: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: &str, key: &str) -> Self {
        Self {
            field: field.to_owned(),
            key: key.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn with_arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn message(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tr_args(locale, &self.key, &args)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A link or token that existed but can no longer be used (expired, already used).
    #[error("gone: {0}")]
    Gone(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// The person may not do this here; `contacts` are who can (e.g. the owners and admins).
    #[error("not permitted: {key}")]
    NotPermitted { key: String, contacts: Vec<String> },
    #[error("too many attempts")]
    RateLimited { retry_after_minutes: u32 },
    /// Too many mails asked for one address or from one client.
    #[error("too many mails")]
    MailLimited { retry_after_minutes: u32 },
    #[error("internal error")]
    Internal,
    /// The database cannot be reached right now (restarting, failing over): try again soon.
    #[error("temporarily unavailable")]
    Unavailable,
    /// The organization requires a second factor, and this session has not passed one.
    #[error("second factor required")]
    SecondFactorRequired { org: String },
    /// The organization requires this person to sign in through its own provider, and
    /// this session did not.
    #[error("single sign-on required")]
    SsoRequired { org: String, email: String },
    /// More passwords wait to be checked than the server queues: try again soon.
    #[error("busy")]
    Busy,
    /// The request never reached our code (network down, malformed request, ...).
    #[error("request failed: {0}")]
    Request(String),
}

impl FromServerFnError for AppError {
    /// As every answer (see [`crate::wire`]): the browser carries no JSON decoder.
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

impl AppError {
    pub fn field(field: &str, key: &str) -> Self {
        AppError::Validation(vec![FieldError::new(field, key)])
    }

    /// Logs an internal failure with its cause and returns the opaque variant.
    #[cfg(feature = "ssr")]
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let at = std::panic::Location::caller();
        tracing::error!(%cause, file = at.file(), line = at.line(), "internal error");
        AppError::Internal
    }

    /// The HTTP status a client calling a server function directly should see.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden
            | AppError::NotPermitted { .. }
            | AppError::SecondFactorRequired { .. }
            | AppError::SsoRequired { .. } => 403,
            AppError::NotFound => 404,
            AppError::Gone(_) => 410,
            AppError::Conflict(_) => 409,
            AppError::Validation(_) => 422,
            AppError::RateLimited { .. } | AppError::MailLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable | AppError::Busy => 503,
            AppError::Request(_) => 400,
        }
    }

    /// Errors for one field (used to place messages under inputs).
    pub fn for_field(&self, field: &str) -> Vec<FieldError> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .filter(|e| e.field == field)
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A message for the top of a form: everything not attached to a specific field.
    pub fn form_message(&self, locale: Locale) -> Option<String> {
        Some(match self {
            AppError::Validation(errors) => {
                let form: Vec<String> = errors
                    .iter()
                    .filter(|e| e.field == "form")
                    .map(|e| e.message(locale))
                    .collect();
                if form.is_empty() {
                    tr_args(locale, "errors.fix_fields", &[])
                } else {
                    form.join(" ")
                }
            }
            AppError::Unauthenticated => tr_args(locale, "errors.unauthenticated", &[]),
            AppError::Forbidden => tr_args(locale, "errors.forbidden", &[]),
            AppError::NotFound => tr_args(locale, "errors.not_found", &[]),
            AppError::Gone(key) | AppError::Conflict(key) => tr_args(locale, key, &[]),
            AppError::NotPermitted { key, contacts } => {
                tr_args(locale, key, &[("contacts", &contacts.join(", "))])
            }
            AppError::RateLimited {
                retry_after_minutes,
            } => tr_args(
                locale,
                "errors.rate_limited",
                &[("minutes", &retry_after_minutes.to_string())],
            ),
            AppError::MailLimited {
                retry_after_minutes,
            } => tr_args(
                locale,
                "errors.mail_limited",
                &[("minutes", &retry_after_minutes.to_string())],
            ),
            AppError::Internal => tr_args(locale, "errors.internal", &[]),
            AppError::Unavailable => tr_args(locale, "errors.unavailable", &[]),
            AppError::Busy => tr_args(locale, "errors.busy", &[]),
            AppError::SecondFactorRequired { org } => {
                tr_args(locale, "errors.second_factor_required", &[("org", org)])
            }
            AppError::SsoRequired { org, .. } => {
                tr_args(locale, "errors.sso_required", &[("org", org)])
            }
            AppError::Request(_) => tr_args(locale, "errors.network", &[]),
        })
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(err: sqlx::Error) -> Self {
        if database_unavailable(&err) {
            tracing::warn!(%err, "database unavailable");
            return AppError::Unavailable;
        }
        AppError::internal(err)
    }
}

/// Errors that mean "the database is not there right now" (a restart, a failover, a
/// dropped connection), as opposed to a fault in Muster: the request may simply be retried.
#[cfg(feature = "ssr")]
pub fn database_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // With TLS negotiated first (sslmode=prefer, the default), a server that closes the
        // connection at once (restarting, or a proxy with no primary behind it) fails the
        // SSLRequest instead of the first read.
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(message) => message.contains("SSLRequest"),
        // Class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

//! API keys as the settings page shows them.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// Keys start with this, so scanners and people can recognise them.
pub const KEY_PREFIX: &str = "mk_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The key's first characters, e.g. `mk_Xy12ab…`.
    pub prefix: String,
    pub created_by: String,
    pub created_on: String,
    pub last_used: Option<String>,
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    /// The secret, shown this once.
    pub key: String,
    /// The key as the list shows it from now on.
    pub row: ApiKeyView,
}

/// What a key opens: the REST API (`/api/v1`), or SCIM provisioning (`/scim/v2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyPurpose {
    Rest,
    Scim,
}

impl KeyPurpose {
    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            KeyPurpose::Rest => "rest",
            KeyPurpose::Scim => "scim",
        }
    }

    /// A form's `purpose` (none: a REST key).
    pub fn from_form(code: Option<&str>) -> KeyPurpose {
        match code {
            Some("scim") => KeyPurpose::Scim,
            _ => KeyPurpose::Rest,
        }
    }

    /// The settings page section that lists keys of this purpose.
    pub fn section(self) -> &'static str {
        match self {
            KeyPurpose::Rest => "api-keys",
            KeyPurpose::Scim => "provisioning",
        }
    }
}

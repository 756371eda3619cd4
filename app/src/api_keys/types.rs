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

//! Single sign-on as pages see it.

use serde::{Deserialize, Serialize};

/// The "Single sign-on" section of the settings page (OWNERs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    /// Set up: the issuer and client id (the secret is never shown again).
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// A host other than the issuer's that the OWNER confirmed for the sign-in page.
    pub sign_in_host: Option<String>,
    pub required: bool,
    /// The address the provider sends people back to (to register at the provider).
    pub redirect_url: String,
    /// The organization's verified domains, whose addresses sign in through the provider.
    pub verified_domains: Vec<String>,
}

/// Where the provider sends people back to.
pub const CALLBACK_PATH: &str = "/sso/callback";

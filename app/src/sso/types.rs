//! Single sign-on as pages see it.

use serde::{Deserialize, Serialize};

/// The "Single sign-on" section of the settings page (OWNERs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    /// Set up: the issuer and client id (the secret is never shown again).
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub required: bool,
    /// The address the provider sends people back to (to register at the provider).
    pub redirect_url: String,
    /// The organization's verified domains, whose addresses sign in through the provider.
    pub verified_domains: Vec<String>,
}

/// Where the provider sends people back to.
pub const CALLBACK_PATH: &str = "/sso/callback";

/// Why a sign-in through the provider did not sign anyone in, as the sign-in page's
/// `?sso=` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// The sign-in was not started in this browser, was used already, or took too long.
    State,
    /// The provider answered with an error (the person cancelled, or it refused).
    Provider,
    /// The provider's answer did not hold up: its token's issuer, audience, nonce or
    /// signature was wrong.
    Token,
    /// The address is not on a verified domain of the organization.
    Domain,
    /// The provider did not verify the address, and an account has it: not linked.
    Unverified,
    /// The organization has no free seat.
    Seats,
    /// The person was deactivated in the organization.
    Deactivated,
    /// The provider could not be reached.
    Unreachable,
}

impl Problem {
    pub const ALL: [Problem; 8] = [
        Problem::State,
        Problem::Provider,
        Problem::Token,
        Problem::Domain,
        Problem::Unverified,
        Problem::Seats,
        Problem::Deactivated,
        Problem::Unreachable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Problem::State => "state",
            Problem::Provider => "provider",
            Problem::Token => "token",
            Problem::Domain => "domain",
            Problem::Unverified => "unverified",
            Problem::Seats => "seats",
            Problem::Deactivated => "deactivated",
            Problem::Unreachable => "unreachable",
        }
    }

    pub fn from_code(code: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.code() == code)
    }

    /// What the sign-in page says.
    pub fn message_key(self) -> &'static str {
        match self {
            Problem::State => "sso.problem_state",
            Problem::Provider => "sso.problem_provider",
            Problem::Token => "sso.problem_token",
            Problem::Domain => "sso.problem_domain",
            Problem::Unverified => "sso.problem_unverified",
            Problem::Seats => "sso.problem_seats",
            Problem::Deactivated => "sso.problem_deactivated",
            Problem::Unreachable => "sso.problem_unreachable",
        }
    }
}

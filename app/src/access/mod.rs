//! The access core: who is calling ([`Principal`], and on the server [`Identity`], with the
//! person's active memberships) and what a member of an organization may do
//! ([`member`]: `Member`, `Granted<P>`). It imports no feature: every feature that checks
//! access imports it, and it depends on none of them.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::roles::Role;

#[cfg(feature = "ssr")]
pub mod member;
#[cfg(feature = "ssr")]
pub mod queries;

/// Who is calling: the signed-in person, as every server call knows them. Holds nothing
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub locale: Locale,
}

/// An organization the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub org_id: i64,
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub role: Role,
    /// The organization requires this person to have passed a second factor.
    pub second_factor_required: bool,
}

impl Membership {
    /// The organization's home. Short names are unique per region, so both are in the URL.
    pub fn home(&self) -> String {
        crate::url::org_home(&self.region, &self.short_name)
    }
}

/// Who is calling, and the organizations they are an active member of (with their role
/// there): what access checks need, loaded once per request (see `request::identity`).
/// Plain data: auth's server code loads it, the access rules ([`member`](super::member))
/// read it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct Identity {
    pub principal: Principal,
    pub orgs: Vec<Membership>,
    /// On page loads only: the invitations waiting for the person, which the shell shows
    /// (read in the same round trip, as the query's JSON: the bell's feature reads it).
    /// Services never see it.
    pub shell_pending: Option<serde_json::Value>,
    /// The session this request came with (its id, never its token).
    pub session_id: i64,
    /// The session passed a second factor (at sign-in, or by setting one up in it).
    pub second_factor: bool,
}

//! Who is calling: the person, and the organizations they are an active member of.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::roles::Role;

/// The signed-in person, as every server call knows them. Holds nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    id: i64,
    name: String,
    email: String,
    locale: Locale,
}

impl Principal {
    /// Made by `auth` from a session, and by tests.
    #[cfg(feature = "ssr")]
    pub fn new(id: i64, name: String, email: String, locale: Locale) -> Principal {
        Principal {
            id,
            name,
            email,
            locale,
        }
    }

    pub fn id(&self) -> i64 {
        self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn email(&self) -> &str {
        &self.email
    }
    pub fn locale(&self) -> Locale {
        self.locale
    }
}

/// An organization the signed-in person is an active member of, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    org_id: i64,
    name: String,
    short_name: String,
    region: String,
    role: Role,
    /// The organization requires this person to have passed a second factor.
    second_factor_required: bool,
    /// The organization requires this person to sign in through its own provider, and
    /// this session did not.
    #[serde(default)]
    sso_required: bool,
}

impl Membership {
    pub fn org_id(&self) -> i64 {
        self.org_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn short_name(&self) -> &str {
        &self.short_name
    }
    pub fn region(&self) -> &str {
        &self.region
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn second_factor_required(&self) -> bool {
        self.second_factor_required
    }
    pub fn sso_required(&self) -> bool {
        self.sso_required
    }

    /// The organization's home. Short names are unique per region, so both are in the URL.
    pub fn home(&self) -> String {
        org_home(&self.region, &self.short_name)
    }
}

pub use crate::paths::org_home;

/// One of the person's memberships as the identity query reads it (JSON).
#[cfg(feature = "ssr")]
#[derive(Deserialize)]
pub struct MembershipRow {
    pub org_id: i64,
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub role: Role,
    /// The organization requires a second factor of this person (for their role).
    pub second_factor_required: bool,
    /// The organization requires this person to sign in through its provider (their
    /// address is on its verified domains, they are not an OWNER), and the session did not.
    pub sso_required: bool,
}

#[cfg(feature = "ssr")]
impl From<MembershipRow> for Membership {
    fn from(m: MembershipRow) -> Membership {
        Membership {
            org_id: m.org_id,
            name: m.name,
            short_name: m.short_name,
            region: m.region,
            role: m.role,
            second_factor_required: m.second_factor_required,
            sso_required: m.sso_required,
        }
    }
}

/// Who is calling, and the organizations they are an active member of: what access
/// checks need, loaded once per request (see `request::identity`).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    principal: Principal,
    orgs: Vec<Membership>,
    /// The session this request came with (its id, never its token).
    session_id: i64,
    /// The session passed a second factor (at sign-in, or by setting one up in it).
    second_factor: bool,
}

#[cfg(feature = "ssr")]
impl Identity {
    /// Made by `auth` from an open session (and by tests).
    pub fn from_session(
        principal: Principal,
        orgs: Vec<Membership>,
        session_id: i64,
        second_factor: bool,
    ) -> Identity {
        Identity {
            principal,
            orgs,
            session_id,
            second_factor,
        }
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }
    pub fn into_principal(self) -> Principal {
        self.principal
    }
    pub fn orgs(&self) -> &[Membership] {
        &self.orgs
    }
    pub fn into_parts(self) -> (Principal, Vec<Membership>) {
        (self.principal, self.orgs)
    }
    pub fn session_id(&self) -> i64 {
        self.session_id
    }
    pub fn second_factor(&self) -> bool {
        self.second_factor
    }
}

//! Organizations as pages see them.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// What an organization's home page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOverview {
    pub public_id: String,
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub plan: String,
    pub trial: bool,
    pub billed: bool,
    pub seats: i32,
    pub my_role: Role,
    pub features: Vec<String>,
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
}

/// A member of an organization (also what `GET /api/v1/members` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberRow {
    /// The person's id in this organization's directory.
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// An inactive member keeps the membership but has no access.
    pub active: bool,
    /// RFC 3339.
    pub joined_at: String,
}

/// An open invitation (also what `GET /api/v1/invitations` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// RFC 3339.
    pub sent_at: Option<String>,
    /// RFC 3339; invitations expire 30 days after they are sent.
    pub expires_at: String,
}

impl InvitationRow {
    pub fn expires_on(&self) -> &str {
        self.expires_at.get(..10).unwrap_or(&self.expires_at)
    }
}

/// The organization settings page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub org_name: String,
    pub home: String,
    pub region: String,
    pub short_name: String,
    /// "free" or "premium".
    pub plan_name: String,
    pub trial: bool,
    pub plan: crate::roles::PlanFacts,
    pub my_role: Role,
    /// What the signed-in member may do here, permission by permission.
    pub decisions: Vec<crate::roles::Decision>,
    pub can_invite: bool,
    /// Who to ask, for members who may not invite.
    pub contacts: Vec<String>,
    /// The organization's API keys, for those who may manage them.
    pub api_keys: Option<Vec<crate::api_keys::types::ApiKeyView>>,
    /// A key this member just made without JavaScript, shown this once.
    pub new_key: Option<crate::api_keys::types::CreatedApiKey>,
    /// Where invitees without an account sign up.
    pub signup_link: String,
    /// Who must have a second factor ("nobody", "admins", "everyone"): OWNERs see it.
    pub second_factor_policy: Option<String>,
    /// The "Domains" section: OWNERs see it.
    pub domains: Option<crate::domains::types::DomainsSettings>,
    /// Where the identity provider sends SCIM requests.
    pub scim_url: String,
    /// The SCIM tokens (Settings → Provisioning): OWNERs see them.
    pub scim_tokens: Option<Vec<crate::api_keys::types::ApiKeyView>>,
    /// The "Single sign-on" section: OWNERs see it.
    pub sso: Option<crate::sso::types::SsoSettings>,
    /// "Invitation reminders": those who may invite see it.
    pub reminders: Option<crate::invitations::types::ReminderSettings>,
    /// "Transfer ownership": OWNERs see it.
    pub transfer: Option<TransferSection>,
}

/// "Transfer ownership" on the settings page: whom an OWNER may offer it to, and the
/// offer waiting for an answer, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSection {
    /// (person id, "Name <address>")
    pub candidates: Vec<(i64, String)>,
    /// To whom the open offer was made.
    pub pending: Option<String>,
}

/// An offer of ownership waiting for the person's answer (in their bell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipOffer {
    pub id: i64,
    pub org_name: String,
    pub from: String,
    /// The role the offering OWNER keeps.
    pub role_after: Role,
}

/// The choices of "require a second factor", as stored.
pub const SECOND_FACTOR_POLICIES: [&str; 3] = ["nobody", "admins", "everyone"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_codes() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code(" viewer "), Some(Role::Viewer));
        assert!(Role::parse("role", "SUPERUSER").is_err());
        assert_eq!(Role::Admin.weaker(Role::Editor), Role::Editor);
        assert_eq!(Role::Viewer.weaker(Role::Owner), Role::Viewer);
    }
}

//! The people list as pages see it.

use serde::{Deserialize, Serialize};

use crate::orgs::types::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    NotInvited,
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InvitationStatus {
    pub fn label_key(self) -> &'static str {
        match self {
            InvitationStatus::NotInvited => "people.invitation_none",
            InvitationStatus::Pending => "people.invitation_pending",
            InvitationStatus::Accepted => "people.invitation_accepted",
            InvitationStatus::Expired => "people.invitation_expired",
            InvitationStatus::Revoked => "people.invitation_revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// When the welcome (invitation) email was sent, as YYYY-MM-DD.
    pub welcome_sent: Option<String>,
    pub invitation: InvitationStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub org_name: String,
    pub org_home: String,
    pub my_role: Role,
    pub can_invite: bool,
    /// Owners and admins, named to people who may not invite.
    pub contacts: Vec<String>,
    pub people: Vec<PersonRow>,
}

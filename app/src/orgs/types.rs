//! Organizations as pages see them, and the roles a member can hold.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A member's role, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer];

    /// The value stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Admin => "ADMIN",
            Role::Editor => "EDITOR",
            Role::Viewer => "VIEWER",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn parse(field: &str, code: &str) -> Result<Role, FieldError> {
        Role::from_code(code).ok_or_else(|| FieldError::new(field, "errors.role_unknown"))
    }

    /// Translation key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Owner => "roles.owner",
            Role::Admin => "roles.admin",
            Role::Editor => "roles.editor",
            Role::Viewer => "roles.viewer",
        }
    }
}

/// An organization the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub role: Role,
}

impl Membership {
    /// The organization's home. Short names are unique per region, so both are in the URL.
    pub fn home(&self) -> String {
        org_home(&self.region, &self.short_name)
    }
}

pub fn org_home(region: &str, short_name: &str) -> String {
    format!("/o/{region}/{short_name}")
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub name: String,
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub email: String,
    pub role: Role,
    pub expires_on: String,
}

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
    }
}

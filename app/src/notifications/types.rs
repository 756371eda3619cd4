//! Notifications as pages see them.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// "<org> invited you as <role>": an open invitation to the signed-in person's verified
/// address, from an organization they are not in yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: i64,
    pub org_name: String,
    pub role: Role,
    pub inviter: Option<String>,
    /// As YYYY-MM-DD (UTC).
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notifications {
    pub invitations: Vec<PendingInvitation>,
}

impl Notifications {
    pub fn unread(&self) -> usize {
        self.invitations.len()
    }
}

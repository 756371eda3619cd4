//! What the invitation page shows.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Open,
    Accepted,
    Revoked,
    /// Sent again: this link was replaced by a newer one.
    Replaced,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org_name: String,
    pub inviter: Option<String>,
    pub email: String,
    pub role: Role,
    pub state: InvitationState,
    /// The invited address already has an account: accepting asks for its password.
    pub has_account: bool,
    /// Where the organization lives, once joined.
    pub org_home: String,
}

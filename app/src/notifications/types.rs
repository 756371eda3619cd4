//! Notifications as pages see them.

use serde::{Deserialize, Serialize};

pub use crate::auth::types::PendingInvitation;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notifications {
    pub invitations: Vec<PendingInvitation>,
    /// Offers of ownership waiting for an answer.
    #[serde(default)]
    pub offers: Vec<crate::orgs::types::OwnershipOffer>,
    /// News not yet dismissed (a member left, an offer was answered).
    #[serde(default)]
    pub notes: Vec<crate::notes::Note>,
}

impl Notifications {
    pub fn unread(&self) -> usize {
        self.invitations.len() + self.offers.len() + self.notes.len()
    }
}

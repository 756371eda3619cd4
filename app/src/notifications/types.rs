//! Notifications as pages see them.

use serde::{Deserialize, Serialize};

pub use crate::auth::types::PendingInvitation;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notifications {
    pub invitations: Vec<PendingInvitation>,
}

impl Notifications {
    pub fn unread(&self) -> usize {
        self.invitations.len()
    }
}

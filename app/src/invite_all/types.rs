//! What Invite All shows: whom it would invite, and how the latest run is going.

use serde::{Deserialize, Serialize};

/// What "Invite All" would do now, shown when its dialog opens (counting is not free,
/// so the People page itself does not count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteAllPreview {
    /// People Invite All would invite now (counted up to 10,001), and how many of them are
    /// Inactive.
    pub never_invited: i64,
    pub never_invited_inactive: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProgress {
    pub id: i64,
    pub total: i64,
    /// Invitations created so far, and mails delivered to the mail server.
    pub prepared: i64,
    pub sent: i64,
    pub failed: i64,
    /// Never-invited OWNER-role people this Invite All left out (run by a non-OWNER).
    pub left_out_owners: i64,
}

impl BatchProgress {
    pub fn done(&self) -> bool {
        self.sent + self.failed >= self.total
    }
}

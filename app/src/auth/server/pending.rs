//! An invitation waiting for a person's answer: as read from the database, and as the
//! bell shows it. Here, with accounts, because a page load reads these with the caller's
//! identity in one statement; the bell (`notifications/`) reads and answers them.

use chrono::{DateTime, Utc};

use crate::auth::types::PendingInvitation;

/// An invitation waiting for the person's answer, with what the bell shows of it. Also
/// read as JSON, when a page load reads it with the caller's identity.
#[derive(serde::Deserialize)]
pub struct PendingRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: crate::roles::Role,
    pub expires_at: DateTime<Utc>,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub inviter: Option<String>,
}

pub fn pending_view(r: PendingRow) -> PendingInvitation {
    PendingInvitation {
        id: r.id,
        role: r.role,
        org_name: r.org_name,
        inviter: r.inviter,
        expires: r.expires_at.format("%Y-%m-%d").to_string(),
    }
}

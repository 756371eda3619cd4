//! An invitation waiting for a person's answer: as read from the database, and as the
//! bell shows it. A module of its own, importing no other feature: a page load reads
//! these with the caller's identity (auth), and the notifications service (which reaches
//! invitations, which reach auth) must not stand in between.

pub use super::queries::PendingRow;
use crate::notifications::types::PendingInvitation;

pub fn pending_view(r: PendingRow) -> PendingInvitation {
    PendingInvitation {
        id: r.id,
        role: r.role,
        org_name: r.org_name,
        inviter: r.inviter,
        expires: r.expires_at.format("%Y-%m-%d").to_string(),
    }
}

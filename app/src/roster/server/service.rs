//! What other features may write about people and invitations. Each write is one
//! statement; the caller's transaction holds it together with its audit entry and mail.

pub use super::queries::{
    decline, end_open_invitation, end_undelivered, extend_expired, insert_imported,
    insert_invitation, insert_invitations, insert_person, link_person, mark_accepted,
    mark_chunk_done, mark_welcome_sent, record_reminder, remove_person, renew_invitation,
    set_details, set_email, set_removed, set_role, set_status, transfer_ownership, upsert_person,
    wake_batch,
};

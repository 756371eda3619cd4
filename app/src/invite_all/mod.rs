//! Invite All: one click invites everyone on the People page never sent an invitation.
//! A batch is queued in one statement; a worker turns it into invitations and mails in
//! chunks, and the People page shows its progress.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

//! The roster: the people of each organization and the invitations sent to them. The
//! one writer of the `people` and `invitations` tables; the features that add, invite,
//! accept, join, provision and deliver hold the rules (who may, what is audited) and
//! write through `server::service`.
#[cfg(feature = "ssr")]
pub mod server;

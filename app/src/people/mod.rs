//! People of an organization: the people list, Add Person, Send Invite.
pub mod api;
pub mod markup;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

//! The notification bell: pending invitations of the signed-in person, live
//! through server-sent events, with a final Join / Decline prompt.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

//! Joining by link ("Send or post an invite link"): a shared link where people
//! of the allowed email domains add themselves, as VIEWER, once they confirm their email.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

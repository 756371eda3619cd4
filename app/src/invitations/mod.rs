//! Accepting an emailed invitation: a new person sets a password, someone with an account
//! confirms with theirs; either way they are signed in to the organization.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

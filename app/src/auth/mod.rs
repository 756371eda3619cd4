//! Accounts: sign up, verify email, sign in and out, reset a forgotten password.
pub mod api;
pub mod language;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

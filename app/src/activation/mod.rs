//! Organization activation: from the "Activate Your Features" email through
//! the wizard to a live organization with its owner signed in.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

//! Organizations: membership, the organization's home page, the apps page.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod settings;
pub mod types;
pub mod views;

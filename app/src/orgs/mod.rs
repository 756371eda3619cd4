//! Organizations: membership, the organization's home page, the apps page.
pub mod api;
pub mod permissions;
#[cfg(feature = "ssr")]
pub mod server;
pub mod settings;
pub mod types;
pub mod views;

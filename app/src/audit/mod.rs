//! The audit log: who did what in an organization, recorded in the transaction of the
//! change itself, and the page admins read it on. Other features record through
//! `server::service::record`.
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

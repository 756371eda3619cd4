//! API keys: an organization's credentials for the REST API. OWNERs and ADMINs create
//! and revoke them on the organization settings page; the key is shown once and only its
//! hash is stored.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

//! Verified domains: an OWNER adds a domain, publishes the DNS TXT record Muster shows,
//! and Muster looks it up ("Verify", and a background re-check). A domain is verified for
//! one organization at a time. People with an address on a verified domain may join the
//! organization through its self-join link, as if the domain were in the Link tab's
//! "Allowed Email Domain(s)" list.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

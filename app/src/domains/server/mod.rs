//! Server-only half of verified domains: SQL, the DNS look-up, the rules and the
//! background re-check.
mod dns;
mod queries;
pub mod recheck;
pub mod service;

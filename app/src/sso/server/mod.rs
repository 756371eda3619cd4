//! Server-only half of single sign-on: SQL, the OpenID provider, and the rules (the
//! settings in `service.rs`, which is also the public surface; the sign-in flow in
//! `sign_in.rs`; linking an existing account in `link.rs`).
mod link;
mod provider;
mod queries;
pub mod service;
mod sign_in;

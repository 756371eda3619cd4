//! Server-only half of single sign-on: SQL, the OpenID provider, and the rules.
mod provider;
mod queries;
pub mod service;

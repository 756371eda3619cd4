//! Server-only half of provisioning: the directory as SCIM reads it, and the rules.
mod queries;
pub mod service;

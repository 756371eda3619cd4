//! Server-only half of invitations: SQL and the acceptance rules.
pub mod queries;
pub mod service;

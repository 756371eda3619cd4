//! Server-only half of organizations: SQL and the rules about who sees what.
mod queries;
pub mod service;

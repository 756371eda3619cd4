//! Server-only half of organizations: SQL and the rules about who sees what.
pub mod access;
mod queries;
pub mod service;

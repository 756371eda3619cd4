//! Server-only half of the audit log.
pub mod queries;
pub mod service;

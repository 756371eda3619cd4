//! Server-only half of the audit log.
mod queries;
pub mod service;

//! Server-only half of the audit log.
pub mod export;
mod queries;
pub mod service;

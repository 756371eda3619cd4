//! Server-only half of organizations: SQL and services. Who may do what is the access
//! core's (`crate::access`).
mod queries;
pub mod service;

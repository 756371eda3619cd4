//! Server-only half of people: SQL and the rules.
pub mod queries;
pub mod service;

//! Server-only half of joining by link.
pub mod queries;
pub mod service;

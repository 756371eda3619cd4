//! Server-only half of joining by link.
mod queries;
pub mod service;

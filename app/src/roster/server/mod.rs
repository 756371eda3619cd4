//! Server-only half of the roster.
mod queries;
pub mod service;

//! Server-only half of notifications.
pub mod pending;
mod queries;
pub mod service;

//! Server-only half of notifications.
mod queries;
pub mod service;

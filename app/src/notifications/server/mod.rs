//! Server-only half of notifications.
pub mod queries;
pub mod service;

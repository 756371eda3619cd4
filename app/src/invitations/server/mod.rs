//! Server-only half of invitations: SQL and the acceptance rules.
mod queries;
pub mod reminders;
pub mod service;

//! Server-only half of people: SQL, the rules and the Invite All worker.
mod inviting;
mod list;
mod queries;
pub mod service;

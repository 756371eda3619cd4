//! Server-only half of people: SQL, the rules and the Invite All worker.
pub mod invite_all;
mod queries;
pub mod service;

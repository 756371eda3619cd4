//! Server-only half of people: SQL, the rules and the Invite All worker.
mod list;
pub use list::Preloaded;
mod queries;
pub mod service;

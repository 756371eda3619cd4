//! Server-only half of accounts: SQL, password hashing, tokens, sessions.
pub mod device;
mod links;
pub mod passkeys;
pub mod password;
pub mod pending;
pub mod proof;
mod queries;
pub mod second_factor;
pub mod service;
mod sessions;
mod sign_in;
pub mod throttle;

//! Server-only half of accounts: SQL, password hashing, tokens, sessions.
pub mod device;
pub mod passkeys;
pub mod password;
pub mod proof;
mod queries;
pub mod second_factor;
pub mod service;
pub mod throttle;
pub mod tokens;

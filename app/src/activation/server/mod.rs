//! Server-only half of activation: SQL, the wizard's rules, the activation job.
pub mod job;
mod queries;
pub mod service;

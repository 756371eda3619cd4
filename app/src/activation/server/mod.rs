//! Server-only half of activation: SQL, the wizard's rules, the activation job.
mod account;
pub mod job;
mod owner_claim;
mod queries;
pub mod service;
mod subscription;
mod wizard;

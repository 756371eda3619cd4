pub mod queries;
pub mod service;

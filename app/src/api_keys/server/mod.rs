mod queries;
pub mod service;

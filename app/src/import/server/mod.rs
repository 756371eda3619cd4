mod queries;
pub mod service;
pub mod worker;

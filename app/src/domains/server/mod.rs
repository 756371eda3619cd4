pub mod dns;
pub mod queries;
pub mod recheck;
pub mod service;

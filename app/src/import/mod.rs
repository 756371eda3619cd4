//! Importing people from a CSV file: the file is checked first (the dry run: each row's
//! outcome, before anything is written), then imported in the background, all of its
//! rows to be added in one transaction or none.
pub mod api;
#[cfg(feature = "ssr")]
pub mod file;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

//! "Security": a person's second factor (an authenticator app and recovery codes), set
//! up and changed by the person alone, and the second step of signing in. The rules live
//! with accounts (`auth::server::second_factor`).

pub mod api;
pub mod views;

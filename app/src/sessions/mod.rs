//! "Your sessions": the browsers a person is signed in on, each of which they can sign
//! out, and "sign out everywhere else". The rules live with accounts (`auth::server`).

pub mod api;
pub mod views;

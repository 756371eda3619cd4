//! Activation's rules, by what they do: the subscription an operator sells, the wizard's
//! steps (its account step apart), the owner claim, and the job's progress. The pages'
//! server functions and the server binary call them from here.

pub use super::account::*;
pub use super::owner_claim::*;
pub use super::subscription::*;
pub use super::wizard::*;

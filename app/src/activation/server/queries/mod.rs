//! Every SQL statement about subscriptions, the wizard, the owner claim and the activation
//! job, a file each.

mod job;
mod owner_claim;
mod subscription;
mod wizard;

pub use job::*;
pub use owner_claim::*;
pub use subscription::*;
pub use wizard::*;

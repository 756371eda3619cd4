//! Every SQL statement about accounts, by concern. Small functions taking any executor,
//! so services can compose them inside one transaction. Callers name them as
//! `queries::…`, whatever file holds them.

mod accounts;
mod links;
mod passkeys;
mod second_factor;
mod sessions;
mod throttle;

pub use accounts::*;
pub use links::*;
pub use passkeys::*;
pub use second_factor::*;
pub use sessions::*;
pub use throttle::*;

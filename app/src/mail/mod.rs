//! Outgoing mail: templates in every language, and the outbox they are queued in.
//! Sending happens in the server's background worker, after the transaction commits.

pub mod outbox;
pub mod seal;
pub mod templates;

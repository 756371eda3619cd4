//! Shared building blocks: form fields with their errors, alerts, and the app shell.

pub mod form;
pub mod language;
pub mod passkey;
pub mod prompt;
pub mod reference;
pub mod shell;

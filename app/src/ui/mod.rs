//! Shared building blocks: form fields with their errors, alerts, the app shell, and
//! tables' frames.

pub mod form;
pub mod language;
pub mod passkey;
pub mod prompt;
pub mod reference;
pub mod shell;
pub mod table;

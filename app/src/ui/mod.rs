//! Shared building blocks: form fields with their errors, alerts, the frame of an
//! organization page, and tables' frames. Imports no feature: the features build on
//! it, and the app's frame (`shell/`) stands above them all.

pub mod form;
pub mod org_page;
pub mod passkey;
pub mod prompt;
pub mod reference;
pub mod table;

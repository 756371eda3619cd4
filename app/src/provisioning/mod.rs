//! Provisioning: the organization's identity provider creates, updates and deactivates
//! people over SCIM 2.0 (`/scim/v2`, served by the server crate) with a SCIM token that
//! an OWNER makes in Settings → Provisioning. Provisioned people follow the rules of
//! people added by hand: the same services add, invite, deactivate and change roles.

#[cfg(feature = "ssr")]
pub mod server;

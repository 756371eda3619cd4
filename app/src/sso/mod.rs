//! Single sign-on with an organization's own OpenID provider (OpenID Connect: the
//! authorization code flow with PKCE, state and nonce). An OWNER sets the issuer, client
//! id and client secret (sealed at rest) in Settings → Single sign-on, and "Test
//! connection" says in words what is wrong. People with an address on one of the
//! organization's verified domains then sign in through the provider: an existing account
//! is linked only through an address the provider verified, a new person becomes a member
//! just in time (seats, audit and the welcome mail apply).

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
pub mod views;

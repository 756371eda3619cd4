//! Where Muster's pages are: the addresses that features, the app's frame and mails
//! link to. Imports no feature.

/// An organization's home page.
pub fn org_home(region: &str, short_name: &str) -> String {
    format!("/o/{region}/{short_name}")
}

/// The organization's People page.
pub fn people_path(region: &str, short_name: &str) -> String {
    format!("{}/people", org_home(region, short_name))
}

/// The organization settings page ("+" → "Invite member" leads here).
pub fn settings_path(region: &str, short_name: &str) -> String {
    format!("{}/settings", org_home(region, short_name))
}

/// Where a sign-in through an organization's own OpenID provider starts (home-realm
/// discovery: `?email=…&next=…`).
pub const SSO_START_PATH: &str = "/sso/start";

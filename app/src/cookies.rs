//! Reading and writing Muster's cookies (session, language, device, wizard, new API key),
//! beside `request.rs`, which sets them on the response.

use http::{HeaderMap, HeaderValue, header};

/// Muster's cookies that carry authority. Over https each name gets a prefix the browser
/// enforces: `__Host-` (Secure, `Path=/`, no `Domain`), so a page on a sibling subdomain
/// can neither set nor shadow it; the new-key cookie, scoped to one page's path, gets
/// `__Secure-`. Over plain http (development) the names are bare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cookie {
    Session,
    /// Lets the browser which created an activation's owner account go on with the
    /// wizard without signing in.
    Wizard,
    /// The known-device cookie (see `auth::server::device`).
    Device,
    /// A new API key's secret (or new recovery codes) on its way to the page that shows
    /// it once.
    NewKey,
    /// Between a right password and the second factor (see `auth::server::service`).
    SignInStep,
    /// A sign-in through an organization's OpenID provider, from leaving for it to coming
    /// back (see `sso::server::service`): sealed, ten minutes, this browser only.
    SsoLogin,
    /// The browser that signed in at a provider with an address of an existing account:
    /// only it may confirm the link mailed to that account (30 minutes).
    SsoLink,
    /// A session a provider just opened, held while the browser's person decides whether
    /// it replaces the one they are signed in with (10 minutes).
    SsoSwitch,
}

impl Cookie {
    pub const ALL: [Cookie; 8] = [
        Cookie::Session,
        Cookie::Wizard,
        Cookie::Device,
        Cookie::NewKey,
        Cookie::SignInStep,
        Cookie::SsoLogin,
        Cookie::SsoLink,
        Cookie::SsoSwitch,
    ];

    pub const fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Cookie::Session, false) => "muster_session",
            (Cookie::Session, true) => "__Host-muster_session",
            (Cookie::Wizard, false) => "muster_wizard",
            (Cookie::Wizard, true) => "__Host-muster_wizard",
            (Cookie::Device, false) => "muster_device",
            (Cookie::Device, true) => "__Host-muster_device",
            (Cookie::NewKey, false) => "muster_new_key",
            (Cookie::NewKey, true) => "__Secure-muster_new_key",
            (Cookie::SignInStep, false) => "muster_sign_in",
            (Cookie::SignInStep, true) => "__Host-muster_sign_in",
            (Cookie::SsoLogin, false) => "muster_sso",
            (Cookie::SsoLogin, true) => "__Host-muster_sso",
            (Cookie::SsoLink, false) => "muster_sso_link",
            (Cookie::SsoLink, true) => "__Host-muster_sso_link",
            (Cookie::SsoSwitch, false) => "muster_sso_switch",
            (Cookie::SsoSwitch, true) => "__Host-muster_sso_switch",
        }
    }
}

/// The cookie that remembers the chosen language (also for people not signed in). It
/// grants nothing, and scripts may read it: no prefix.
pub const LOCALE_COOKIE: &str = "muster_lang";
/// A known device stays known this long after its last sign-in.
pub const DEVICE_DAYS: i64 = 365;

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// One `Set-Cookie` value. `Secure` is added when the site is served over https;
/// `max_age` 0 removes the cookie.
fn cookie(
    name: &str,
    value: &str,
    path: &str,
    attributes: &str,
    max_age: i64,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; {attributes}; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values and paths are url-safe")
}

/// Not readable by scripts, sent on top-level navigations from other sites (sign-in links).
const SESSION_ATTRIBUTES: &str = "HttpOnly; SameSite=Lax";

/// The session cookie, kept by the browser as long as the session can last (`days`).
pub fn session_cookie(token: &str, secure: bool, days: i64) -> HeaderValue {
    let max_age = days * 24 * 3600;
    let name = Cookie::Session.name(secure);
    cookie(name, token, "/", SESSION_ATTRIBUTES, max_age, secure)
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let name = Cookie::Session.name(secure);
    cookie(name, "", "/", SESSION_ATTRIBUTES, 0, secure)
}

/// Carries a new API key's secret from a plain form post (no JavaScript) to the settings
/// page that shows it once: never sent from other sites, only sent to that page, gone after
/// five minutes or at the first showing (`clear_new_key_cookie`).
const NEW_KEY_ATTRIBUTES: &str = "HttpOnly; SameSite=Strict";

pub fn new_key_cookie(key: &str, path: &str, secure: bool) -> HeaderValue {
    let name = Cookie::NewKey.name(secure);
    cookie(name, key, path, NEW_KEY_ATTRIBUTES, 300, secure)
}

pub fn clear_new_key_cookie(path: &str, secure: bool) -> HeaderValue {
    let name = Cookie::NewKey.name(secure);
    cookie(name, "", path, NEW_KEY_ATTRIBUTES, 0, secure)
}

/// The step between a right password and the second factor: ten minutes, single use.
pub fn sign_in_step_cookie(value: &str, secure: bool) -> HeaderValue {
    let name = Cookie::SignInStep.name(secure);
    cookie(name, value, "/", SESSION_ATTRIBUTES, 10 * 60, secure)
}

pub fn sso_login_cookie(value: &str, secure: bool) -> HeaderValue {
    let name = Cookie::SsoLogin.name(secure);
    cookie(name, value, "/", SESSION_ATTRIBUTES, 10 * 60, secure)
}

pub fn clear_sso_login_cookie(secure: bool) -> HeaderValue {
    let name = Cookie::SsoLogin.name(secure);
    cookie(name, "", "/", SESSION_ATTRIBUTES, 0, secure)
}

pub fn sso_link_cookie(value: &str, secure: bool) -> HeaderValue {
    let name = Cookie::SsoLink.name(secure);
    cookie(name, value, "/", SESSION_ATTRIBUTES, 30 * 60, secure)
}

pub fn clear_sso_link_cookie(secure: bool) -> HeaderValue {
    let name = Cookie::SsoLink.name(secure);
    cookie(name, "", "/", SESSION_ATTRIBUTES, 0, secure)
}

pub fn sso_switch_cookie(value: &str, secure: bool) -> HeaderValue {
    let name = Cookie::SsoSwitch.name(secure);
    cookie(name, value, "/", SESSION_ATTRIBUTES, 10 * 60, secure)
}

pub fn clear_sso_switch_cookie(secure: bool) -> HeaderValue {
    let name = Cookie::SsoSwitch.name(secure);
    cookie(name, "", "/", SESSION_ATTRIBUTES, 0, secure)
}

pub fn clear_sign_in_step_cookie(secure: bool) -> HeaderValue {
    let name = Cookie::SignInStep.name(secure);
    cookie(name, "", "/", SESSION_ATTRIBUTES, 0, secure)
}

/// Lets the browser that created an activation's owner account finish the wizard
/// without signing in (30 days, like the activation link).
pub fn wizard_cookie(key: &str, secure: bool) -> HeaderValue {
    let name = Cookie::Wizard.name(secure);
    cookie(name, key, "/", SESSION_ATTRIBUTES, 30 * 24 * 3600, secure)
}

/// The known-device cookie (see `device`): kept across sign-outs, for a year after the
/// last sign-in.
pub fn device_cookie(value: &str, secure: bool) -> HeaderValue {
    let name = Cookie::Device.name(secure);
    let max_age = DEVICE_DAYS * 24 * 3600;
    cookie(name, value, "/", SESSION_ATTRIBUTES, max_age, secure)
}

/// The language cookie is readable by scripts on purpose: it holds no secret.
pub fn locale_cookie(code: &str, secure: bool) -> HeaderValue {
    let year = 365 * 24 * 3600;
    cookie(LOCALE_COOKIE, code, "/", "SameSite=Lax", year, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; muster_session=abc; muster_lang=fr"),
        );
        assert_eq!(
            read_cookie(&headers, Cookie::Session.name(false)).as_deref(),
            Some("abc")
        );
        assert_eq!(read_cookie(&headers, "muster_lang").as_deref(), Some("fr"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site() {
        // Over https every cookie that grants something has its browser-enforced prefix.
        for c in Cookie::ALL {
            let name = c.name(true);
            assert!(
                name.starts_with("__Host-") || name.starts_with("__Secure-"),
                "{name}"
            );
        }
        let v = session_cookie("tok", false, 30);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax") && !v.contains("Secure"));
        assert!(
            session_cookie("tok", true, 30)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
    }

    #[test]
    fn each_cookie_keeps_its_scope_and_lifetime() {
        let text = |v: HeaderValue| v.to_str().unwrap().to_owned();
        assert_eq!(
            text(session_cookie("tok", true, 30)),
            "__Host-muster_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure"
        );
        assert_eq!(
            text(device_cookie("d", true)),
            "__Host-muster_device=d; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000; Secure"
        );
        assert_eq!(
            text(new_key_cookie("mk_1", "/o/eu/acme/settings", true)),
            "__Secure-muster_new_key=mk_1; Path=/o/eu/acme/settings; HttpOnly; SameSite=Strict; Max-Age=300; Secure"
        );
        assert_eq!(
            text(clear_session_cookie(false)),
            "muster_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
        assert_eq!(
            text(new_key_cookie("mk_1", "/o/eu/acme/settings", false)),
            "muster_new_key=mk_1; Path=/o/eu/acme/settings; HttpOnly; SameSite=Strict; Max-Age=300"
        );
        assert_eq!(
            text(locale_cookie("de", false)),
            "muster_lang=de; Path=/; SameSite=Lax; Max-Age=31536000"
        );
    }
}

//! The HTTP exchange being answered, as server functions and pages see it: the
//! request's id, headers, cookies and client address, and the answer's status and
//! headers. Imports no feature: shared pieces (`ui/`) use it, and `request` builds on it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::cookies::{Cookie, LOCALE_COOKIE, read_cookie};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::net::IpNet;
use crate::state::AppState;

/// This request's id (set by the server before anything else): in the `x-request-id`
/// answer header, in every log line written while it is handled, and on error pages, so
/// a person can quote it to support.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The id of the request being handled, if any.
pub fn request_id() -> Option<String> {
    extension::<RequestId>().map(|id| id.0)
}

pub(crate) fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// A value the server put on the request before rendering (see `server::page_cache`).
pub fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    parts().and_then(|p| p.extensions.get::<T>().cloned())
}

/// True when the request is a plain `<form>` post (the browser wants HTML back).
pub fn is_form_post() -> bool {
    parts()
        .and_then(|p| p.headers.get(header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

pub fn session_token() -> Option<String> {
    cookie(Cookie::Session)
}

/// One of Muster's cookies on the request, by its name for this site (prefixed over https).
pub fn cookie(which: Cookie) -> Option<String> {
    let secure = AppState::current().settings.secure_cookies;
    parts().and_then(|p| read_cookie(&p.headers, which.name(secure)))
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy
/// (`MUSTER_TRUSTED_PROXIES`); then the right-most `X-Forwarded-For` entry that is not
/// itself a trusted proxy. Entries a client wrote itself (to the left) are never believed.
pub fn client_ip() -> Option<IpAddr> {
    let parts = parts()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())?;
    let trusted = &AppState::current().settings.trusted_proxies;
    Some(client_ip_from(peer, &parts.headers, trusted))
}

pub fn client_ip_from(peer: IpAddr, headers: &http::HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(*ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        // A malformed header: believe nothing in it.
        .unwrap_or_default();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

pub fn set_cookie(value: HeaderValue) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.append_header(header::SET_COOKIE, value);
    }
}

/// Sends a plain form post on to `path`; the hydrated app navigates by itself.
pub fn redirect_form_post(path: &str) {
    if is_form_post() {
        leptos_axum::redirect(path);
    }
}

/// Gives a failed server-function call its proper HTTP status (never 500 for a
/// person's mistake). Plain form posts keep their redirect back to the form.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result
        && !is_form_post()
        && let Some(res) = use_context::<ResponseOptions>()
    {
        res.set_status(StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST));
    }
    result
}

/// Sets the HTTP status of a page being rendered (e.g. 410 for a used link).
pub fn set_page_status(status: u16) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    }
}

/// Whether a checkbox of a plain form was ticked (browsers send "on", scripts "true").
pub fn checkbox(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| matches!(v, "on" | "true" | "yes"))
}

/// The page's Content-Security-Policy: scripts only from this site or carrying this
/// response's nonce (Leptos puts it on its hydration and data scripts), wasm allowed to
/// compile, no framing, no plugins, forms and requests only to this site.
pub fn content_security_policy() {
    let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&content_security_policy_for(&nonce)) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The Content-Security-Policy of a page whose scripts carry `nonce`.
pub fn content_security_policy_for(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )
}

/// Keeps a page out of caches and the back/forward cache: going back shows what the
/// server has now (e.g. a wizard step already saved), never a stale copy.
pub fn no_store() {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The language of the request being rendered: the `muster_lang` cookie, then the
/// browser's Accept-Language, then English.
pub fn locale() -> Locale {
    use_context::<Parts>()
        .map(|parts| locale_from_headers(&parts.headers))
        .unwrap_or_default()
}

pub fn locale_from_headers(headers: &http::HeaderMap) -> Locale {
    let from_cookie =
        read_cookie(headers, LOCALE_COOKIE).and_then(|value| Locale::from_code(&value));
    from_cookie
        .or_else(|| {
            headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted = vec!["10.0.0.0/8".parse::<IpNet>().unwrap()];
        // Not a trusted peer: the header is the client's own invention.
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_ip_from(stranger, &headers("1.2.3.4"), &trusted),
            stranger
        );
        // Through the proxy: the right-most untrusted entry, not what the client prepended.
        assert_eq!(
            client_ip_from(proxy, &headers("6.6.6.6, 198.51.100.7, 10.0.0.9"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // No trusted proxies configured: the peer, always.
        assert_eq!(client_ip_from(proxy, &headers("1.2.3.4"), &[]), proxy);
        // A malformed header: the proxy's own address.
        assert_eq!(
            client_ip_from(proxy, &headers("not-an-ip"), &trusted),
            proxy
        );
    }

    #[test]
    fn ip_nets_parse_and_match() {
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("example.com".parse::<IpNet>().is_err());
    }
}

//! Per-request helpers for server functions: who is asking, from where, and how to
//! answer a plain HTML form (no JavaScript) versus the hydrated app.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::access::{Identity, Member, Principal};
use crate::auth::server::service;
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

fn parts() -> Option<Parts> {
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

/// Who is calling, looked up once per request: the page's resources and the server
/// functions they call all share the answer (see [`provide_request_context`]).
#[derive(Clone, Default)]
pub struct IdentityCache {
    identity: std::sync::Arc<tokio::sync::OnceCell<Option<service::Caller>>>,
    /// A page load: the identity is read with what the shell shows (one round trip).
    page: bool,
}

/// The caller of a page request as the server read it before rendering (with what the
/// shell shows): the page is rendered from this read, not a second one.
#[derive(Clone)]
pub struct KnownCaller(pub service::Caller);

/// What every request carries in its reactive context: the app state and the
/// per-request identity cache. `page`: the request renders a page (not a server
/// function call or a REST request).
pub fn provide_request_context(state: &AppState, page: bool) {
    provide_context(state.clone());
    provide_context(IdentityCache {
        identity: Default::default(),
        page,
    });
}

/// The caller's identity (principal and memberships), looked up once per request.
pub async fn identity(state: &AppState) -> Result<Option<Identity>, AppError> {
    with_caller(state, |c| c.identity.clone()).await
}

/// The caller's identity and, on a page load, what the shell shows with it.
pub async fn caller(state: &AppState) -> Result<Option<service::Caller>, AppError> {
    with_caller(state, service::Caller::clone).await
}

/// `read` of the request's caller, looked up once per request: each server function of
/// a page copies only what it reads (the identity, not the shell's invitations).
async fn with_caller<T>(
    state: &AppState,
    read: impl FnOnce(&service::Caller) -> T,
) -> Result<Option<T>, AppError> {
    let Some(token) = session_token() else {
        return Ok(None);
    };
    let seen = parts().map(|parts| service::Seen {
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        address: client_ip(),
    });
    Ok(match use_context::<IdentityCache>() {
        Some(cache) => cache
            .identity
            .get_or_try_init(|| async {
                // A page the server read before rendering (see `server::page_cache`) is
                // rendered from that very read.
                match extension::<KnownCaller>().filter(|_| cache.page) {
                    Some(KnownCaller(caller)) => Ok(Some(caller)),
                    None => service::identity(state, &token, cache.page, seen).await,
                }
            })
            .await?
            .as_ref()
            .map(read),
        None => service::identity(state, &token, false, seen)
            .await?
            .as_ref()
            .map(read),
    })
}

/// Who is calling, if signed in.
pub async fn principal(state: &AppState) -> Result<Option<Principal>, AppError> {
    Ok(identity(state).await?.map(Identity::into_principal))
}

/// Who is calling; 401 for visitors.
pub async fn require_principal(state: &AppState) -> Result<Principal, AppError> {
    principal(state).await?.ok_or(AppError::Unauthenticated)
}

/// Who is calling, with their memberships; 401 for visitors.
pub async fn require_identity(state: &AppState) -> Result<Identity, AppError> {
    identity(state).await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in person as a member of the organization in the URL (404 for others).
pub async fn member(state: &AppState, region: &str, short_name: &str) -> Result<Member, AppError> {
    Member::find(&require_identity(state).await?, region, short_name)
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

/// The end of every page loader: the page is someone's own (never stored by a cache),
/// and an error's status is the page's HTTP status (a 403 page answers 403).
pub fn page<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    no_store();
    if let Err(err) = &result {
        set_page_status(err.status());
    }
    result
}

/// A page of the organization `region/short_name`: `load` runs for the signed-in member
/// (the counterpart of the form actions' runners), and the result goes through `page`.
pub async fn org_page<T, F>(region: &str, short_name: &str, load: F) -> Result<T, AppError>
where
    F: AsyncFnOnce(&AppState, &Member) -> Result<T, AppError>,
{
    page(as_member(region, short_name, load).await)
}

/// Runs `f` for the signed-in person as a member of the organization `region/short_name`.
async fn as_member<T, F>(region: &str, short_name: &str, f: F) -> Result<T, AppError>
where
    F: AsyncFnOnce(&AppState, &Member) -> Result<T, AppError>,
{
    let state = AppState::current();
    let member = member(&state, region, short_name).await?;
    f(&state, &member).await
}

/// Runs a form action of the organization in the URL for the signed-in member. A plain
/// form post is then sent on to `back_to`; the hydrated app gets it as the answer.
pub async fn org_action<F>(
    region: &str,
    short_name: &str,
    back_to: String,
    run: F,
) -> Result<String, AppError>
where
    F: AsyncFnOnce(&AppState, &Member) -> Result<(), AppError>,
{
    respond(as_member(region, short_name, run).await.map(|()| {
        redirect_form_post(&back_to);
        back_to
    }))
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

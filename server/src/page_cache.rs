//! The public pages a signed-out visitor sees (sign-in, sign-up, ...) are the same for
//! everyone who speaks the same language: they are rendered once per language and then
//! served from memory, each copy with a fresh CSP nonce.
//!
//! Rendering one of these pages costs about 100 µs of CPU; serving the copy costs a
//! fraction of that (`./muster bench load`, "sign-in page"). Only a fixed list of pages is
//! kept, only without a query string, and only for requests that carry no cookie but the
//! language and known-device ones: anything that could make a page personal (a session,
//! a wizard, a flash message, `?next=`) is rendered as usual. A rendered page that sets a
//! cookie or answers anything but 200 is not kept.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use app::cookies::SESSION_COOKIE;
use app::cookies::{DEVICE_COOKIE, LOCALE_COOKIE};
use app::i18n::Locale;
use app::request::locale_from_headers;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;

/// Pages whose signed-out HTML depends on nothing but the language.
const PAGES: [&str; 6] = [
    "/",
    "/signin",
    "/signup",
    "/forgot-password",
    "/resources",
    "/apps",
];

/// Cookies that do not make a public page personal (the language is part of the key).
const NEUTRAL_COOKIES: [&str; 2] = [LOCALE_COOKIE, DEVICE_COOKIE];

/// A kept page is found by its path and language.
type Key = (&'static str, Locale);

#[derive(Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<Key, Arc<Rendered>>>>);

/// One rendered page, cut where its nonce was, so that a new nonce can be put back in.
struct Rendered {
    headers: HeaderMap,
    pieces: Vec<Bytes>,
    len: usize,
}

impl Rendered {
    fn new(headers: HeaderMap, body: &[u8], nonce: &str) -> Option<Rendered> {
        let text = std::str::from_utf8(body).ok()?;
        let pieces: Vec<Bytes> = text
            .split(nonce)
            .map(|piece| Bytes::copy_from_slice(piece.as_bytes()))
            .collect();
        Some(Rendered {
            headers,
            len: body.len(),
            pieces,
        })
    }

    fn respond(&self) -> Response {
        let nonce = Nonce::new();
        let mut body = Vec::with_capacity(self.len + 8 * nonce.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut res = Response::new(Body::from(body));
        *res.headers_mut() = self.headers.clone();
        if let Ok(csp) = HeaderValue::from_str(&app::request::content_security_policy_for(&nonce)) {
            res.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        res
    }
}

/// The cache's key for this request, if its page may come from (or go to) the cache.
fn key_of(req: &Request) -> Option<Key> {
    if req.method() != Method::GET || req.uri().query().is_some() {
        return None;
    }
    let page = PAGES.iter().find(|p| **p == req.uri().path())?;
    for value in req.headers().get_all(header::COOKIE) {
        let value = value.to_str().ok()?;
        for pair in value.split(';') {
            let name = pair.split('=').next().unwrap_or("").trim();
            if name.is_empty() {
                continue;
            }
            if name == SESSION_COOKIE || !NEUTRAL_COOKIES.contains(&name) {
                return None;
            }
        }
    }
    Some((page, locale_from_headers(req.headers())))
}

/// The nonce the page was rendered with, read from its Content-Security-Policy.
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    Some(csp[start..start + len].to_string()).filter(|n| n.len() >= 16)
}

pub async fn serve(State(cache): State<PageCache>, req: Request, next: Next) -> Response {
    let Some(key) = key_of(&req) else {
        return next.run(req).await;
    };
    let hit = cache.0.read().ok().and_then(|map| map.get(&key).cloned());
    if let Some(page) = hit {
        return page.respond();
    }
    let res = next.run(req).await;
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
    let Some(nonce) = nonce_of(res.headers()).filter(|_| keep) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(%err, "a public page could not be read for the page cache");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_SECURITY_POLICY);
    headers.remove(header::DATE);
    headers.remove(header::CONTENT_LENGTH);
    if let Some(page) = Rendered::new(headers, &bytes, &nonce)
        && let Ok(mut map) = cache.0.write()
    {
        map.insert(key, Arc::new(page));
    }
    Response::from_parts(parts, Body::from(bytes))
}

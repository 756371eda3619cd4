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
//!
//! The activation link's first page (choose a region) is the other page a signed-out
//! visitor opens first. It shows its subscription, so it is kept with the wizard it was
//! rendered from: every request still reads the wizard (one statement), and the copy is
//! served only while that read is equal to it. The page is rendered from the same read
//! the cache compared (`activation::server::service::Preloaded`), so a copy can never
//! be of newer data than the read it is kept with. Only the first step is kept: later
//! steps show facts outside the wizard (the short name's availability), so they are
//! rendered every time, though from the same read.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use app::activation::server::service::{Preloaded, load as load_wizard};
use app::activation::types::{Wizard, WizardStep};
use app::cookies::{Cookie, LOCALE_COOKIE};
use app::i18n::Locale;
use app::request::locale_from_headers;
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;

mod people;
pub use people::{PeopleCache, serve as serve_people};

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
const NEUTRAL_COOKIES: [&str; 3] = [
    LOCALE_COOKIE,
    Cookie::Device.name(false),
    Cookie::Device.name(true),
];

/// How many activation pages (a link in one language) are kept at most (about 5 KB
/// each). When full, they are all let go and kept again as they are asked for.
const MAX_ACTIVATION_PAGES: usize = 1024;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Page {
    /// One of `PAGES`.
    Public(&'static str),
    /// `/activate/{token}`.
    Activation(String),
}

/// A kept page is found by its page and language.
type Key = (Page, Locale);

/// A kept page, and for an activation page the wizard it was rendered from.
struct Kept {
    page: Rendered,
    made_from: Option<Wizard>,
}

/// Axum clones a middleware's state for every request: one `Arc` keeps that to a count.
#[derive(Clone)]
pub struct PageCache(Arc<Shared>);

struct Shared {
    pages: RwLock<HashMap<Key, Arc<Kept>>>,
    app: AppState,
}

impl PageCache {
    pub fn new(app: AppState) -> PageCache {
        PageCache(Arc::new(Shared {
            pages: RwLock::default(),
            app,
        }))
    }
}

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
    let path = req.uri().path();
    let page = match PAGES.iter().find(|p| **p == path) {
        Some(public) => Page::Public(public),
        None => {
            let token = path.strip_prefix("/activate/")?;
            if token.is_empty() || token.contains('/') {
                return None;
            }
            Page::Activation(token.to_owned())
        }
    };
    for value in req.headers().get_all(header::COOKIE) {
        let value = value.to_str().ok()?;
        for pair in value.split(';') {
            let name = pair.split('=').next().unwrap_or("").trim();
            if name.is_empty() {
                continue;
            }
            if !NEUTRAL_COOKIES.contains(&name) {
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

pub async fn serve(State(cache): State<PageCache>, mut req: Request, next: Next) -> Response {
    let Some(key) = key_of(&req) else {
        return next.run(req).await;
    };
    let made_from = match &key.0 {
        Page::Public(_) => None,
        Page::Activation(token) => {
            // A used or unknown link (or a database that does not answer) is rendered as
            // usual, with its own error page.
            let Ok(wizard) = load_wizard(&cache.0.app, token, None).await else {
                return next.run(req).await;
            };
            if wizard.step != WizardStep::Region {
                // Later steps show facts outside the wizard, so they are not kept; they
                // are still rendered from this read rather than a second one.
                let token = token.clone();
                req.extensions_mut().insert(Preloaded { token, wizard });
                return next.run(req).await;
            }
            Some(wizard)
        }
    };
    let hit = cache
        .0
        .pages
        .read()
        .ok()
        .and_then(|map| map.get(&key).cloned())
        .filter(|kept| kept.made_from == made_from);
    if let Some(kept) = hit {
        let mut res = kept.page.respond();
        let route = match &key.0 {
            Page::Public(path) => (*path).to_owned(),
            Page::Activation(_) => "/activate/{token}".to_owned(),
        };
        res.extensions_mut().insert(crate::observe::Route(route));
        return res;
    }
    // A miss renders the page from the read it will be kept with.
    if let (Page::Activation(token), Some(wizard)) = (&key.0, &made_from) {
        let (token, wizard) = (token.clone(), wizard.clone());
        req.extensions_mut().insert(Preloaded { token, wizard });
    }
    let (res, rendered) = keep_response(next.run(req).await).await;
    if let Some(page) = rendered
        && let Ok(mut map) = cache.0.pages.write()
    {
        if matches!(key.0, Page::Activation(_)) {
            let activation = |k: &Key| matches!(k.0, Page::Activation(_));
            if map.keys().filter(|k| activation(k)).count() >= MAX_ACTIVATION_PAGES {
                map.retain(|k, _| !activation(k));
            }
        }
        map.insert(key, Arc::new(Kept { page, made_from }));
    }
    res
}

/// A rendered page and, if it may be kept (a 200 HTML page that sets no cookie and has
/// a nonce), its copy cut where the nonce was.
async fn keep_response(res: Response) -> (Response, Option<Rendered>) {
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
    let Some(nonce) = nonce_of(res.headers()).filter(|_| keep) else {
        return (res, None);
    };
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(%err, "a page could not be read for the page cache");
            return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), None);
        }
    };
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_SECURITY_POLICY);
    headers.remove(header::DATE);
    headers.remove(header::CONTENT_LENGTH);
    let rendered = Rendered::new(headers, &bytes, &nonce);
    (Response::from_parts(parts, Body::from(bytes)), rendered)
}

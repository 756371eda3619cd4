//! A member's People page, kept between changes.
//!
//! Rendering the People page costs the server about a millisecond of CPU; reading what it
//! shows (who is asking, the page of people, the admin bar) costs a fraction of that. So
//! every request still reads everything the page shows, and a copy rendered from an equal
//! read is served instead of rendering again: a copy is never of other data than the
//! read it is compared with, whichever server made the change, and nothing else decides
//! whether it is current (no invalidation to miss).
//!
//! Kept per session, page address and language, only for what the People page shows by
//! itself: the list's own parameters (`q`, `sort`, `after`, `before`) and the row menu
//! (`menu`), which shows a row of the same read. The page is rendered from the session
//! and language cookies only. A page that was not rendered from this read
//! (`Preloaded::used`), sets a cookie or is not a 200 is not kept.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use app::auth::server::service::{Caller, Seen};
use app::cookies::{Cookie, LOCALE_COOKIE};
use app::i18n::Locale;
use app::people::server::service::Preloaded;
use app::people::types::ListQuery;
use app::request::{KnownCaller, client_ip_from, locale_from_headers};
use app::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{Rendered, keep_response};

/// The list's own parameters and the row menu: nothing else may be in the address.
const PARAMETERS: [&str; 5] = ["q", "sort", "after", "before", "menu"];

/// How many People pages are kept at most (about 35 KB each, 50 rows). When full, they
/// are all let go and kept again as they are asked for.
const MAX_PAGES: usize = 512;

/// A kept page is found by its session, address (path and query) and language.
type Key = (i64, String, Locale);

/// A kept page and the read it was rendered from.
struct Kept {
    page: Rendered,
    caller: Caller,
    people: app::people::types::PeoplePage,
}

#[derive(Clone)]
pub struct PeopleCache(Arc<Shared>);

struct Shared {
    pages: RwLock<HashMap<Key, Arc<Kept>>>,
    app: AppState,
}

impl PeopleCache {
    pub fn new(app: AppState) -> PeopleCache {
        PeopleCache(Arc::new(Shared {
            pages: RwLock::default(),
            app,
        }))
    }
}

/// What a People page request asks for, if it may be kept.
struct Asked {
    session_token: String,
    /// The request's session and language cookies: all the page is rendered with.
    cookie: HeaderValue,
    region: String,
    short_name: String,
    query: ListQuery,
    locale: Locale,
}

fn asked(req: &Request, secure: bool) -> Option<Asked> {
    if req.method() != Method::GET {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/o/")?;
    let mut parts = rest.split('/');
    let (region, short_name) = (parts.next()?, parts.next()?);
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.next()? != "people" || parts.next().is_some() || !plain(region) || !plain(short_name) {
        return None;
    }
    let mut list: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        if !PARAMETERS.contains(&name.as_ref()) || list.contains_key(name.as_ref()) {
            return None;
        }
        list.insert(name.into_owned(), value.into_owned());
    }
    // The page is rendered from the session and language cookies alone: the others (a
    // wizard's, the known-device one, a sign-in in progress, anything a browser carries
    // for another site on this host) are not passed on to it, so no copy depends on them.
    let (session, mut session_token, mut cookies) = (Cookie::Session.name(secure), None, vec![]);
    for value in req.headers().get_all(header::COOKIE) {
        for pair in value.to_str().ok()?.split(';') {
            let pair = pair.trim();
            match pair.split_once('=') {
                Some((name, value)) if name == session && session_token.is_none() => {
                    session_token = Some(value.to_owned());
                    cookies.push(pair);
                }
                Some((name, _)) if name == LOCALE_COOKIE => cookies.push(pair),
                _ => {}
            }
        }
    }
    let cookie = HeaderValue::from_str(&cookies.join("; ")).ok()?;
    let query = ListQuery::from_params(
        list.remove("q"),
        list.remove("sort"),
        list.remove("after"),
        list.remove("before"),
    );
    Some(Asked {
        session_token: session_token.filter(|t| !t.is_empty())?,
        cookie,
        region: region.to_owned(),
        short_name: short_name.to_owned(),
        query,
        locale: locale_from_headers(req.headers()),
    })
}

fn seen(req: &Request, state: &AppState) -> Seen {
    Seen {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        address: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                client_ip_from(peer.ip(), req.headers(), &state.settings.trusted_proxies)
            }),
    }
}

pub async fn serve(State(cache): State<PeopleCache>, mut req: Request, next: Next) -> Response {
    let state = &cache.0.app;
    let Some(asked) = asked(&req, state.settings.secure_cookies) else {
        return next.run(req).await;
    };
    req.headers_mut()
        .insert(header::COOKIE, asked.cookie.clone());
    // Who is asking, with what the shell shows, and their People page, on one
    // connection; a visitor, a closed session or a database that does not answer is
    // rendered as usual, and so is someone who is not a member here.
    let seen = seen(&req, state);
    let place = (asked.region.as_str(), asked.short_name.as_str());
    let Ok(Some((caller, read))) = Preloaded::read(
        state,
        &asked.session_token,
        seen,
        place,
        asked.query.clone(),
    )
    .await
    else {
        return next.run(req).await;
    };
    req.extensions_mut().insert(KnownCaller(caller.clone()));
    let Some(read) = read else {
        return next.run(req).await;
    };
    let key: Key = (
        caller.identity.session_id(),
        req.uri().to_string(),
        asked.locale,
    );
    let hit = cache
        .0
        .pages
        .read()
        .ok()
        .and_then(|map| map.get(&key).cloned())
        .filter(|kept| kept.caller == caller && kept.people == *read.page());
    if let Some(kept) = hit {
        let mut res = kept.page.respond();
        res.extensions_mut().insert(crate::observe::Route(
            "/o/{region}/{short_name}/people".to_owned(),
        ));
        return res;
    }
    // A miss renders the page from the read it will be kept with.
    req.extensions_mut().insert(read.clone());
    let res = next.run(req).await;
    if !read.used() {
        return res;
    }
    let (res, rendered) = keep_response(res).await;
    if let Some(page) = rendered
        && let Ok(mut map) = cache.0.pages.write()
    {
        if map.len() >= MAX_PAGES {
            map.clear();
        }
        let people = read.page().clone();
        map.insert(
            key,
            Arc::new(Kept {
                page,
                caller,
                people,
            }),
        );
    }
    res
}

//! What every request passes on its way in and every response on its way out:
//! cross-site requests are refused, and the browser is told to keep pages in their frame,
//! sniff nothing and leak no URL (emailed links carry tokens) to other sites. A page, once
//! started, is rendered to its end even if its visitor has left (`finish_pages`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// This site's origin (`scheme://host[:port]`), from the base URL.
#[derive(Clone, Debug)]
pub struct SiteOrigin(pub String);

impl SiteOrigin {
    pub fn from_base_url(base_url: &str) -> SiteOrigin {
        let origin = match url::Url::parse(base_url) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => base_url.trim_end_matches('/').to_owned(),
        };
        SiteOrigin(origin)
    }
}

/// Why a request was refused, or `None` when it may go on.
///
/// A state-changing request (anything but GET, HEAD, OPTIONS) made by a browser must come
/// from this very origin: `Sec-Fetch-Site` must say `same-origin` (or `none`: typed by the
/// person), and without it, `Origin` must be this site's. A sibling origin (another port,
/// a subdomain) is a different site here, although SameSite cookies would let it through.
/// Requests without either header are not from a browser page (curl, the REST API with
/// its bearer keys, tests) and carry no ambient authority an attacker could borrow, except
/// from very old browsers, which send neither.
pub fn cross_site(method: &Method, headers: &HeaderMap, site: &SiteOrigin) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let host_origins = |origin: &str| {
        origin == site.0
            || headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                })
    };
    if let Some(fetch_site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return match fetch_site {
            "same-origin" | "none" => None,
            other => Some(format!("Sec-Fetch-Site: {other}")),
        };
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if host_origins(origin) => None,
        Some(origin) => Some(format!("Origin: {origin}")),
        None => None,
    }
}

/// Refuses cross-site state-changing requests with a clear 403.
pub async fn same_origin_only(
    State(site): State<SiteOrigin>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(why) = cross_site(request.method(), request.headers(), &site) {
        let locale = app::request::locale_from_headers(request.headers());
        tracing::warn!(%why, path = %request.uri().path(), "refused a cross-site request");
        return plain(
            StatusCode::FORBIDDEN,
            app::i18n::tr(locale, "errors.cross_site"),
        );
    }
    next.run(request).await
}

/// The largest request body accepted (forms, server-function calls, REST JSON).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Refuses bodies over [`MAX_BODY_BYTES`] with a clear 413, before any handler reads them.
pub async fn limit_body(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let locale = app::request::locale_from_headers(request.headers());
    // A people import's file may be bigger than any form.
    let max = if crate::import::is_upload(request.uri().path()) {
        app::import::file::MAX_BYTES + 64 * 1024
    } else {
        MAX_BODY_BYTES
    };
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            app::i18n::tr_args(
                locale,
                "errors.body_too_large",
                &[("max", &(max / 1024).to_string())],
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return too_large();
    }
    // Without a trustworthy length (chunked), read at most the limit.
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}

/// How long a page may take to render before the visitor is told to try again.
const PAGE_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Renders a page to its end, even when the visitor leaves half-way (a closed tab, a proxy
/// that gives up, a load generator stopping).
///
/// Leptos's Suspense boundaries (0.8) run an effect of their own, as a separate task, that
/// walks the page's view again while its data load. When the visitor leaves, hyper drops
/// the render: the page's reactive values are disposed on one worker thread while that
/// task may be walking them on the other, and it panics ("reactive value already
/// disposed", "expected context"). In a task of its own, the render finishes and cleans
/// up in order, as it does for every visitor who stays. The price is one spawned task per
/// page, and a page abandoned costs what it would have cost; `PAGE_TIME_LIMIT` bounds it.
pub async fn finish_pages(request: Request, next: Next) -> Response {
    let locale = app::request::locale_from_headers(request.headers());
    let id = request
        .extensions()
        .get::<app::request::RequestId>()
        .cloned();
    to_the_end(locale, id, next.run(request)).await
}

/// `render` in a task of its own, awaited: see [`finish_pages`].
pub async fn to_the_end(
    locale: app::i18n::Locale,
    id: Option<app::request::RequestId>,
    render: impl Future<Output = Response> + Send + 'static,
) -> Response {
    let failed = |status: StatusCode, key: &str| {
        let mut message = app::i18n::tr(locale, key);
        if let Some(id) = &id {
            let label = app::i18n::tr(locale, "errors.request_id");
            message.push_str(&format!("\n{label}: {}\n", id.0));
        }
        plain(status, message)
    };
    match tokio::spawn(tokio::time::timeout(PAGE_TIME_LIMIT, render)).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => failed(StatusCode::SERVICE_UNAVAILABLE, "errors.unavailable"),
        // The panic itself is in the log; the visitor gets a page, not a cut connection.
        Err(_) => failed(StatusCode::INTERNAL_SERVER_ERROR, "errors.internal"),
    }
}

/// A plain-text answer in the visitor's language.
fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(message),
    )
        .into_response()
}

/// Whether pages tell browsers to use https only from now on (HSTS): production over https.
#[derive(Clone, Copy)]
pub struct Hsts(pub bool);

/// What every answer that Leptos did not render may do: no script at all, nothing
/// fetched or framed; styles, images and forms of this site only (for the few pages
/// written by hand: the single sign-on hops, the development mailbox and DNS zone).
pub const CSP_WITHOUT_SCRIPT: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The usual protective headers, on every response. Leptos pages add their own
/// Content-Security-Policy (it carries the page's nonce); every other answer gets
/// [`CSP_WITHOUT_SCRIPT`].
pub async fn security_headers(State(hsts): State<Hsts>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if hsts.0 {
        // Two years, the preload list's minimum; not `includeSubDomains`: Muster is often
        // one host among a company's others, whose https it cannot vouch for.
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP_WITHOUT_SCRIPT));
    // Pages show one person's data and wizard state: never from a cache, including the
    // back button. (Leptos's own headers for a page, set while rendering, were sometimes
    // missing from the response, and Chrome then showed a stale wizard step on "back".)
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_this_origin_may_change_things() {
        let site = SiteOrigin::from_base_url("http://127.0.0.1:3000/");
        assert_eq!(site.0, "http://127.0.0.1:3000");
        let post = Method::POST;
        let h = |p| headers(p);
        assert!(cross_site(&post, &h(&[("sec-fetch-site", "same-origin")]), &site).is_none());
        assert!(cross_site(&post, &h(&[("sec-fetch-site", "same-site")]), &site).is_some());
        assert!(cross_site(&post, &h(&[("sec-fetch-site", "cross-site")]), &site).is_some());
        assert!(cross_site(&post, &h(&[("origin", "http://127.0.0.1:3000")]), &site).is_none());
        assert!(cross_site(&post, &h(&[("origin", "http://127.0.0.1:3001")]), &site).is_some());
        assert!(cross_site(&post, &h(&[("origin", "null")]), &site).is_some());
        // Behind a proxy that keeps the Host header, the Host's origin is this site too.
        assert!(
            cross_site(
                &post,
                &h(&[
                    ("origin", "https://muster.example"),
                    ("host", "muster.example")
                ]),
                &site
            )
            .is_none()
        );
        // Not a browser page: nothing to borrow.
        assert!(cross_site(&post, &h(&[]), &site).is_none());
        // Reading is always allowed.
        assert!(cross_site(&Method::GET, &h(&[("sec-fetch-site", "cross-site")]), &site).is_none());
    }
}

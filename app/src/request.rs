//! Per-request helpers for server functions: who is asking, from where, and how to
//! answer a plain HTML form (no JavaScript) versus the hydrated app.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::auth::server::cookies::{SESSION_COOKIE, read_cookie};
use crate::auth::server::service;
use crate::auth::types::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// True when the request is a plain `<form>` post (the browser wants HTML back).
pub fn is_form_post() -> bool {
    parts()
        .and_then(|p| p.headers.get(header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

pub fn session_token() -> Option<String> {
    cookie(SESSION_COOKIE)
}

pub fn cookie(name: &str) -> Option<String> {
    parts().and_then(|p| read_cookie(&p.headers, name))
}

pub fn client_ip() -> Option<IpAddr> {
    parts()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().cloned())
        .map(|ConnectInfo(addr)| addr.ip())
}

pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    match session_token() {
        Some(token) => service::current_user(state, &token).await,
        None => Ok(None),
    }
}

pub async fn require_user(state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(state).await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in person as a member of the organization in the URL (404 for others).
pub async fn member(
    state: &AppState,
    region: &str,
    short_name: &str,
) -> Result<crate::orgs::server::access::Member, AppError> {
    let user = require_user(state).await?;
    crate::orgs::server::access::Member::find(state, &user, region, short_name).await
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

/// Keeps a page out of caches and the back/forward cache: going back shows what the
/// server has now (e.g. a wizard step already saved), never a stale copy.
pub fn no_store() {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

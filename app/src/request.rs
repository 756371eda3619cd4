//! Per-request helpers for server functions: who is asking, from where, and how to
//! answer a plain HTML form (no JavaScript) versus the hydrated app.

use leptos::prelude::*;

use crate::access::{Identity, Member, Principal};
use crate::auth::server::service;
use crate::error::AppError;
use crate::exchange::parts;
use crate::state::AppState;

pub use crate::exchange::*;

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

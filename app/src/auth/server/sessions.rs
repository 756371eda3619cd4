//! Sessions: how a proven person comes in, who a session cookie is, and the Sessions
//! page's list and sign-outs.

use std::net::IpAddr;

use super::service::locale_of;
use super::sign_in::begin_challenge;
use super::{device, queries};
use crate::access::{Identity, Principal};
use crate::auth::types::PendingInvitation;
use crate::auth::types::{SessionView, browser_name};
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens;

/// Opens a session for `user_id` (its identity already proven) that lasts `days` at most
/// (`Settings::session_days`); returns the cookie value.
///
/// Such a session does not sign in a person who has a second factor: they pass it at
/// sign-in, which opens theirs with [`open_session_after_second_factor`].
pub async fn open_session(
    db: impl sqlx::PgExecutor<'_>,
    days: i64,
    user_id: i64,
) -> Result<String, AppError> {
    let token = tokens::generate();
    queries::insert_session(db, &token.hash, user_id, days, false).await?;
    Ok(token.plain)
}

/// How a person whose address a link just proved (an accepted invitation, a confirmed
/// join) comes in: with a session, or, when they have a second factor, by the sign-in
/// step that asks for it first and then goes on to `next`.
pub enum Entry {
    Session(String),
    SecondFactor { challenge: String },
}

/// `enter`, for a person who came through the organization `org_id`'s own provider: the
/// session (now, or after the second factor) counts as opened through it.
pub async fn enter_through_provider(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: i64,
    next: &str,
    org_id: i64,
) -> Result<Entry, AppError> {
    let entry = enter(&mut *tx, state, user_id, next).await?;
    match &entry {
        Entry::Session(token) => {
            queries::mark_session_sso(&mut *tx, &tokens::hash(token), org_id).await?
        }
        Entry::SecondFactor { challenge } => {
            queries::mark_challenge_sso(&mut *tx, &tokens::hash(challenge), org_id).await?
        }
    }
    Ok(entry)
}

pub async fn enter(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: i64,
    next: &str,
) -> Result<Entry, AppError> {
    if let Some(challenge) = second_factor_first(tx, user_id, next).await? {
        return Ok(Entry::SecondFactor { challenge });
    }
    let token = open_session(&mut *tx, state.settings.session_days, user_id).await?;
    Ok(Entry::Session(token))
}

/// For a person who has a second factor, the sign-in step that asks for it before `next`:
/// a mailed link proves the address, never the factor.
pub(super) async fn second_factor_first(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    next: &str,
) -> Result<Option<String>, AppError> {
    if !queries::has_second_factor(&mut *tx, user_id).await? {
        return Ok(None);
    }
    Ok(Some(begin_challenge(&mut *tx, user_id, next).await?))
}

/// Ends the session behind `session_token`, if any.
pub async fn sign_out(state: &AppState, session_token: &str) -> Result<(), AppError> {
    queries::delete_session(&state.pool, &tokens::hash(session_token)).await?;
    Ok(())
}

/// Where a request came from, as a session records it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub user_agent: Option<String>,
    pub address: Option<IpAddr>,
}

/// Who is calling, as a request learns it from its session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub identity: Identity,
    /// On page loads only: the invitations waiting for the person, which the shell shows
    /// (read in the same round trip). Services never see it.
    pub shell_pending: Option<Vec<PendingInvitation>>,
}

/// The identity behind a session cookie value, if the session is still open (neither
/// expired nor idle too long); for a page load (`for_page`) with what the shell shows of
/// the person's waiting invitations. A use is recorded (`seen`) at most once a minute,
/// after the answer, so requests do not wait for a write.
pub async fn identity(
    state: &AppState,
    session_token: &str,
    for_page: bool,
    seen: Option<Seen>,
) -> Result<Option<Caller>, AppError> {
    identity_on(
        &mut *state.pool.acquire().await?,
        state,
        session_token,
        for_page,
        seen,
    )
    .await
}

/// `identity`, read on `db` (a page that reads everything on one connection).
pub async fn identity_on(
    db: &mut sqlx::PgConnection,
    state: &AppState,
    session_token: &str,
    for_page: bool,
    seen: Option<Seen>,
) -> Result<Option<Caller>, AppError> {
    let hash = tokens::hash(session_token);
    let idle = idle_minutes(state);
    let Some(row) = queries::identity(db, &hash, for_page, idle).await? else {
        return Ok(None);
    };
    if row.stale
        && let Some(seen) = seen
    {
        let pool = state.pool.clone();
        tokio::spawn(async move {
            // A client that names no browser is recorded as such (""), once.
            let agent: String = seen
                .user_agent
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            let agent = Some(agent);
            let address = seen.address.map(|a| a.to_string());
            if let Err(err) =
                queries::touch_session(&pool, &hash, agent.as_deref(), address.as_deref()).await
            {
                tracing::warn!(%err, "could not record a session's use");
            }
        });
    }
    let principal = Principal::new(row.id, row.name, row.email, locale_of(&row.locale));
    let orgs = row.orgs.0.into_iter().map(Into::into).collect();
    Ok(Some(Caller {
        identity: Identity::from_session(principal, orgs, row.session_id, row.second_factor),
        shell_pending: row.pending.map(|p| {
            p.0.into_iter()
                .map(crate::auth::server::pending::pending_view)
                .collect()
        }),
    }))
}

pub(super) fn idle_minutes(state: &AppState) -> i32 {
    state
        .settings
        .session_idle_minutes
        .clamp(1, i32::MAX as i64) as i32
}

/// Whether the session behind `session_token` is still open (one indexed lookup).
pub async fn session_open(state: &AppState, session_token: &str) -> Result<bool, AppError> {
    Ok(queries::session_exists(
        &state.pool,
        &tokens::hash(session_token),
        idle_minutes(state),
    )
    .await?)
}

/// The signed-in person's open sessions (the Sessions page). Only their own.
pub async fn sessions(state: &AppState, me: &Identity) -> Result<Vec<SessionView>, AppError> {
    let rows =
        queries::list_sessions(&state.pool, me.principal().id(), idle_minutes(state)).await?;
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(rows
        .into_iter()
        .map(|r| SessionView {
            id: r.id,
            browser: r
                .user_agent
                .as_deref()
                .map(browser_name)
                .unwrap_or_default(),
            address: r.client_address.unwrap_or_default(),
            started: when(r.created_at),
            last_seen: when(r.last_seen_at),
            current: r.id == me.session_id(),
        })
        .collect())
}

/// "Sign out" on one of the person's own sessions: it ends at once, with its bell
/// streams. Someone else's session id is "not found".
pub async fn end_session(state: &AppState, me: &Identity, id: i64) -> Result<(), AppError> {
    if !queries::delete_session_by_id(&state.pool, me.principal().id(), id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// "Sign out everywhere else": every other session ends, and every browser but this one
/// stops being a known device (their cookies could have been copied); this browser gets
/// a known-device cookie of the new epoch. Returns it.
pub async fn end_other_sessions(
    state: &AppState,
    me: &Identity,
    session_token: &str,
) -> Result<String, AppError> {
    let mut tx = state.pool.begin().await?;
    queries::delete_other_sessions(&mut *tx, me.principal().id(), &tokens::hash(session_token))
        .await?;
    queries::bump_device_epoch(&mut *tx, me.principal().id()).await?;
    let user = queries::find_user_by_id(&mut *tx, me.principal().id())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    Ok(device::issue(
        &state.settings.secret_key,
        user.id,
        user.device_epoch,
        chrono::Utc::now().timestamp(),
    ))
}

//! "Confirm it's you": adding or removing a way in (an authenticator app, a passkey,
//! recovery codes) needs a proof of the last few minutes, and each change is mailed to
//! the account. A session found open on someone's computer cannot give itself a way
//! back in that survives a password reset, and the account's holder hears of every change.

use super::password::{self, NO_PASSWORD};
use super::queries;
use super::throttle::{self, Kind, Scope};
use crate::access::Identity;
use crate::error::AppError;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

/// A proof (sign-in, second factor, "Confirm it's you") counts this long.
pub const PROOF_MINUTES: i32 = 10;

/// Whether this session's holder proved who they are in the last [`PROOF_MINUTES`].
pub async fn is_recent(state: &AppState, session_token: &str) -> Result<bool, AppError> {
    Ok(
        queries::session_proven_within(&state.pool, &tokens::hash(session_token), PROOF_MINUTES)
            .await?,
    )
}

/// Refuses a change of factors without a recent proof, naming what to do.
pub async fn require_recent(state: &AppState, session_token: &str) -> Result<(), AppError> {
    if is_recent(state, session_token).await? {
        Ok(())
    } else {
        Err(AppError::field("form", "errors.proof_needed"))
    }
}

/// "Confirm it's you" with the account's password: limited like sign-in attempts.
pub async fn confirm_with_password(
    state: &AppState,
    me: &Identity,
    session_token: &str,
    password: &str,
) -> Result<(), AppError> {
    let user = me.principal().id();
    let scope = Scope::new(
        format!("proof:{user}"),
        state.settings.max_failures_per_account,
    );
    let ticket = throttle::take(
        &state.pool,
        Kind::Password,
        &[scope],
        state.settings.throttle_window_minutes,
    )
    .await?;
    let stored = queries::find_user_by_id(&state.pool, user)
        .await?
        .map(|u| u.password_hash)
        .filter(|h| h != NO_PASSWORD);
    if !password::verify_password(state, password, stored).await? {
        return Err(AppError::field("password", "errors.proof_wrong_password"));
    }
    queries::mark_session_proven(&state.pool, &tokens::hash(session_token)).await?;
    ticket.forgive(&state.pool).await?;
    Ok(())
}

/// A change of the account's ways in, as its mail names it.
#[derive(Clone, Copy, Debug)]
pub enum FactorChange<'a> {
    AppOn,
    AppOff,
    NewCodes,
    PasskeyAdded(&'a str),
    PasskeyRemoved(&'a str),
}

/// Tells the account's holder of a change of their ways in, in their language, with the
/// change (in the caller's transaction: mailed if and only if it happened).
pub async fn tell(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    me: &Identity,
    change: FactorChange<'_>,
) -> Result<(), AppError> {
    let who = me.principal();
    let (key, name) = match change {
        FactorChange::AppOn => ("email.factor_changed.app_on", ""),
        FactorChange::AppOff => ("email.factor_changed.app_off", ""),
        FactorChange::NewCodes => ("email.factor_changed.new_codes", ""),
        FactorChange::PasskeyAdded(name) => ("email.factor_changed.passkey_added", name),
        FactorChange::PasskeyRemoved(name) => ("email.factor_changed.passkey_removed", name),
    };
    let reset = state.settings.link("/forgot-password");
    let mail = templates::factor_changed(who.locale(), who.name(), key, name, &reset);
    outbox::enqueue(&mut *tx, &state.settings.secret_key, who.email(), &mail).await?;
    Ok(())
}

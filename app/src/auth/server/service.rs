//! Account rules: what other features and the server functions may call. Each public
//! function says who may call it; none trusts the browser. The rules live by concern in
//! `sign_in.rs`, `sessions.rs` and `links.rs` (and `second_factor.rs`, `passkeys.rs`,
//! `proof.rs`); this file is their one public surface.

use super::{password, queries};
use crate::access::Principal;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::state::AppState;

pub use super::links::{
    RESET_MINUTES, RESET_PURPOSE, VERIFY_MINUTES, VERIFY_PURPOSE, factors_to_review, link_state,
    request_password_reset, reset_password, verify_email,
};
pub use super::sessions::{
    Caller, Entry, Seen, end_other_sessions, end_session, enter, enter_through_provider, identity,
    identity_on, open_session, session_open, sessions, sign_out,
};
pub(super) use super::sign_in::open_after_second_factor;
pub(crate) use super::sign_in::queue_verification;
pub use super::sign_in::{
    CHALLENGE_MINUTES, MAIL_WINDOW_MINUTES, SignInStep, SignedIn, check_password,
    check_stored_password, complete_sign_in, limit_mail, sign_in, sign_up,
};

pub(super) fn locale_of(code: &str) -> Locale {
    Locale::from_code(code).unwrap_or_default()
}

/// What other features read and write about accounts. The rest of `queries` (sessions,
/// tokens, failures) is this feature's own.
pub use super::queries::{
    UserRow, find_user_by_email, find_user_by_id, insert_user, locale_of as account_locale,
    mark_email_verified,
};

/// An account whose address was never confirmed, now proven by its holder another way
/// (the link mailed when an organization's provider named the address): the address
/// counts as confirmed; the password, chosen by whoever signed up with the address (not
/// necessarily its holder), no longer signs in; its open confirmation links end. The
/// holder sets a password of their own with "Forgot password".
pub async fn claim_unconfirmed(
    tx: &mut sqlx::PgConnection,
    user: &UserRow,
) -> Result<(), AppError> {
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    queries::mark_email_verified(&mut *tx, user.id).await?;
    queries::set_password_hash(&mut *tx, user.id, password::NO_PASSWORD).await?;
    queries::consume_email_tokens(&mut *tx, user.id, VERIFY_PURPOSE).await?;
    Ok(())
}

/// Remembers the signed-in person's language.
pub async fn set_locale(
    state: &AppState,
    user: &Principal,
    locale: Locale,
) -> Result<(), AppError> {
    queries::set_locale(&state.pool, user.id(), locale.code()).await?;
    Ok(())
}

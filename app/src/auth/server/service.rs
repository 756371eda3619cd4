//! Account rules. Each public function says who may call it; none trusts the browser.

use std::net::IpAddr;

use super::{password, queries, tokens};
use crate::auth::types::{CurrentUser, EmailAddress, LinkState, NewPassword, SignUpForm};
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::state::AppState;

pub const VERIFY_PURPOSE: &str = "verify_email";
pub const RESET_PURPOSE: &str = "reset_password";
/// A verification link works for 24 hours, a reset link for one hour.
pub const VERIFY_MINUTES: i64 = 24 * 60;
pub const RESET_MINUTES: i64 = 60;

fn locale_of(code: &str) -> Locale {
    Locale::from_code(code).unwrap_or_default()
}

/// Creates an unverified account and queues its verification mail, atomically.
/// Anyone may call it.
pub async fn sign_up(
    state: &AppState,
    locale: Locale,
    name: &str,
    email: &str,
    password: &str,
) -> Result<(), AppError> {
    let form = SignUpForm::parse(name, email, password)?;
    let hash = password::hash_password(state, form.password.expose()).await?;

    let mut tx = state.pool.begin().await?;
    let Some(user_id) = queries::insert_user(
        &mut *tx,
        form.email.as_str(),
        form.name.as_str(),
        &hash.0,
        locale.code(),
    )
    .await?
    else {
        return Err(AppError::field("email", "errors.email_taken"));
    };
    queue_verification(
        &mut tx,
        state,
        locale,
        user_id,
        form.name.as_str(),
        form.email.as_str(),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

pub(crate) async fn queue_verification(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    locale: Locale,
    user_id: i64,
    name: &str,
    email: &str,
) -> Result<(), AppError> {
    let token = tokens::generate();
    queries::insert_email_token(
        &mut *tx,
        &token.hash,
        user_id,
        VERIFY_PURPOSE,
        VERIFY_MINUTES,
    )
    .await?;
    let link = state
        .settings
        .link(&format!("/verify-email?token={}", token.plain));
    outbox::enqueue(
        &mut *tx,
        email,
        &templates::verify_email(locale, name, &link),
    )
    .await?;
    Ok(())
}

pub struct SignedIn {
    pub session_token: String,
    pub user: CurrentUser,
}

/// Checks the credentials and opens a new session. Anyone may call it; failures are
/// throttled per account and per client address, and an unknown email and a wrong
/// password get the same answer.
pub async fn sign_in(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<SignedIn, AppError> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    if password.is_empty() {
        return Err(AppError::field("password", "errors.password_required"));
    }
    let settings = &state.settings;
    let account_scope = format!("account:{}", email.as_str());
    let address_scope = client.map(|ip| format!("address:{ip}"));

    let mut scopes = vec![(account_scope.clone(), settings.max_failures_per_account)];
    if let Some(scope) = &address_scope {
        scopes.push((scope.clone(), settings.max_failures_per_address));
    }
    for (scope, limit) in &scopes {
        let count =
            queries::count_recent_failures(&state.pool, scope, settings.throttle_window_minutes)
                .await?;
        if count.failures >= *limit {
            return Err(AppError::RateLimited {
                retry_after_minutes: count.minutes_left.max(1) as u32,
            });
        }
    }

    let user = queries::find_user_by_email(&state.pool, email.as_str()).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = password::verify_password(state, password, stored).await?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            for (scope, _) in &scopes {
                queries::record_failure(&state.pool, scope).await?;
            }
            return Err(AppError::field("form", "errors.bad_credentials"));
        }
    };

    if user.email_verified_at.is_none() {
        // The password was right, so saying this reveals nothing to a stranger.
        let mut tx = state.pool.begin().await?;
        queue_verification(
            &mut tx,
            state,
            locale_of(&user.locale),
            user.id,
            &user.name,
            &user.email,
        )
        .await?;
        tx.commit().await?;
        state.outbox_wakeup.notify_one();
        return Err(AppError::Validation(vec![
            FieldError::new("form", "errors.email_not_verified").with_arg("email", &user.email),
        ]));
    }

    queries::clear_failures(&state.pool, &account_scope).await?;
    let session_token = open_session(&state.pool, user.id).await?;
    Ok(SignedIn {
        session_token,
        user: CurrentUser {
            id: user.id,
            name: user.name,
            email: user.email,
            locale: locale_of(&user.locale),
            orgs: Vec::new(),
            pending: Vec::new(),
        },
    })
}

/// Opens a session for `user_id` (its identity already proven); returns the cookie value.
pub async fn open_session(db: impl sqlx::PgExecutor<'_>, user_id: i64) -> Result<String, AppError> {
    let token = tokens::generate();
    queries::insert_session(db, &token.hash, user_id, super::cookies::SESSION_DAYS).await?;
    Ok(token.plain)
}

/// Ends the session behind `session_token`, if any.
pub async fn sign_out(state: &AppState, session_token: &str) -> Result<(), AppError> {
    queries::delete_session(&state.pool, &tokens::hash(session_token)).await?;
    Ok(())
}

/// The person behind a session cookie value, if the session is still open.
pub async fn current_user(
    state: &AppState,
    session_token: &str,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(row) = queries::session_user(&state.pool, &tokens::hash(session_token)).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        orgs: crate::orgs::server::service::memberships(state, row.id).await?,
        id: row.id,
        name: row.name,
        email: row.email,
        locale: locale_of(&row.locale),
        pending: Vec::new(),
    }))
}

/// What an emailed link is worth right now, without using it.
pub async fn link_state(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<LinkState, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), purpose).await?;
    Ok(classify(row.as_ref()))
}

fn classify(row: Option<&queries::TokenRow>) -> LinkState {
    match row {
        None => LinkState::Unknown,
        Some(r) if r.used_at.is_some() => LinkState::Used,
        Some(r) if r.expires_at <= chrono::Utc::now() => LinkState::Expired,
        Some(_) => LinkState::Valid,
    }
}

fn link_error(state: LinkState) -> AppError {
    match state {
        LinkState::Used => AppError::Gone("errors.link_used".into()),
        LinkState::Expired => AppError::Gone("errors.link_expired".into()),
        _ => AppError::Gone("errors.link_unknown".into()),
    }
}

/// Marks the account behind a verification link as verified. Anyone holding the link may.
pub async fn verify_email(state: &AppState, token: &str) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), VERIFY_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, VERIFY_PURPOSE).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Emails a reset link if the address has an account. Anyone may call it; the answer
/// is the same either way, so it reveals nothing.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let Some(user) = queries::find_user_by_email(&state.pool, email.as_str()).await? else {
        return Ok(());
    };
    let token = tokens::generate();
    let mut tx = state.pool.begin().await?;
    queries::insert_email_token(&mut *tx, &token.hash, user.id, RESET_PURPOSE, RESET_MINUTES)
        .await?;
    let link = state
        .settings
        .link(&format!("/reset-password?token={}", token.plain));
    let mail = templates::reset_password(locale_of(&user.locale), &user.name, &link);
    outbox::enqueue(&mut *tx, &user.email, &mail).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// Sets a new password from a reset link, signs the account out everywhere, and (since
/// the link proves the address) marks the email verified. Anyone holding the link may.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let new_password =
        NewPassword::parse("password", new_password).map_err(|e| AppError::Validation(vec![e]))?;
    let hash = password::hash_password(state, new_password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), RESET_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, RESET_PURPOSE).await?;
    queries::set_password_hash(&mut *tx, row.user_id, &hash.0).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    queries::delete_user_sessions(&mut *tx, row.user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Remembers the signed-in person's language.
pub async fn set_locale(
    state: &AppState,
    user: &CurrentUser,
    locale: Locale,
) -> Result<(), AppError> {
    queries::set_locale(&state.pool, user.id, locale.code()).await?;
    Ok(())
}

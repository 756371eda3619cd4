//! Mailed links: confirming an address and resetting a password.

use std::net::IpAddr;

use super::service::locale_of;
use super::sessions::{open_session, second_factor_first};
use super::sign_in::{MAIL_WINDOW_MINUTES, SignInStep, SignedIn, check_password};
use super::throttle::{self, Kind, Scope};
use super::{device, password, queries};
use crate::auth::types::{EmailAddress, LinkState, NewPassword};
use crate::error::AppError;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

pub const VERIFY_PURPOSE: &str = "verify_email";
pub const RESET_PURPOSE: &str = "reset_password";
/// A verification link works for 24 hours, a reset link for one hour.
pub const VERIFY_MINUTES: i64 = 24 * 60;
pub const RESET_MINUTES: i64 = 60;

/// What an emailed link is worth right now, without using it.
pub async fn link_state(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<LinkState, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), purpose).await?;
    Ok(classify(row.as_ref()))
}

pub(super) fn classify(row: Option<&queries::TokenRow>) -> LinkState {
    match row {
        None => LinkState::Unknown,
        Some(r) if r.used_at.is_some() => LinkState::Used,
        Some(r) if r.expires_at <= chrono::Utc::now() => LinkState::Expired,
        Some(_) => LinkState::Valid,
    }
}

pub(super) fn link_error(state: LinkState) -> AppError {
    match state {
        LinkState::Used => AppError::Gone("errors.link_used".into()),
        LinkState::Expired => AppError::Gone("errors.link_expired".into()),
        _ => AppError::Gone("errors.link_unknown".into()),
    }
}

/// Marks the account behind a verification link as verified and signs it in. The link
/// alone is not enough: the password chosen at sign-up must be given too, so an account
/// someone else opened with this address (and a password of theirs) never becomes the
/// address owner's account. The owner takes such an address over with "forgot password".
pub async fn verify_email(
    state: &AppState,
    client: Option<IpAddr>,
    token: &str,
    password: &str,
) -> Result<SignedIn, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), VERIFY_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    if password.is_empty() {
        return Err(AppError::field("password", "errors.password_required"));
    }
    let owner = queries::find_user_by_id(&state.pool, row.user_id)
        .await?
        .ok_or_else(|| link_error(LinkState::Unknown))?;
    let Some(user) = check_password(state, client, &owner.email, password)
        .await?
        .filter(|u| u.id == row.user_id)
    else {
        return Err(AppError::field("password", "errors.verify_wrong_password"));
    };
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), VERIFY_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, VERIFY_PURPOSE).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    let session_token = open_session(&mut *tx, state.settings.session_days, row.user_id).await?;
    tx.commit().await?;
    Ok(SignedIn::new(session_token, user))
}

/// Emails a reset link if the address has an account. Anyone may call it; the answer
/// is the same either way, so it reveals nothing.
///
/// Reset links have a budget of their own per address, which no other mail (sign-ups'
/// "you already have an account", confirmations, join requests) spends. Every reset mail
/// carries a link that works for the hour the budget counts, so a stranger who spends it
/// only fills the person's inbox with working links. A browser that is a known device of
/// the account (`device`) has a budget of its own that strangers cannot touch.
pub async fn request_password_reset(
    state: &AppState,
    client: Option<IpAddr>,
    device: Option<&str>,
    email: &str,
) -> Result<(), AppError> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let settings = &state.settings;
    let now = chrono::Utc::now().timestamp();
    // Only a cookie this server issued leads to a lookup, so the answer's timing tells
    // nobody else anything about the address.
    let mut known = None;
    if let Some(device) = device.and_then(|c| device::read(&settings.secret_key, c, now))
        && let Some(user) = queries::find_user_by_id(&state.pool, device.user_id).await?
        && user.email == email.as_str()
        && device.is_of(user.id, user.device_epoch)
    {
        known = Some(device);
    }
    let scopes = match known {
        Some(device) => vec![Scope::new(
            device.mail_scope(),
            settings.max_mails_per_recipient,
        )],
        None => {
            // Counted for unknown addresses too, so the limit says nothing about accounts.
            let mut scopes = vec![Scope::new(
                format!("reset-to:{}", email.as_str()),
                settings.max_mails_per_recipient,
            )];
            if let Some(ip) = client {
                scopes.push(Scope::new(
                    format!("mail-from:{ip}"),
                    settings.max_mails_per_client,
                ));
            }
            scopes
        }
    };
    let _ticket = throttle::take(&state.pool, Kind::Mail, &scopes, MAIL_WINDOW_MINUTES).await?;
    // The answer leaves before the lookup: a known address answers no slower than an
    // unknown one.
    let state = state.clone();
    let email = email.into_inner();
    tokio::spawn(async move {
        if let Err(err) = queue_reset(&state, &email).await {
            tracing::error!(%err, "could not queue a password reset");
        }
    });
    Ok(())
}

pub(super) async fn queue_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let Some(user) = queries::find_user_by_email(&state.pool, email).await? else {
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
    outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// The factors a reset link's account gained since its last sign-in with the password,
/// for the reset page to offer removing them (none for a link that does not work).
pub async fn factors_to_review(
    state: &AppState,
    token: &str,
) -> Result<Vec<crate::auth::types::NewFactor>, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), RESET_PURPOSE).await?;
    let Some(row) = row.filter(|r| classify(Some(r)) == LinkState::Valid) else {
        return Ok(Vec::new());
    };
    let user_id = row.user_id;
    Ok(
        queries::factors_since_password_sign_in(&state.pool, user_id)
            .await?
            .into_iter()
            .map(|f| crate::auth::types::NewFactor {
                passkey: f.kind == "passkey",
                name: f.name,
                added: f.added_at.to_rfc3339(),
            })
            .collect(),
    )
}

/// Sets a new password from a reset link and signs the person in, ending every other
/// session, API key of theirs, known device and sign-in lockout of the account. Since the
/// link proves the address, the email counts as verified. This is the rightful owner's
/// way in that always works: no failed-password limit applies to it. Anyone holding the
/// link may. The link is checked before the new password is hashed, so forged links cost
/// one indexed lookup each, never a hash.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
    remove_new_factors: bool,
) -> Result<SignInStep, AppError> {
    let new_password =
        NewPassword::parse("password", new_password).map_err(|e| AppError::Validation(vec![e]))?;
    let link = link_state(state, token, RESET_PURPOSE).await?;
    if link != LinkState::Valid {
        return Err(link_error(link));
    }
    let hash = password::hash_password(state, new_password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), RESET_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, RESET_PURPOSE).await?;
    // Whoever asked for a verification link before the reset cannot use it afterwards.
    queries::consume_email_tokens(&mut *tx, row.user_id, VERIFY_PURPOSE).await?;
    queries::set_password_hash(&mut *tx, row.user_id, &hash.0).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    // Whoever got in may have added a factor to keep a way back: the holder, who proves
    // the address now, removes those added since their last sign-in with the password.
    if remove_new_factors {
        queries::delete_factors_since_password_sign_in(&mut tx, row.user_id).await?;
    }
    queries::delete_user_sessions(&mut *tx, row.user_id).await?;
    queries::bump_device_epoch(&mut *tx, row.user_id).await?;
    crate::api_keys::server::service::revoke_all_made_by(&mut tx, row.user_id).await?;
    let user = queries::find_user_by_id(&mut *tx, row.user_id)
        .await?
        .ok_or_else(|| link_error(LinkState::Unknown))?;
    queries::clear_failures(&mut *tx, &throttle::account_scope(&user.email)).await?;
    queries::clear_failures(&mut *tx, &device::ceiling_scope(user.id)).await?;
    if let Some(challenge) = second_factor_first(&mut tx, row.user_id, "/?reset=1").await? {
        tx.commit().await?;
        return Ok(SignInStep::SecondFactor { challenge });
    }
    let session_token = open_session(&mut *tx, state.settings.session_days, row.user_id).await?;
    // Deleting the sessions notifies their open bell streams, which then end.
    tx.commit().await?;
    // This browser is the account's first known device of the new epoch.
    let cookie = device::issue(
        &state.settings.secret_key,
        user.id,
        user.device_epoch,
        chrono::Utc::now().timestamp(),
    );
    Ok(SignInStep::Done(SignedIn {
        device: Some(cookie),
        ..SignedIn::new(session_token, user)
    }))
}

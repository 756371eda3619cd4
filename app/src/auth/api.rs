//! Account server functions: load the request context, call one service, answer.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::{LinkState, PasskeyCeremony};
#[cfg(feature = "ssr")]
use crate::cookies;
use crate::error::AppError;
use crate::i18n::Locale;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server(output = crate::wire::Packed)]
pub async fn sign_up(name: String, email: String, password: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = service::sign_up(
        &state,
        request::locale(),
        request::client_ip(),
        &name,
        &email,
        &password,
    )
    .await;
    request::respond(result.map(|()| {
        let email = super::types::EmailAddress::parse(&email)
            .map(|e| e.into_inner())
            .unwrap_or_default();
        let to = format!("/check-email?email={}", crate::url::encode(&email));
        request::redirect_form_post(&to);
        to
    }))
}

#[server(output = crate::wire::Packed)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::current();
    let device = request::cookie(cookies::Cookie::Device);
    let next = next
        .filter(|n| super::types::is_local_path(n))
        .unwrap_or_else(|| "/".to_owned());
    let step = request::respond(
        service::sign_in(
            &state,
            request::client_ip(),
            device.as_deref(),
            &email,
            &password,
            &next,
        )
        .await,
    )?;
    finish_step(&state, step, next).await
}

/// A sign-in done (session started, going to `to`), or on its way to the second factor.
#[cfg(feature = "ssr")]
async fn finish_step(
    state: &AppState,
    step: service::SignInStep,
    to: String,
) -> Result<String, AppError> {
    let signed_in = match step {
        service::SignInStep::Done(signed_in) => signed_in,
        service::SignInStep::SecondFactor { challenge } => {
            return Ok(to_second_factor(state, &challenge));
        }
        service::SignInStep::Provider { to } => {
            request::redirect_form_post(&to);
            return Ok(to);
        }
    };
    set_device_cookie(state, &signed_in);
    // Rotate: the session from before sign-in (if any) stops working.
    start_session(
        state,
        &signed_in.session_token,
        Some(signed_in.user.locale()),
    )
    .await?;
    request::redirect_form_post(&to);
    Ok(to)
}

/// Comes in after a link proved the address (an invitation, a join): signed in and on to
/// `home`, or first to the second-factor step. The session from before, if any, ends.
#[cfg(feature = "ssr")]
pub async fn enter(
    state: &AppState,
    entry: service::Entry,
    home: String,
) -> Result<String, AppError> {
    if let Some(old) = request::session_token() {
        request::respond(service::sign_out(state, &old).await)?;
    }
    match entry {
        service::Entry::Session(token) => {
            request::set_cookie(cookies::session_cookie(
                &token,
                state.settings.secure_cookies,
                state.settings.session_days,
            ));
            request::redirect_form_post(&home);
            Ok(home)
        }
        service::Entry::SecondFactor { challenge } => Ok(to_second_factor(state, &challenge)),
    }
}

/// On to the page that asks for the second factor, holding this sign-in step.
#[cfg(feature = "ssr")]
fn to_second_factor(state: &AppState, challenge: &str) -> String {
    request::set_cookie(cookies::sign_in_step_cookie(
        challenge,
        state.settings.secure_cookies,
    ));
    let to = SECOND_FACTOR_PATH.to_owned();
    request::redirect_form_post(&to);
    to
}

/// The page that asks for the second factor during sign-in.
pub const SECOND_FACTOR_PATH: &str = "/signin/second-factor";

/// The second step of signing in: a code from the authenticator app, or a recovery code.
#[server(output = crate::wire::Packed)]
pub async fn complete_sign_in(code: String) -> Result<String, AppError> {
    let state = AppState::current();
    let challenge = request::cookie(cookies::Cookie::SignInStep)
        .ok_or_else(|| AppError::Gone("errors.sign_in_step_expired".into()));
    let challenge = request::respond(challenge)?;
    let device = request::cookie(cookies::Cookie::Device);
    let (signed_in, next) = request::respond(
        service::complete_sign_in(&state, &challenge, device.as_deref(), &code).await,
    )?;
    request::set_cookie(cookies::clear_sign_in_step_cookie(
        state.settings.secure_cookies,
    ));
    finish_step(&state, service::SignInStep::Done(signed_in), next).await
}

/// The sign-in step a passkey finishes (`second_factor`: this browser's, which must
/// still be there), or none for a sign-in by passkey alone.
#[cfg(feature = "ssr")]
fn passkey_step(second_factor: bool) -> Result<Option<String>, AppError> {
    match second_factor {
        false => Ok(None),
        true => request::cookie(cookies::Cookie::SignInStep)
            .map(Some)
            .ok_or_else(|| AppError::Gone("errors.sign_in_step_expired".into())),
    }
}

/// A passkey sign-in begins: `second_factor` after a right password (this browser's
/// sign-in step), else for any passkey the browser offers.
#[server(output = crate::wire::Packed)]
pub async fn start_passkey_sign_in(second_factor: bool) -> Result<PasskeyCeremony, AppError> {
    let state = AppState::current();
    let challenge = request::respond(passkey_step(second_factor))?;
    request::respond(
        crate::auth::server::passkeys::start_sign_in(&state, challenge.as_deref()).await,
    )
}

/// The browser's passkey answer: signed in (a session that passed a second factor).
/// Answers where to go.
#[server(output = crate::wire::Packed)]
pub async fn finish_passkey_sign_in(
    ceremony: String,
    credential: String,
    second_factor: bool,
) -> Result<String, AppError> {
    let state = AppState::current();
    let challenge = request::respond(passkey_step(second_factor))?;
    let device = request::cookie(cookies::Cookie::Device);
    let (signed_in, next) = request::respond(
        crate::auth::server::passkeys::finish_sign_in(
            &state,
            challenge.as_deref(),
            device.as_deref(),
            &ceremony,
            &credential,
        )
        .await,
    )?;
    if challenge.is_some() {
        request::set_cookie(cookies::clear_sign_in_step_cookie(
            state.settings.secure_cookies,
        ));
    }
    finish_step(&state, service::SignInStep::Done(signed_in), next).await
}

/// Remembers this browser as a known device of the account just signed in to.
#[cfg(feature = "ssr")]
fn set_device_cookie(state: &AppState, signed_in: &service::SignedIn) {
    if let Some(device) = &signed_in.device {
        request::set_cookie(cookies::device_cookie(
            device,
            state.settings.secure_cookies,
        ));
    }
}

#[server(output = crate::wire::Packed)]
pub async fn sign_out() -> Result<String, AppError> {
    let state = AppState::current();
    if let Some(token) = request::session_token() {
        request::respond(service::sign_out(&state, &token).await)?;
    }
    request::set_cookie(cookies::clear_session_cookie(state.settings.secure_cookies));
    request::redirect_form_post("/signin");
    Ok("/signin".to_owned())
}

#[server(output = crate::wire::Packed)]
pub async fn check_link(token: String, purpose: String) -> Result<LinkState, AppError> {
    let state = AppState::current();
    let purpose = match purpose.as_str() {
        "verify" => service::VERIFY_PURPOSE,
        "reset" => service::RESET_PURPOSE,
        _ => return request::respond(Err(AppError::NotFound)),
    };
    let link = service::link_state(&state, &token, purpose).await?;
    request::set_page_status(match link {
        LinkState::Valid => 200,
        LinkState::Unknown => 404,
        LinkState::Used | LinkState::Expired => 410,
    });
    Ok(link)
}

/// Confirms the address with the link and the password chosen at sign-up, and signs in.
#[server(output = crate::wire::Packed)]
pub async fn verify_email(token: String, password: String) -> Result<String, AppError> {
    let state = AppState::current();
    let signed_in = request::respond(
        service::verify_email(&state, request::client_ip(), &token, &password).await,
    )?;
    start_session(
        &state,
        &signed_in.session_token,
        Some(signed_in.user.locale()),
    )
    .await?;
    let to = "/?verified=1".to_owned();
    request::redirect_form_post(&to);
    Ok(to)
}

/// Replaces the browser's session (if any) with a new one.
#[cfg(feature = "ssr")]
async fn start_session(
    state: &AppState,
    session_token: &str,
    locale: Option<Locale>,
) -> Result<(), AppError> {
    if let Some(old) = request::session_token() {
        request::respond(service::sign_out(state, &old).await)?;
    }
    let secure = state.settings.secure_cookies;
    request::set_cookie(cookies::session_cookie(
        session_token,
        secure,
        state.settings.session_days,
    ));
    if let Some(locale) = locale {
        request::set_cookie(cookies::locale_cookie(locale.code(), secure));
    }
    Ok(())
}

#[server(output = crate::wire::Packed)]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    let state = AppState::current();
    request::respond(
        service::request_password_reset(
            &state,
            request::client_ip(),
            request::cookie(cookies::Cookie::Device).as_deref(),
            &email,
        )
        .await
        .map(|()| {
            let to = "/forgot-password?sent=1".to_owned();
            request::redirect_form_post(&to);
            to
        }),
    )
}

/// The factors the reset link's account gained since its last sign-in with the password.
#[server(output = crate::wire::Packed)]
pub async fn factors_to_review(
    token: String,
) -> Result<Vec<crate::auth::types::NewFactor>, AppError> {
    let state = AppState::current();
    request::respond(service::factors_to_review(&state, &token).await)
}

/// Sets the new password and signs in (every other session ends); with
/// `remove_new_factors` ticked, the factors added since the last sign-in with the
/// password go.
#[server(output = crate::wire::Packed)]
pub async fn reset_password(
    token: String,
    password: String,
    remove_new_factors: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::current();
    let remove = request::checkbox(&remove_new_factors);
    let step = request::respond(service::reset_password(&state, &token, &password, remove).await)?;
    finish_step(&state, step, "/?reset=1".to_owned()).await
}

/// Switches the language: a cookie for everyone, and remembered on the account when
/// signed in.
#[server(output = crate::wire::Packed)]
pub async fn set_locale(locale: String) -> Result<Locale, AppError> {
    let state = AppState::current();
    let Some(locale) = Locale::from_code(&locale) else {
        return request::respond(Err(AppError::field("locale", "errors.locale_unknown")));
    };
    if let Some(user) = request::respond(request::principal(&state).await)? {
        request::respond(service::set_locale(&state, &user, locale).await)?;
    }
    request::set_cookie(cookies::locale_cookie(
        locale.code(),
        state.settings.secure_cookies,
    ));
    Ok(locale)
}

/// Whether this server shows sent mail at `/dev/mailbox` (development mode only).
#[server(output = crate::wire::Packed)]
pub async fn dev_mailbox_enabled() -> Result<bool, AppError> {
    Ok(AppState::current().settings.dev_mode)
}

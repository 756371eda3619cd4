//! Security server functions: each acts on the caller's own account only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::types::{PasskeyCeremony, SecurityView};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::server::{passkeys, proof, second_factor},
    cookies, request,
    state::AppState,
};

pub const SECURITY_PATH: &str = "/account/security";

/// The Security page: the person's factors, and recovery codes made a moment ago (shown
/// once, after a plain form post).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPage {
    pub view: SecurityView,
    pub new_codes: Vec<String>,
}

#[server(output = crate::wire::Packed)]
pub async fn get_security() -> Result<SecurityPage, AppError> {
    let state = AppState::current();
    let new_codes: Vec<String> = request::cookie(cookies::Cookie::NewKey)
        .map(|codes| {
            codes
                .split('.')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let result = async {
        let me = request::require_identity(&state).await?;
        if !new_codes.is_empty() {
            request::set_cookie(cookies::clear_new_key_cookie(
                SECURITY_PATH,
                state.settings.secure_cookies,
            ));
        }
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        let view = passkeys::security_view(&state, &me, &token).await?;
        Ok(SecurityPage { view, new_codes })
    }
    .await;
    request::respond(request::page(result))
}

/// Back to the Security page after a plain form post.
#[cfg(feature = "ssr")]
fn back(anchor: &str) -> String {
    let to = format!("{SECURITY_PATH}{anchor}");
    request::redirect_form_post(&to);
    to
}

/// Recovery codes made by a plain form post go to the Security page in a short-lived
/// cookie scoped to it; with JavaScript they come back in the answer.
#[cfg(feature = "ssr")]
fn hand_over(state: &AppState, codes: &[String]) {
    if request::is_form_post() {
        request::set_cookie(cookies::new_key_cookie(
            &codes.join("."),
            SECURITY_PATH,
            state.settings.secure_cookies,
        ));
        back("#recovery-codes");
    }
}

/// "Set up an authenticator app".
#[server(output = crate::wire::Packed)]
pub async fn start_totp() -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        second_factor::start_totp(&state, &me, &token).await
    }
    .await;
    request::respond(result.map(|()| back("#totp")))
}

/// "Turn on" with the first code from the app: answers the ten recovery codes.
#[server(output = crate::wire::Packed)]
pub async fn confirm_totp(code: String) -> Result<Vec<String>, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        second_factor::confirm_totp(&state, &me, &token, &code).await
    }
    .await;
    request::respond(result.inspect(|codes| hand_over(&state, codes)))
}

/// New recovery codes, with a current code.
#[server(output = crate::wire::Packed)]
pub async fn new_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        second_factor::new_codes(&state, &me, &code).await
    }
    .await;
    request::respond(result.inspect(|codes| hand_over(&state, codes)))
}

/// "Turn off", with a current code.
#[server(output = crate::wire::Packed)]
pub async fn turn_off_totp(code: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        second_factor::turn_off(&state, &me, &code).await
    }
    .await;
    request::respond(result.map(|()| back("")))
}

/// "Add a passkey": the options for the browser (JavaScript only: passkeys need it).
#[server(output = crate::wire::Packed)]
pub async fn start_passkey() -> Result<PasskeyCeremony, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        passkeys::start_registration(&state, &me, &token).await
    }
    .await;
    request::respond(result)
}

/// The browser made the passkey: it is added under `name`. Answers the recovery codes
/// made for a first factor (else none).
#[server(output = crate::wire::Packed)]
pub async fn add_passkey(
    ceremony: String,
    credential: String,
    name: String,
) -> Result<Vec<String>, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        passkeys::finish_registration(&state, &me, &token, &ceremony, &credential, &name).await
    }
    .await;
    request::respond(result)
}

/// "Remove" a passkey (a plain form works).
#[server(output = crate::wire::Packed)]
pub async fn remove_passkey(id: i64) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        passkeys::remove(&state, &me, &token, id).await
    }
    .await;
    request::respond(result.map(|()| back("#passkeys")))
}

/// "Confirm it's you" with the password: for the next minutes, this session may add or
/// remove a way in.
#[server(output = crate::wire::Packed)]
pub async fn confirm_its_you(password: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        proof::confirm_with_password(&state, &me, &token, &password).await
    }
    .await;
    request::respond(result.map(|()| back("#proof")))
}

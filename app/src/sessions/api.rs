//! Session server functions: each acts on the caller's own sessions only.

use leptos::prelude::*;

use crate::auth::types::SessionView;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{auth::server::service, cookies, request, state::AppState};

/// The page the session forms come back to.
pub const SESSIONS_PATH: &str = "/account/sessions";

#[server(output = crate::wire::Packed)]
pub async fn get_sessions() -> Result<Vec<SessionView>, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        service::sessions(&state, &me).await
    }
    .await;
    request::respond(request::page(result))
}

/// "Sign out" on one session in the list.
#[server(output = crate::wire::Packed)]
pub async fn end_session(session_id: i64) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        service::end_session(&state, &me, session_id).await
    }
    .await;
    request::respond(result.map(|()| {
        request::redirect_form_post(SESSIONS_PATH);
        SESSIONS_PATH.to_owned()
    }))
}

/// "Sign out everywhere else".
#[server(output = crate::wire::Packed)]
pub async fn end_other_sessions() -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let me = request::require_identity(&state).await?;
        let token = request::session_token().ok_or(AppError::Unauthenticated)?;
        service::end_other_sessions(&state, &me, &token).await
    }
    .await;
    request::respond(result.map(|device| {
        request::set_cookie(cookies::device_cookie(
            &device,
            state.settings.secure_cookies,
        ));
        let to = format!("{SESSIONS_PATH}?ended=1");
        request::redirect_form_post(&to);
        to
    }))
}

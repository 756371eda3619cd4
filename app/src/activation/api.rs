//! Activation wizard server functions: load the request context, call one service,
//! answer with the next page's path (plain form posts are redirected there).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
#[cfg(feature = "ssr")]
use super::types::wizard_path;
use super::types::{JobView, OwnerClaimView, ShortNamePreview, Wizard};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{cookies, request, state::AppState};

#[cfg(feature = "ssr")]
fn go(result: Result<(), AppError>, to: String) -> Result<String, AppError> {
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

#[server(output = crate::wire::Packed)]
pub async fn get_wizard(token: String) -> Result<Wizard, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    if session.is_none()
        && let Some(read) = request::extension::<service::Preloaded>()
        && read.token == token
    {
        return Ok(read.wizard);
    }
    request::page(service::load(&state, &token, session.as_ref()).await)
}

#[server(output = crate::wire::Packed)]
pub async fn get_activation_progress(token: String) -> Result<Option<JobView>, AppError> {
    let state = AppState::current();
    request::respond(service::progress(&state, &token).await)
}

#[server(output = crate::wire::Packed)]
pub async fn preview_short_name(
    token: String,
    company_name: String,
) -> Result<ShortNamePreview, AppError> {
    let state = AppState::current();
    request::respond(service::preview_short_name(&state, &token, &company_name).await)
}

#[server(output = crate::wire::Packed)]
pub async fn choose_region(token: String, region: String) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let result = service::choose_region(&state, &token, &region, session.as_ref()).await;
    go(result, wizard_path(&token, "account"))
}

#[server(output = crate::wire::Packed)]
pub async fn save_account(
    token: String,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    company_name: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let form = service::AccountForm {
        name: name.as_deref().unwrap_or_default(),
        email: email.as_deref().unwrap_or_default(),
        password: password.as_deref().unwrap_or_default(),
        company_name: &company_name,
    };
    let result =
        service::save_account(&state, request::locale(), &token, form, session.as_ref()).await;
    if let Ok(Some(key)) = &result {
        request::set_cookie(crate::cookies::wizard_cookie(
            key,
            state.settings.secure_cookies,
        ));
    }
    go(result.map(|_| ()), wizard_path(&token, "invite"))
}

#[server(output = crate::wire::Packed)]
pub async fn add_invite(token: String, email: String, role: String) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let result = service::add_invite(&state, &token, &email, &role, session.as_ref()).await;
    go(result, wizard_path(&token, "invite"))
}

#[server(output = crate::wire::Packed)]
pub async fn remove_invite(token: String, email: String) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let result = service::remove_invite(&state, &token, &email, session.as_ref()).await;
    go(result, wizard_path(&token, "invite"))
}

#[server(output = crate::wire::Packed)]
pub async fn finish_invites(token: String) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let result = service::finish_invites(&state, &token, session.as_ref()).await;
    go(result, wizard_path(&token, "review"))
}

#[server(output = crate::wire::Packed)]
pub async fn activate_now(token: String) -> Result<String, AppError> {
    let state = AppState::current();
    let session = request::respond(request::principal(&state).await)?;
    let result = service::activate_now(&state, &token, session.as_ref()).await;
    go(result, wizard_path(&token, "progress"))
}

/// The page the owner-claim mail links to: who named this account, for what.
#[server(output = crate::wire::Packed)]
pub async fn get_owner_claim(token: String, key: String) -> Result<OwnerClaimView, AppError> {
    let state = AppState::current();
    request::page(service::owner_claim(&state, &token, &key).await)
}

/// "Yes, my account owns it": the claimed account becomes the wizard's owner.
#[server(output = crate::wire::Packed)]
pub async fn accept_owner_claim(token: String, key: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = service::accept_owner_claim(&state, &token, &key).await;
    go(
        result,
        format!("{}?done=1", wizard_path(&token, service::OWNER_PAGE)),
    )
}

#[server(output = crate::wire::Packed)]
pub async fn retry_activation(token: String) -> Result<String, AppError> {
    let state = AppState::current();
    let result = service::retry(&state, &token).await;
    go(result, wizard_path(&token, "progress"))
}

/// "Sign out and continue": the wizard asks a browser signed in as someone else to sign
/// out first; this does it in one click and comes back to the wizard.
#[server(output = crate::wire::Packed)]
pub async fn sign_out_for_activation(token: String) -> Result<String, AppError> {
    let state = AppState::current();
    let mut result = Ok(());
    if let Some(session) = request::session_token() {
        result = crate::auth::server::service::sign_out(&state, &session).await;
    }
    request::set_cookie(cookies::clear_session_cookie(state.settings.secure_cookies));
    go(result, wizard_path(&token, ""))
}

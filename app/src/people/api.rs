//! People server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::PeoplePage;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[cfg(feature = "ssr")]
fn people_path(region: &str, short_name: &str) -> String {
    format!(
        "{}/people",
        crate::orgs::types::org_home(region, short_name)
    )
}

#[server]
pub async fn get_people(region: String, short_name: String) -> Result<PeoplePage, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_user(&state).await?;
        service::page(&state, &user, &region, &short_name).await
    }
    .await;
    if let Err(err) = &result {
        request::set_page_status(err.status());
    }
    result
}

#[server]
pub async fn add_person(
    region: String,
    short_name: String,
    name: String,
    email: String,
    role: String,
    send_now: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_user(&state).await?;
        let form = service::NewPerson {
            name: &name,
            email: &email,
            role: &role,
            send_now: send_now.is_some_and(|v| v == "on" || v == "true"),
        };
        service::add_person(&state, &user, &region, &short_name, form).await
    }
    .await;
    let to = people_path(&region, &short_name);
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

#[server]
pub async fn send_invite(
    region: String,
    short_name: String,
    email: String,
) -> Result<String, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_user(&state).await?;
        service::send_invite(&state, &user, &region, &short_name, &email).await
    }
    .await;
    let to = people_path(&region, &short_name);
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

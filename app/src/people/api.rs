//! People server functions: thin wrappers that find the member and call the service.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::{BatchProgress, InviteAllPreview, PeoplePage};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{orgs::server::access::Member, request, state::AppState};

#[cfg(feature = "ssr")]
fn people_path(region: &str, short_name: &str) -> String {
    format!(
        "{}/people",
        crate::orgs::types::org_home(region, short_name)
    )
}

/// Runs a form action for the signed-in user and sends no-JS forms back to the list.
#[cfg(feature = "ssr")]
async fn people_action<F>(region: &str, short_name: &str, run: F) -> Result<String, AppError>
where
    F: AsyncFnOnce(&AppState, &Member) -> Result<(), AppError>,
{
    let state = AppState::current();
    let result = async {
        let member = request::member(&state, region, short_name).await?;
        run(&state, &member).await
    }
    .await;
    let to = people_path(region, short_name);
    request::respond(result.map(|()| {
        request::redirect_form_post(&to);
        to
    }))
}

#[cfg(feature = "ssr")]
fn checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| matches!(v, "on" | "true" | "yes"))
}

#[server]
pub async fn get_people(
    region: String,
    short_name: String,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<PeoplePage, AppError> {
    let query = super::types::ListQuery::from_params(q, sort, after, before);
    request::org_page(&region, &short_name, async |state, member| {
        service::page(state, member, query).await
    })
    .await
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
    people_action(&region, &short_name, async |state, member| {
        let form = service::NewPerson {
            name: &name,
            email: &email,
            role: &role,
            send_now: checked(&send_now),
        };
        service::add_person(state, member, form).await
    })
    .await
}

/// "Send Invite" and "Resend". `confirmed` answers "Welcome Sent is already set: send again?".
#[server]
pub async fn send_invite(
    region: String,
    short_name: String,
    person_id: i64,
    confirmed: Option<String>,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::send_invite(state, member, person_id, checked(&confirmed))
            .await
            .map(|_| ())
    })
    .await
}

#[server]
pub async fn revoke_invite(
    region: String,
    short_name: String,
    person_id: i64,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::revoke_invite(state, member, person_id).await
    })
    .await
}

/// "Deactivate" (`active` = "false") and "Activate" (`active` = "true").
#[server]
pub async fn set_person_active(
    region: String,
    short_name: String,
    person_id: i64,
    active: String,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        let active = active == "true";
        service::set_active(state, member, person_id, active).await
    })
    .await
}

#[server]
pub async fn change_role(
    region: String,
    short_name: String,
    person_id: i64,
    role: String,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::change_role(state, member, person_id, &role).await
    })
    .await
}

/// "Invite All" after "Yes".
#[server]
pub async fn invite_all(region: String, short_name: String) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::invite_all(state, member).await.map(|_| ())
    })
    .await
}

#[server]
pub async fn get_invite_all_preview(
    region: String,
    short_name: String,
) -> Result<InviteAllPreview, AppError> {
    let state = AppState::current();
    request::no_store();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::invite_all_preview(&state, &member).await
    }
    .await;
    request::respond(result)
}

#[server]
pub async fn get_invite_all_progress(
    region: String,
    short_name: String,
) -> Result<Option<BatchProgress>, AppError> {
    let state = AppState::current();
    request::no_store();
    let result = async {
        let member = request::member(&state, &region, &short_name).await?;
        service::invite_all_progress(&state, &member).await
    }
    .await;
    request::respond(result)
}

/// The Link tab's form: the "People can add themselves" switch and the allowed domains.
#[server]
pub async fn save_join_link(
    region: String,
    short_name: String,
    enabled: Option<String>,
    domains: String,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        crate::joining::server::service::update_settings(state, member, checked(&enabled), &domains)
            .await
    })
    .await
}

//! People server functions: thin wrappers that find the member and call the service.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::PeoplePage;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{access::Member, request, state::AppState};

/// Runs a form action of the People page for the signed-in member; no-JS forms go back
/// to the list.
#[cfg(feature = "ssr")]
async fn people_action<F>(region: &str, short_name: &str, run: F) -> Result<String, AppError>
where
    F: AsyncFnOnce(&AppState, &Member) -> Result<(), AppError>,
{
    let back_to = crate::paths::people_path(region, short_name);
    request::org_action(region, short_name, back_to, run).await
}

#[server(output = crate::wire::Packed)]
pub async fn get_people(
    region: String,
    short_name: String,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<PeoplePage, AppError> {
    let query = super::types::ListQuery::from_params(q, sort, after, before);
    // The server may have read this very page before rendering it (`Preloaded`).
    if let Some(page) = request::extension::<service::Preloaded>()
        .and_then(|read| read.take_for(&region, &short_name, &query))
    {
        return request::page(Ok(page));
    }
    request::org_page(&region, &short_name, async |state, member| {
        service::page(state, member, query).await
    })
    .await
}

#[server(output = crate::wire::Packed)]
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
            send_now: request::checkbox(&send_now),
        };
        service::add_person(state, member, form).await
    })
    .await
}

/// "Send Invite" and "Resend". `confirmed` answers "Welcome Sent is already set: send again?".
#[server(output = crate::wire::Packed)]
pub async fn send_invite(
    region: String,
    short_name: String,
    person_id: i64,
    confirmed: Option<String>,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::send_invite(state, member, person_id, request::checkbox(&confirmed))
            .await
            .map(|_| ())
    })
    .await
}

#[server(output = crate::wire::Packed)]
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

/// "Correct and resend": a not delivered invitation goes to the corrected address.
#[server(output = crate::wire::Packed)]
pub async fn correct_address(
    region: String,
    short_name: String,
    person_id: i64,
    email: String,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::correct_address(state, member, person_id, &email)
            .await
            .map(|_| ())
    })
    .await
}

/// "Extend": an expired invitation works again for 30 days, with the same link.
#[server(output = crate::wire::Packed)]
pub async fn extend_invite(
    region: String,
    short_name: String,
    person_id: i64,
) -> Result<String, AppError> {
    people_action(&region, &short_name, async |state, member| {
        service::extend_invite(state, member, person_id).await
    })
    .await
}

/// "Deactivate" (`active` = "false") and "Activate" (`active` = "true").
#[server(output = crate::wire::Packed)]
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

#[server(output = crate::wire::Packed)]
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

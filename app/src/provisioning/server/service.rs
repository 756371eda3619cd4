//! Provisioning's rules, for the member a SCIM token acts as. Adding, inviting,
//! deactivating and role changes go through the People services, so seats, the daily
//! quota, the invitation mail and the audit log apply as for people added by hand.

use super::queries::{self, PersonRow};
use crate::access::Member;
use crate::auth::types::{EmailAddress, PersonName};
use crate::error::AppError;
use crate::people::server::service as people;
use crate::roles::Role;
use crate::state::AppState;

/// One person as SCIM shows them.
pub type Person = PersonRow;

/// Which people a list is of.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    pub email: Option<String>,
    pub external_id: Option<String>,
}

/// A page of the directory (`start` counts from 1, as SCIM's `startIndex`); the total.
pub async fn list(
    state: &AppState,
    member: &Member,
    filter: &Filter,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Person>), AppError> {
    let email = filter.email.as_deref().map(str::to_lowercase);
    let rows = queries::people(
        &state.pool,
        member.org_id,
        email.as_deref(),
        filter.external_id.as_deref(),
        start.max(1) - 1,
        count.clamp(0, 200),
    )
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            queries::count(
                &state.pool,
                member.org_id,
                email.as_deref(),
                filter.external_id.as_deref(),
            )
            .await?
        }
    };
    Ok((total, rows))
}

pub async fn get(state: &AppState, member: &Member, id: i64) -> Result<Person, AppError> {
    queries::person(&state.pool, member.org_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What the identity provider sends about a person.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub email: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `Some(None)`: removed.
    pub external_id: Option<Option<String>>,
}

/// Creates a person: added to the directory as a VIEWER and invited (the invitation is
/// the welcome), then deactivated if the provider says so.
pub async fn create(state: &AppState, member: &Member, fields: Fields) -> Result<Person, AppError> {
    let email = fields
        .email
        .as_deref()
        .ok_or_else(|| AppError::field("email", "errors.email_required"))?;
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let name = fields
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    // Someone the provider deleted comes back, active unless it says otherwise.
    if let Some((id, true)) =
        queries::person_by_email(&state.pool, member.org_id, email.as_str()).await?
    {
        member.require(state, crate::roles::can::Invite).await?;
        queries::set_removed(&state.pool, member.org_id, id, false).await?;
        let fields = Fields {
            email: None,
            name: Some(name),
            active: Some(fields.active.unwrap_or(true)),
            ..fields
        };
        return update(state, member, id, fields).await;
    }
    people::add_person(
        state,
        member,
        people::NewPerson {
            name: &name,
            email: email.as_str(),
            role: Role::Viewer.code(),
            send_now: fields.active != Some(false),
        },
    )
    .await?;
    let (id, _) = queries::person_by_email(&state.pool, member.org_id, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    update(
        state,
        member,
        id,
        Fields {
            email: None,
            name: None,
            ..fields
        },
    )
    .await
}

/// Changes what the provider sends (a field left out stays as it is). The address is
/// the person's identity here and does not change.
pub async fn update(
    state: &AppState,
    member: &Member,
    id: i64,
    fields: Fields,
) -> Result<Person, AppError> {
    member.require(state, crate::roles::can::Invite).await?;
    let person = get(state, member, id).await?;
    if let Some(email) = &fields.email
        && !email.trim().eq_ignore_ascii_case(&person.email)
    {
        return Err(AppError::field("email", "errors.scim_email_immutable"));
    }
    if let Some(name) = &fields.name {
        let name = PersonName::parse(name).map_err(|e| AppError::Validation(vec![e]))?;
        if name.as_str() != person.name {
            queries::set_name(&state.pool, member.org_id, id, name.as_str()).await?;
        }
    }
    if let Some(external_id) = &fields.external_id {
        queries::set_external_id(&state.pool, member.org_id, id, external_id.as_deref()).await?;
    }
    if let Some(active) = fields.active
        && active != person.active
    {
        set_active(state, member, id, active).await?;
    }
    get(state, member, id).await
}

/// Activates or deactivates. A deactivated person loses the organization at once: their
/// next request is refused, and the keys they made here are revoked.
pub async fn set_active(
    state: &AppState,
    member: &Member,
    id: i64,
    active: bool,
) -> Result<(), AppError> {
    people::set_active(state, member, id, active).await?;
    if !active {
        queries::revoke_keys_of(&state.pool, member.org_id, id).await?;
    }
    Ok(())
}

/// The people of a role group.
pub async fn group_members(
    state: &AppState,
    member: &Member,
    role: Role,
) -> Result<Vec<(i64, String)>, AppError> {
    Ok(queries::with_role(&state.pool, member.org_id, role).await?)
}

/// Membership of a role group sets the role; leaving a group leaves the least role.
pub async fn set_role(
    state: &AppState,
    member: &Member,
    id: i64,
    role: Role,
) -> Result<(), AppError> {
    people::change_role(state, member, id, role.code()).await
}

/// The provider deleted the person: deactivated (as `set_active`), and no longer listed
/// over SCIM. The People page keeps them, deactivated, with their history.
pub async fn remove(state: &AppState, member: &Member, id: i64) -> Result<(), AppError> {
    get(state, member, id).await?;
    set_active(state, member, id, false).await?;
    queries::set_removed(&state.pool, member.org_id, id, true).await?;
    Ok(())
}

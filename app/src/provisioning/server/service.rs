//! Provisioning's rules, for the member a SCIM token acts as. Adding, inviting,
//! deactivating, address and role changes go through the People services, so seats, the
//! daily quota, the invitation mail and the audit log apply as for people added by hand.
//! What only a provider sends (`userName`, `displayName`, `name`, `externalId`, its own
//! groups) is kept as sent, and its changes are audited too.

use serde_json::{Value, json};

use super::queries::{self, GroupRow, PersonRow};
use crate::access::{Member, can};
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::auth::types::{EmailAddress, PersonName};
use crate::error::AppError;
use crate::people::server::service as people;
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::AppState;

pub use super::queries::Filter;

/// One person as SCIM shows them.
pub type Person = PersonRow;
/// One of the provider's own groups.
pub type Group = GroupRow;

/// A page of the directory (`start` counts from 1, as SCIM's `startIndex`); the total.
pub async fn list(
    state: &AppState,
    member: &Member,
    filter: &Filter,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Person>), AppError> {
    let rows = queries::people(
        &state.pool,
        member.org_id,
        filter,
        start.max(1) - 1,
        count.clamp(0, 200),
    )
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => queries::count(&state.pool, member.org_id, filter).await?,
    };
    Ok((total, rows))
}

pub async fn get(state: &AppState, member: &Member, id: i64) -> Result<Person, AppError> {
    queries::person(&state.pool, member.org_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A person as the identity provider describes them (a whole SCIM User).
#[derive(Debug, Clone)]
pub struct Fields {
    pub user_name: String,
    /// The primary address; `None`: the user name is the address.
    pub email: Option<String>,
    /// `displayName`, `name` and `emails`, as sent (an object of what was sent).
    pub profile: Value,
    /// `None`: as it is (a new person is active).
    pub active: Option<bool>,
    pub external_id: Option<String>,
}

impl Fields {
    fn email(&self) -> Result<EmailAddress, AppError> {
        EmailAddress::parse(self.email.as_deref().unwrap_or(&self.user_name))
            .map_err(|e| AppError::Validation(vec![e]))
    }

    /// The one name Muster shows: `displayName`, else `name.formatted`, else the given
    /// and family names.
    fn shown_name(&self) -> Option<String> {
        let text = |v: &Value| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let p = &self.profile;
        text(&p["displayName"])
            .or_else(|| text(&p["name"]["formatted"]))
            .or_else(|| {
                let parts: Vec<String> = [&p["name"]["givenName"], &p["name"]["familyName"]]
                    .into_iter()
                    .filter_map(text)
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
    }

    fn user_name(&self) -> Result<&str, AppError> {
        let name = self.user_name.trim();
        if name.is_empty() {
            return Err(AppError::field("userName", "errors.user_name_required"));
        }
        Ok(name)
    }
}

async fn require_free_user_name(
    state: &AppState,
    member: &Member,
    id: Option<i64>,
    user_name: &str,
) -> Result<(), AppError> {
    if queries::user_name_taken(&state.pool, member.org_id, id, user_name).await? {
        return Err(AppError::field("userName", "errors.user_name_taken"));
    }
    Ok(())
}

/// Creates a person: added to the directory as a VIEWER and invited (the invitation is
/// the welcome), unless the provider creates them inactive.
pub async fn create(state: &AppState, member: &Member, fields: Fields) -> Result<Person, AppError> {
    member.require(state, can::Invite).await?;
    let user_name = fields.user_name()?;
    let email = fields.email()?;
    // Someone the provider deleted comes back, active unless it says otherwise.
    if let Some((id, true)) =
        queries::person_by_email(&state.pool, member.org_id, email.as_str()).await?
    {
        require_free_user_name(state, member, Some(id), user_name).await?;
        roster::set_removed(&state.pool, member.org_id, id, false).await?;
        let active = Some(fields.active.unwrap_or(true));
        return update(state, member, id, Fields { active, ..fields }).await;
    }
    require_free_user_name(state, member, None, user_name).await?;
    let name = fields.shown_name().unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
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
    update(state, member, id, fields).await
}

/// Makes the person what the provider describes: their address (see
/// [`people::change_email`]), details, and whether they are active.
pub async fn update(
    state: &AppState,
    member: &Member,
    id: i64,
    fields: Fields,
) -> Result<Person, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let person = get(state, member, id).await?;
    let user_name = fields.user_name()?.to_owned();
    let email = fields.email()?;
    require_free_user_name(state, member, Some(id), &user_name).await?;
    if email.as_str() != person.email {
        people::change_email(state, member, id, &email).await?;
    }
    let name = match fields.shown_name() {
        Some(name) => PersonName::parse(&name)
            .map_err(|e| AppError::Validation(vec![e]))?
            .as_str()
            .to_owned(),
        None => person.name.clone(),
    };
    let profile = Some(&fields.profile);
    let mut changed = Vec::new();
    if name != person.name || profile != person.profile.as_ref() {
        changed.push("name");
    }
    if user_name != person.user_name {
        changed.push("userName");
    }
    if fields.external_id != person.external_id {
        changed.push("externalId");
    }
    if !changed.is_empty() {
        let mut tx = state.pool.begin().await?;
        roster::set_details(
            &mut *tx,
            granted.org_id(),
            id,
            &name,
            &user_name,
            &fields.profile,
            fields.external_id.as_deref(),
        )
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                AppError::field("userName", "errors.user_name_taken")
            }
            other => other.into(),
        })?;
        audit::record(
            &mut *tx,
            granted.org_id(),
            Some((member.actor.user_id, &member.actor.name)),
            AuditAction::PersonUpdated,
            Some(email.as_str()),
            Some(&changed.join(", ")),
        )
        .await?;
        tx.commit().await?;
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
        crate::api_keys::server::service::revoke_keys_of(&state.pool, member.org_id, id).await?;
    }
    Ok(())
}

/// The provider deleted the person: deactivated (as `set_active`), and no longer listed
/// over SCIM. The People page keeps them, deactivated, with their history.
pub async fn remove(state: &AppState, member: &Member, id: i64) -> Result<(), AppError> {
    get(state, member, id).await?;
    set_active(state, member, id, false).await?;
    roster::set_removed(&state.pool, member.org_id, id, true).await?;
    Ok(())
}

/// The ids of the people of a role group.
pub async fn role_members(
    state: &AppState,
    member: &Member,
    role: Role,
) -> Result<Vec<i64>, AppError> {
    Ok(queries::with_role(&state.pool, member.org_id, role).await?)
}

/// Membership of a role group sets the role.
pub async fn set_role(
    state: &AppState,
    member: &Member,
    id: i64,
    role: Role,
) -> Result<(), AppError> {
    people::change_role(state, member, id, role.code()).await
}

/// A page of the provider's own groups, optionally only the one with this name.
pub async fn groups(
    state: &AppState,
    member: &Member,
    display_name: Option<&str>,
    offset: i64,
    count: i64,
) -> Result<(i64, Vec<Group>), AppError> {
    let rows = queries::groups(
        &state.pool,
        member.org_id,
        display_name,
        offset.max(0),
        count.clamp(0, 200),
    )
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => queries::count_groups(&state.pool, member.org_id, display_name).await?,
    };
    Ok((total, rows))
}

pub async fn group(state: &AppState, member: &Member, id: i64) -> Result<Group, AppError> {
    queries::group(&state.pool, member.org_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The ids of a group's members.
pub async fn group_members(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<Vec<i64>, AppError> {
    Ok(queries::group_members(&state.pool, member.org_id, id).await?)
}

/// The provider's groups each of these people is in (id, name), by person.
pub async fn groups_of(
    state: &AppState,
    member: &Member,
    people: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<(i64, String)>>, AppError> {
    let mut by_person = std::collections::HashMap::<i64, Vec<(i64, String)>>::new();
    for (person, group, name) in queries::groups_of(&state.pool, member.org_id, people).await? {
        by_person.entry(person).or_default().push((group, name));
    }
    Ok(by_person)
}

/// A group as the provider describes it.
#[derive(Debug, Clone)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<i64>,
}

impl GroupFields {
    fn display_name(&self) -> Result<&str, AppError> {
        let name = self.display_name.trim();
        if name.is_empty() {
            return Err(AppError::field("displayName", "errors.group_name_required"));
        }
        if Role::ALL
            .iter()
            .any(|r| r.code().eq_ignore_ascii_case(name))
        {
            return Err(AppError::field("displayName", "errors.group_name_taken"));
        }
        Ok(name)
    }
}

/// Checks that every member is a person of the organization.
async fn require_people(state: &AppState, member: &Member, ids: &[i64]) -> Result<(), AppError> {
    for id in ids {
        get(state, member, *id).await?;
    }
    Ok(())
}

pub async fn create_group(
    state: &AppState,
    member: &Member,
    fields: GroupFields,
) -> Result<Group, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let name = fields.display_name()?;
    require_people(state, member, &fields.members).await?;
    let mut tx = state.pool.begin().await?;
    let id = queries::insert_group(
        &mut *tx,
        granted.org_id(),
        name,
        fields.external_id.as_deref(),
    )
    .await?
    .ok_or_else(|| AppError::field("displayName", "errors.group_name_taken"))?;
    queries::set_group_members(&mut tx, granted.org_id(), id, &fields.members).await?;
    record_group(&mut tx, member, name, "created").await?;
    tx.commit().await?;
    group(state, member, id).await
}

/// The group becomes what the provider describes: name, external id and members.
pub async fn replace_group(
    state: &AppState,
    member: &Member,
    id: i64,
    fields: GroupFields,
) -> Result<Group, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let before = group(state, member, id).await?;
    let name = fields.display_name()?;
    require_people(state, member, &fields.members).await?;
    let mut tx = state.pool.begin().await?;
    if !queries::update_group(
        &mut *tx,
        granted.org_id(),
        id,
        name,
        fields.external_id.as_deref(),
    )
    .await?
    {
        return Err(AppError::field("displayName", "errors.group_name_taken"));
    }
    queries::set_group_members(&mut tx, granted.org_id(), id, &fields.members).await?;
    let detail = if before.display_name == name {
        "changed".to_owned()
    } else {
        format!("renamed from {}", before.display_name)
    };
    record_group(&mut tx, member, name, &detail).await?;
    tx.commit().await?;
    group(state, member, id).await
}

pub async fn delete_group(state: &AppState, member: &Member, id: i64) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let before = group(state, member, id).await?;
    let mut tx = state.pool.begin().await?;
    if !queries::delete_group(&mut *tx, granted.org_id(), id).await? {
        return Err(AppError::NotFound);
    }
    record_group(&mut tx, member, &before.display_name, "deleted").await?;
    tx.commit().await?;
    Ok(())
}

async fn record_group(
    tx: &mut sqlx::PgConnection,
    member: &Member,
    name: &str,
    detail: &str,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        member.org_id,
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::GroupChanged,
        Some(name),
        Some(detail),
    )
    .await?;
    Ok(())
}

/// `{"displayName": …, "name": {…}, "emails": […]}` with what a SCIM User body holds of
/// them.
pub fn profile_of(user: &Value) -> Value {
    let mut profile = json!({});
    for key in ["displayName", "name", "emails"] {
        if let Some(v) = user.get(key).filter(|v| !v.is_null()) {
            profile[key] = v.clone();
        }
    }
    profile
}

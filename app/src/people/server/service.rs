//! People rules: members see the list; adding, inviting and changing people need the
//! Invite permission (OWNER, ADMIN); only an OWNER grants or removes OWNER; an
//! organization keeps at least one active OWNER. Every change is audited in its own
//! transaction, and every invitation counts against the daily quota. The list itself is
//! read in `list`.

use super::queries::{self, PersonForAction};
use crate::access::{Actor, Granted, Member, can};
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::auth::types::{EmailAddress, PersonName};
use crate::error::AppError;
use crate::mail::outbox;
use crate::people::types::PersonStatus;
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::AppState;

pub use super::inviting::{
    IfOpen, correct_address, extend_invite, invite_member, person_for_invitation, revoke_invite,
    send_invite,
};
use super::inviting::{Sending, replace_invitation};
pub use super::list::{PAGE_SIZE, Preloaded, page};

pub struct NewPerson<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub send_now: bool,
}

/// "Add Person" (Email tab): the person is Active at once, invited now or later.
pub async fn add_person(
    state: &AppState,
    member: &Member,
    form: NewPerson<'_>,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let name = PersonName::parse(form.name);
    let email = EmailAddress::parse(form.email);
    let role = Role::parse("role", form.role);
    let (Ok(name), Ok(email), Ok(role)) = (&name, &email, &role) else {
        return Err(AppError::Validation(
            [name.err(), email.err(), role.err()]
                .into_iter()
                .flatten()
                .collect(),
        ));
    };
    let grantable = granted.may_grant(*role)?;
    let mut tx = state.pool.begin().await?;
    let inserted = roster::insert_person(
        &mut *tx,
        granted.org_id(),
        name.as_str(),
        email.as_str(),
        role.code(),
        None,
        Some(granted.user_id()),
    )
    .await?;
    if inserted.is_none() {
        return Err(AppError::field("email", "errors.person_exists"));
    }
    audit(
        &mut tx,
        &granted,
        &member.actor,
        AuditAction::PersonAdded,
        email.as_str(),
        Some(role.code()),
    )
    .await?;
    if form.send_now {
        // A person just added has no invitation yet: this sends one and audits it.
        replace_invitation(
            &mut tx,
            state,
            member,
            &granted,
            email.as_str(),
            grantable,
            Sending::QUIET,
        )
        .await?;
    }
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// A row action's start: the caller's Invite permission, a transaction, and the person
/// locked in it (404 for anyone not in the caller's organization).
pub(super) async fn locked_person(
    state: &AppState,
    member: &Member,
    person_id: i64,
) -> Result<
    (
        Granted<can::Invite>,
        sqlx::Transaction<'static, sqlx::Postgres>,
        PersonForAction,
    ),
    AppError,
> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    let person = require_person(&mut tx, &granted, person_id).await?;
    Ok((granted, tx, person))
}

/// The person, locked for the rest of the transaction (404 for anyone not in the
/// caller's organization).
pub(super) async fn require_person(
    tx: &mut sqlx::PgConnection,
    granted: &Granted<can::Invite>,
    person_id: i64,
) -> Result<PersonForAction, AppError> {
    queries::lock_person(&mut *tx, granted, person_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// "Deactivate" / "Activate". An inactive member loses access to the organization; the
/// last active OWNER cannot be deactivated, and only an OWNER changes an OWNER.
pub async fn set_active(
    state: &AppState,
    member: &Member,
    person_id: i64,
    active: bool,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    let owners = queries::lock_active_owners(&mut *tx, &granted).await?;
    let person = require_person(&mut tx, &granted, person_id).await?;
    granted.may_grant(person.role)?;
    if !active && owners == [person.id] {
        return Err(AppError::Conflict("errors.last_owner".into()));
    }
    let status = if active {
        PersonStatus::Active
    } else {
        PersonStatus::Inactive
    };
    if person.status == status {
        return Ok(());
    }
    roster::set_status(&mut *tx, &granted, person.id, status.code()).await?;
    let action = if active {
        AuditAction::PersonActivated
    } else {
        AuditAction::PersonDeactivated
    };
    audit(
        &mut tx,
        &granted,
        &member.actor,
        action,
        &person.email,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The identity provider changed a person's address (SCIM). The open invitation ends,
/// since its link went to the old address; someone invited who has not joined yet is
/// invited again at the new one. A member keeps their account and its sign-in address.
pub async fn change_email(
    state: &AppState,
    member: &Member,
    person_id: i64,
    email: &EmailAddress,
) -> Result<(), AppError> {
    let (granted, mut tx, person) = locked_person(state, member, person_id).await?;
    if person.email == email.as_str() {
        return Ok(());
    }
    let role = granted.may_grant(person.role)?;
    let was_invited = roster::end_open_invitation(&mut *tx, &granted, &person.email, false).await?;
    if !roster::set_email(&mut *tx, &granted, person.id, email.as_str()).await? {
        return Err(AppError::field("email", "errors.person_exists"));
    }
    audit(
        &mut tx,
        &granted,
        &member.actor,
        AuditAction::EmailChanged,
        email.as_str(),
        Some(&person.email),
    )
    .await?;
    if was_invited && !person.member && person.status == PersonStatus::Active {
        replace_invitation(
            &mut tx,
            state,
            member,
            &granted,
            email.as_str(),
            role,
            Sending::QUIET,
        )
        .await?;
    }
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// "Change role": the person's role everywhere it is kept, in one transaction.
pub async fn change_role(
    state: &AppState,
    member: &Member,
    person_id: i64,
    role: &str,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let new_role = Role::parse("role", role).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = state.pool.begin().await?;
    let owners = queries::lock_active_owners(&mut *tx, &granted).await?;
    let person = require_person(&mut tx, &granted, person_id).await?;
    let old_role = person.role;
    if old_role == new_role {
        return Ok(());
    }
    granted.may_grant(old_role)?;
    granted.may_grant(new_role)?;
    if old_role == Role::Owner && owners == [person.id] {
        return Err(AppError::Conflict("errors.last_owner".into()));
    }
    roster::set_role(&mut *tx, &granted, person.id, new_role.code()).await?;
    let detail = format!("{} → {}", old_role.code(), new_role.code());
    audit(
        &mut tx,
        &granted,
        &member.actor,
        AuditAction::RoleChanged,
        &person.email,
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records `actor`'s change to the person `subject` in the audit log.
pub(super) async fn audit(
    tx: &mut sqlx::PgConnection,
    granted: &Granted<can::Invite>,
    actor: &Actor,
    action: AuditAction,
    subject: &str,
    detail: Option<&str>,
) -> Result<(), AppError> {
    audit::record(
        tx,
        granted.org_id(),
        Some((actor.user_id, &actor.name)),
        action,
        Some(subject),
        detail,
    )
    .await?;
    Ok(())
}

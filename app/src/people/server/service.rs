//! People rules: members see the list; adding and inviting need the Invite permission
//! (OWNER, ADMIN); only an OWNER may add another OWNER.

use super::queries;
use crate::auth::types::{CurrentUser, EmailAddress, PersonName};
use crate::error::AppError;
use crate::invitations::server::queries as invitations;
use crate::invitations::server::service::{Invite, issue};
use crate::orgs::permissions::Permission;
use crate::orgs::server::access::{Granted, Member};
use crate::orgs::types::{Role, org_home};
use crate::people::types::{InvitationStatus, PeoplePage, PersonRow};
use crate::state::AppState;

/// People shown on one page (paging and search come with the large-organization work).
const PAGE_SIZE: i64 = 200;

pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    region: &str,
    short_name: &str,
) -> Result<PeoplePage, AppError> {
    let member = Member::find(state, user, region, short_name).await?;
    let now = chrono::Utc::now();
    let people = queries::list(&state.pool, member.org_id, PAGE_SIZE)
        .await?
        .into_iter()
        .map(|p| PersonRow {
            invitation: match (p.accepted_at, p.revoked_at, p.expires_at) {
                _ if p.member => InvitationStatus::Accepted,
                (Some(_), _, _) => InvitationStatus::Accepted,
                (_, Some(_), _) => InvitationStatus::Revoked,
                (_, _, Some(e)) if e <= now => InvitationStatus::Expired,
                (_, _, Some(_)) => InvitationStatus::Pending,
                _ => InvitationStatus::NotInvited,
            },
            role: Role::from_code(&p.role).unwrap_or(Role::Viewer),
            active: p.status == "active",
            welcome_sent: p.welcome_sent_at.map(|t| t.format("%Y-%m-%d").to_string()),
            name: p.name,
            email: p.email,
        })
        .collect();
    let can_invite = member.can(Permission::Invite);
    Ok(PeoplePage {
        org_name: member.org_name.clone(),
        org_home: org_home(region, short_name),
        my_role: member.role,
        can_invite,
        contacts: if can_invite {
            Vec::new()
        } else {
            member.contacts(state).await?
        },
        people,
    })
}

pub struct NewPerson<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub send_now: bool,
}

/// "Add Person" (Email tab): the person is Active at once, invited now or later.
pub async fn add_person(
    state: &AppState,
    user: &CurrentUser,
    region: &str,
    short_name: &str,
    form: NewPerson<'_>,
) -> Result<(), AppError> {
    let member = Member::find(state, user, region, short_name).await?;
    let granted = member.require(state, Permission::Invite).await?;
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
    ensure_may_grant(&granted, *role)?;
    let mut tx = state.pool.begin().await?;
    let inserted = invitations::insert_person(
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
    if form.send_now {
        send(
            &mut tx,
            state,
            &member,
            &granted,
            user,
            email.as_str(),
            *role,
        )
        .await?;
    }
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// "Send Invite" from a person's More Options menu.
pub async fn send_invite(
    state: &AppState,
    user: &CurrentUser,
    region: &str,
    short_name: &str,
    email: &str,
) -> Result<(), AppError> {
    let member = Member::find(state, user, region, short_name).await?;
    let granted = member.require(state, Permission::Invite).await?;
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = state.pool.begin().await?;
    let person = queries::lock_person(&mut *tx, granted.org_id(), email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if person.member {
        return Err(AppError::Conflict("errors.person_already_member".into()));
    }
    let role = Role::from_code(&person.role).unwrap_or(Role::Viewer);
    if !send(
        &mut tx,
        state,
        &member,
        &granted,
        user,
        email.as_str(),
        role,
    )
    .await?
    {
        return Err(AppError::Conflict("errors.person_already_invited".into()));
    }
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

fn ensure_may_grant(granted: &Granted, role: Role) -> Result<(), AppError> {
    if role == Role::Owner && granted.role() != Role::Owner {
        return Err(AppError::field("role", "errors.only_owner_grants_owner"));
    }
    Ok(())
}

async fn send(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    member: &Member,
    granted: &Granted,
    user: &CurrentUser,
    email: &str,
    role: Role,
) -> Result<bool, AppError> {
    let invite = Invite {
        org_id: granted.org_id(),
        org_name: &member.org_name,
        email,
        role,
        inviter_id: granted.user_id(),
        inviter_name: &user.name,
        locale: user.locale,
    };
    Ok(issue(tx, &state.settings, &invite).await?)
}

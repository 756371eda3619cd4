//! Inviting from the People and settings pages and the REST API: invite an address,
//! send again, revoke, extend an expired invitation, correct an address that was not
//! delivered. Every one takes the Invite permission, counts against the daily quota and
//! the seats where it opens an invitation, and is audited in its own transaction.

use super::queries;
use super::service::{audit, locked_person, require_person};
use crate::access::{GrantableRole, Granted, Member, can, take_seats};
use crate::audit::types::AuditAction;
use crate::auth::server::throttle::{self, Kind, Scope};
use crate::auth::types::EmailAddress;
use crate::error::{AppError, FieldError};
use crate::invitations::server::service::{self as invitations, Invite, issue, renew, take_quota};
use crate::mail::outbox;
use crate::people::types::PersonStatus;
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::AppState;

/// What inviting an address whose invitation is still open does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfOpen {
    /// Send it again in place ("Invite someone" on the settings page).
    SendAgain,
    /// Refuse with 409 (the REST API: the caller resends by the invitation's id).
    Refuse,
}

/// How [`replace_invitation`] sends: whether its audit entry names the role, and what it
/// does with an invitation still open (decided under that invitation's lock).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sending {
    audit_role: bool,
    if_open: IfOpen,
}

impl Sending {
    /// Add Person with "send now", Send Invite and Resend.
    pub(super) const QUIET: Sending = Sending {
        audit_role: false,
        if_open: IfOpen::SendAgain,
    };
}

/// "Invite someone" (organization settings) and `POST /api/v1/invitations`: invites an
/// address with a role. Someone new is added to the directory (named after their address
/// until they choose a name); someone already listed but not a member is invited with
/// this role, and an open invitation is sent again (same id, a new link valid 30 days).
/// Returns the invitation's id. With [`IfOpen::Refuse`] (the REST API) an address whose
/// invitation is still open is refused with 409 instead, decided under the person's lock.
pub async fn invite_member(
    state: &AppState,
    member: &Member,
    email: &str,
    role: &str,
    if_open: IfOpen,
) -> Result<i64, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let email = EmailAddress::parse(email);
    let role = Role::parse("role", role);
    let (Ok(email), Ok(role)) = (&email, &role) else {
        return Err(AppError::Validation(
            [email.err(), role.err()].into_iter().flatten().collect(),
        ));
    };
    let grantable = granted.may_grant(*role)?;
    let mut tx = state.pool.begin().await?;
    let id = match queries::person_id_by_email(&mut *tx, granted.org_id(), email.as_str()).await? {
        Some(id) => id,
        None => {
            let name = email.as_str().split('@').next().unwrap_or(email.as_str());
            let inserted = roster::insert_person(
                &mut *tx,
                granted.org_id(),
                name,
                email.as_str(),
                role.code(),
                None,
                Some(granted.user_id()),
            )
            .await?;
            match inserted {
                Some(id) => {
                    let actor = &member.actor;
                    audit(
                        &mut tx,
                        &granted,
                        actor,
                        AuditAction::PersonAdded,
                        email.as_str(),
                        Some(role.code()),
                    )
                    .await?;
                    id
                }
                // Added by a concurrent request, which has committed (the insert waited
                // for it): carry on with that person, under their lock.
                None => queries::person_id_by_email(&mut *tx, granted.org_id(), email.as_str())
                    .await?
                    .ok_or(AppError::Internal)?,
            }
        }
    };
    let person = require_person(&mut tx, &granted, id).await?;
    if person.member {
        // The state of things, not a typo: 409, as for Send Invite.
        return Err(AppError::Conflict("errors.person_already_member".into()));
    }
    let old_role = person.role;
    if old_role != *role {
        granted.may_grant(old_role)?;
        roster::set_role(&mut *tx, &granted, person.id, role.code()).await?;
    }
    let invitation = replace_invitation(
        &mut tx,
        state,
        member,
        &granted,
        &person.email,
        grantable,
        Sending {
            audit_role: true,
            if_open,
        },
    )
    .await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(invitation)
}

/// The person an open invitation is for (REST: resend and revoke by invitation id).
pub async fn person_for_invitation(
    state: &AppState,
    member: &Member,
    invitation_id: i64,
) -> Result<(i64, String), AppError> {
    queries::person_for_open_invitation(&state.pool, member.org_id, invitation_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// "Send Invite" and "Resend" from a person's More Options menu. Resend sends the open
/// invitation again: same id, a new link valid for 30 days (the old link stops working).
/// Someone whose Welcome Sent is already set is only invited again with `confirmed`, so
/// nobody gets a second invitation by a slip of the mouse. An Inactive person becomes
/// Active.
pub async fn send_invite(
    state: &AppState,
    member: &Member,
    person_id: i64,
    confirmed: bool,
) -> Result<i64, AppError> {
    let (granted, mut tx, person) = locked_person(state, member, person_id).await?;
    if person.member {
        return Err(AppError::Conflict("errors.person_already_member".into()));
    }
    if let Some(sent) = person.welcome_sent_at
        && !confirmed
    {
        return Err(AppError::Validation(vec![
            FieldError::new("form", "errors.welcome_already_sent")
                .with_arg("date", sent.format("%Y-%m-%d")),
        ]));
    }
    // Resending (or reactivating by inviting) an OWNER-role person needs an OWNER too.
    let role = granted.may_grant(person.role)?;
    let invitation = replace_invitation(
        &mut tx,
        state,
        member,
        &granted,
        &person.email,
        role,
        Sending::QUIET,
    )
    .await?;
    if person.status == PersonStatus::Inactive {
        audit(
            &mut tx,
            &granted,
            &member.actor,
            AuditAction::PersonActivated,
            &person.email,
            None,
        )
        .await?;
    }
    outbox::commit_and_send(tx, state).await?;
    Ok(invitation)
}

/// "Revoke": the open invitation's link stops working at once. Only an OWNER revokes an
/// invitation to the OWNER role, as only an OWNER sends one.
pub async fn revoke_invite(
    state: &AppState,
    member: &Member,
    person_id: i64,
) -> Result<(), AppError> {
    let (granted, mut tx, person) = locked_person(state, member, person_id).await?;
    granted.may_grant(person.role)?;
    if !roster::end_open_invitation(&mut *tx, &granted, &person.email, false).await? {
        return Err(AppError::Conflict("errors.no_open_invitation".into()));
    }
    audit(
        &mut tx,
        &granted,
        &member.actor,
        AuditAction::InvitationRevoked,
        &person.email,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Correct and resend" for an invitation that was not delivered: the person's address
/// is corrected and the invitation sent to it, in one transaction (both or neither).
/// Not for members: their address is their account's.
pub async fn correct_address(
    state: &AppState,
    member: &Member,
    person_id: i64,
    email: &str,
) -> Result<i64, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = state.pool.begin().await?;
    let person = require_person(&mut tx, &granted, person_id).await?;
    if person.member {
        return Err(AppError::Conflict("errors.person_already_member".into()));
    }
    let role = granted.may_grant(person.role)?;
    if person.email != email.as_str() {
        roster::end_open_invitation(&mut *tx, &granted, &person.email, false).await?;
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
    }
    let invitation = replace_invitation(
        &mut tx,
        state,
        member,
        &granted,
        email.as_str(),
        role,
        Sending::QUIET,
    )
    .await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(invitation)
}

/// "Extend": the person's expired invitation is open again for 30 days with the same
/// link (no mail: the one they have works again). It takes a seat again, as an open
/// invitation does; only an OWNER extends an invitation to the OWNER role. Audited.
pub async fn extend_invite(
    state: &AppState,
    member: &Member,
    person_id: i64,
) -> Result<(), AppError> {
    let (granted, mut tx, person) = locked_person(state, member, person_id).await?;
    granted.may_grant(person.role)?;
    let expired = invitations::lock_unended(&mut *tx, granted.org_id(), &person.email)
        .await?
        .is_some_and(|open| open.expired);
    if !expired {
        return Err(AppError::Conflict("errors.no_expired_invitation".into()));
    }
    take_seats(&mut tx, granted.org_id(), 1).await?;
    roster::extend_expired(
        &mut *tx,
        &granted,
        &person.email,
        invitations::INVITATION_DAYS,
    )
    .await?;
    audit(
        &mut tx,
        &granted,
        &member.actor,
        AuditAction::InvitationExtended,
        &person.email,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The window of the per-recipient invitation limit: a day.
const INVITE_WINDOW_MINUTES: i64 = 24 * 60;

/// Invites `email` in the caller's transaction (quota and seats permitting) and audits it
/// as sent or resent (with the role when `audit_role`). An invitation not yet accepted or
/// revoked is sent again in place: it keeps its id and gets a new link (the old one then
/// says it was replaced) and 30 more days. Returns the invitation's id.
pub(super) async fn replace_invitation(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    member: &Member,
    granted: &Granted<can::Invite>,
    email: &str,
    role: GrantableRole,
    how: Sending,
) -> Result<i64, AppError> {
    let open = invitations::lock_unended(&mut *tx, granted.org_id(), email).await?;
    if how.if_open == IfOpen::Refuse && open.as_ref().is_some_and(|o| !o.expired) {
        return Err(AppError::Conflict(
            "errors.invitation_open_use_resend".into(),
        ));
    }
    // A new or expired invitation takes a seat; a live one keeps its own.
    if open.as_ref().is_none_or(|o| o.expired) {
        take_seats(tx, granted.org_id(), 1).await?;
    }
    take_quota(tx, state, granted.org_id(), 1).await?;
    // One address gets a limited number of invitations a day, from all organizations
    // together: an ADMIN (or an ADMIN's key) cannot mail-bomb a stranger.
    let recipient = Scope::new(
        format!("invite-to:{email}"),
        state.settings.max_invitations_per_recipient,
    );
    throttle::take_in(tx, Kind::Mail, &[recipient], INVITE_WINDOW_MINUTES).await?;
    let invite = Invite {
        org_id: granted.org_id(),
        org_name: &member.org_name,
        email,
        role: role.role(),
        inviter_id: granted.user_id(),
        inviter_name: &member.actor.name,
        locale: member.actor.locale,
    };
    let (id, action) = match open {
        Some(open) => {
            renew(tx, &state.settings, &invite, open.id).await?;
            (open.id, AuditAction::InvitationResent)
        }
        None => {
            let id = issue(tx, &state.settings, &invite)
                .await?
                .ok_or_else(|| AppError::Conflict("errors.person_already_invited".into()))?;
            (id, AuditAction::InvitationSent)
        }
    };
    let detail = how.audit_role.then(|| role.role().code());
    audit(&mut *tx, granted, &member.actor, action, email, detail).await?;
    Ok(id)
}

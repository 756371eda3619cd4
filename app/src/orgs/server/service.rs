//! Organization rules: members see their organization; nobody else learns it exists.

use super::queries;
use crate::access::Member;
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::error::AppError;
use crate::notes::{self, NoteKind};
use crate::orgs::types::{
    InvitationRow, MemberRow, OrgOverview, OrgSettings, OwnershipOffer, TransferSection,
};
use crate::paging::{self, Page};
use crate::roles::{Decision, Denial, Permission, Role};
use crate::roster::server::service as roster;
use crate::state::AppState;

/// The home page of an organization, for one of its members. To anyone else it does
/// not exist (404), so short names cannot be probed.
pub async fn overview(state: &AppState, member: &Member) -> Result<OrgOverview, AppError> {
    // One connection for the page's four queries (see `AppState::pool`).
    let mut db = state.pool.acquire().await?;
    let org = queries::org_by_id(&mut *db, member.org_id).await?;
    let features = queries::features(&mut *db, org.id).await?;
    let members = member_rows(&mut *db, member.org_id, None).await?;
    let invitations = invitation_rows(&mut *db, member.org_id).await?;
    Ok(OrgOverview {
        public_id: org.public_id,
        name: org.name,
        short_name: org.short_name,
        region: org.region,
        plan: org.plan,
        trial: org.trial,
        billed: org.billed.unwrap_or(false),
        seats: org.seats,
        my_role: member.role,
        features,
        members,
        invitations,
    })
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn invitation_row(i: queries::InvitationRow) -> InvitationRow {
    InvitationRow {
        id: i.id,
        role: i.role,
        email: i.email,
        sent_at: i.sent_at.map(rfc3339),
        expires_at: rfc3339(i.expires_at),
    }
}

/// The organization's members, or one of them (`person_id`), for any member.
pub async fn members(
    state: &AppState,
    member: &Member,
    person_id: Option<i64>,
) -> Result<Vec<MemberRow>, AppError> {
    member_rows(&state.pool, member.org_id, person_id).await
}

async fn member_rows(
    db: impl sqlx::PgExecutor<'_>,
    org_id: i64,
    person_id: Option<i64>,
) -> Result<Vec<MemberRow>, AppError> {
    Ok(queries::members(db, org_id, person_id)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.id,
            role: m.role,
            name: m.name,
            email: m.email,
            active: m.active,
            joined_at: rfc3339(m.joined_at),
        })
        .collect())
}

/// The open invitations, for any member.
pub async fn invitations(
    state: &AppState,
    member: &Member,
) -> Result<Vec<InvitationRow>, AppError> {
    invitation_rows(&state.pool, member.org_id).await
}

async fn invitation_rows(
    db: impl sqlx::PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<InvitationRow>, AppError> {
    Ok(queries::open_invitations(db, org_id)
        .await?
        .into_iter()
        .map(invitation_row)
        .collect())
}

/// One open invitation (REST: what was just created or sent again).
pub async fn invitation(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<InvitationRow, AppError> {
    queries::open_invitation(&state.pool, member.org_id, Some(id), None)
        .await?
        .map(invitation_row)
        .ok_or(AppError::NotFound)
}

/// "May this member do X here?" for every permission: the documented answer products
/// built on Muster ask for (`GET /api/v1/members/{id}/permissions`). Inactive members
/// may do nothing.
pub async fn decisions_for(
    state: &AppState,
    member: &Member,
    person_id: i64,
) -> Result<Vec<Decision>, AppError> {
    let subject = members(state, member, Some(person_id))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let plan = member.plan(state).await?;
    Ok(Permission::ALL
        .into_iter()
        .map(|p| {
            let mut decision = p.decide(subject.role, &plan);
            if !subject.active {
                decision.allowed = false;
                decision.denial = Some(Denial::Role);
            }
            decision
        })
        .collect())
}

/// The organization settings page: plan and seats, what the member may do, "Invite
/// someone" (or who to ask), and the API keys for those who manage them.
/// `new_key`: the secret of a key this member just made without JavaScript, if any.
pub async fn settings(
    state: &AppState,
    member: &Member,
    new_key: Option<&str>,
) -> Result<OrgSettings, AppError> {
    let org = queries::org_by_id(&state.pool, member.org_id).await?;
    let plan = member.plan(state).await?;
    let can_invite = member.can(Permission::Invite);
    let api_keys = if member.can(Permission::CreateApiKey) {
        Some(
            crate::api_keys::server::service::list(
                state,
                member,
                crate::api_keys::types::KeyPurpose::Rest,
            )
            .await?,
        )
    } else {
        None
    };
    // SCIM tokens: OWNERs see them (Settings → Provisioning).
    let scim_tokens = match member.owner() {
        Some(_) => Some(
            crate::api_keys::server::service::list(
                state,
                member,
                crate::api_keys::types::KeyPurpose::Scim,
            )
            .await?,
        ),
        None => None,
    };
    // A key or token just made without JavaScript, shown this once where it is listed.
    let new_key = match new_key {
        Some(key) => {
            let all: Vec<_> = api_keys
                .iter()
                .chain(scim_tokens.iter())
                .flatten()
                .cloned()
                .collect();
            crate::api_keys::server::service::made_by(state, member, key, &all).await?
        }
        None => None,
    };
    Ok(OrgSettings {
        org_name: org.name,
        home: member.home(),
        region: org.region,
        short_name: org.short_name,
        plan_name: org.plan,
        trial: org.trial,
        decisions: Permission::ALL
            .into_iter()
            .map(|p| p.decide(member.role, &plan))
            .collect(),
        plan,
        my_role: member.role,
        can_invite,
        contacts: member.contacts_unless(state, can_invite).await?,
        api_keys,
        new_key,
        signup_link: state.settings.link("/signup"),
        second_factor_policy: match member.owner() {
            Some(owner) => Some(queries::second_factor_policy(&state.pool, &owner).await?),
            None => None,
        },
        domains: crate::domains::server::service::settings(state, member).await?,
        scim_url: state.settings.link("/scim/v2"),
        scim_tokens,
        sso: crate::sso::server::service::settings(state, member).await?,
        reminders: crate::invitations::server::service::reminder_settings(state, member).await?,
        transfer: match member.owner() {
            Some(owner) => Some(TransferSection {
                candidates: queries::transfer_candidates(&state.pool, &owner)
                    .await?
                    .into_iter()
                    .map(|c| (c.person_id, format!("{} <{}>", c.name, c.email)))
                    .collect(),
                pending: queries::open_offer_to(&state.pool, owner.org_id()).await?,
            }),
            None => None,
        },
    })
}

/// "Require a second factor": for everyone, for OWNERs and ADMINs, or not. Only an
/// OWNER decides; audited.
pub async fn save_second_factor_policy(
    state: &AppState,
    member: &Member,
    policy: &str,
) -> Result<(), AppError> {
    let owner = member.require_owner("errors.only_owner_second_factor")?;
    if !crate::orgs::types::SECOND_FACTOR_POLICIES.contains(&policy) {
        return Err(AppError::field(
            "policy",
            "errors.second_factor_policy_unknown",
        ));
    }
    // Requiring what one has not got would lock oneself out at once.
    if policy != "nobody" && !member.second_factor {
        return Err(AppError::Conflict(
            "errors.second_factor_yourself_first".into(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    queries::set_second_factor_policy(&mut *tx, &owner, policy).await?;
    crate::audit::server::service::record(
        &mut *tx,
        owner.org_id(),
        Some((owner.user_id(), owner.name())),
        crate::audit::types::AuditAction::SecondFactorPolicyChanged,
        None,
        Some(policy),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a program may ask of the member and invitation lists (`GET /api/v1/members`,
/// `/invitations`): a role, a state (members: `active` or `inactive`; invitations: `open`
/// or `expired`), a search over name and address, and the page.
#[derive(Debug, Default)]
pub struct ListFilter<'a> {
    pub role: Option<&'a str>,
    pub state: Option<&'a str>,
    pub q: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<&'a str>,
}

/// One page of the organization's members, by name, for any member.
pub async fn members_page(
    state: &AppState,
    member: &Member,
    filter: &ListFilter<'_>,
) -> Result<Page<MemberRow>, AppError> {
    let (role, limit) = checked(filter.role, filter.limit)?;
    let active = match filter.state.map(str::trim) {
        None => None,
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        Some(_) => return Err(AppError::field("state", "errors.member_state_unknown")),
    };
    let after = paging::decode(filter.cursor, 2)?;
    let rows = queries::members_page(
        &state.pool,
        member.org_id,
        role.map(Role::code),
        active,
        paging::contains(filter.q).as_deref(),
        after.as_ref().map(|k| (k[0].as_str(), k[1].as_str())),
        limit + 1,
    )
    .await?;
    let page = paging::page(rows, limit, |m| {
        vec![m.sort_name.clone(), m.sort_email.clone()]
    });
    Ok(Page {
        next: page.next,
        rows: page
            .rows
            .into_iter()
            .map(|m| MemberRow {
                id: m.id,
                role: m.role,
                name: m.name,
                email: m.email,
                active: m.active,
                joined_at: rfc3339(m.joined_at),
            })
            .collect(),
    })
}

/// One page of the organization's pending invitations, by address, for any member.
pub async fn invitations_page(
    state: &AppState,
    member: &Member,
    filter: &ListFilter<'_>,
) -> Result<Page<InvitationRow>, AppError> {
    let (role, limit) = checked(filter.role, filter.limit)?;
    let expired = match filter.state.map(str::trim) {
        None | Some("open") => false,
        Some("expired") => true,
        Some(_) => return Err(AppError::field("state", "errors.invitation_state_unknown")),
    };
    let after = paging::decode(filter.cursor, 1)?;
    let rows = queries::invitations_page(
        &state.pool,
        member.org_id,
        expired,
        role.map(Role::code),
        paging::contains(filter.q).as_deref(),
        after.as_ref().map(|k| k[0].as_str()),
        limit + 1,
    )
    .await?;
    let page = paging::page(rows, limit, |i| vec![i.email.clone()]);
    Ok(Page {
        next: page.next,
        rows: page.rows.into_iter().map(invitation_row).collect(),
    })
}

/// A role filter (if any) and the page size, or the errors of both.
fn checked(role: Option<&str>, limit: Option<&str>) -> Result<(Option<Role>, i64), AppError> {
    let role = role.map(|r| Role::parse("role", r.trim()));
    let limit = paging::limit(limit);
    match (role.transpose(), limit) {
        (Ok(role), Ok(limit)) => Ok((role, limit)),
        (role, limit) => {
            let mut errors = Vec::new();
            if let Err(e) = role {
                errors.push(e);
            }
            if let Err(AppError::Validation(mut more)) = limit {
                errors.append(&mut more);
            }
            Err(AppError::Validation(errors))
        }
    }
}

/// "Leave organization": the membership ends, the person leaves the directory, their API
/// keys here stop, open offers of ownership to or from them end, and the other OWNERs
/// are told in their bell. The last OWNER cannot leave. Audited.
pub async fn leave(state: &AppState, member: &Member, confirmed: bool) -> Result<(), AppError> {
    if !confirmed {
        return Err(AppError::field("confirm", "errors.leave_confirm_required"));
    }
    let (org_id, me) = (member.org_id, member.actor.user_id);
    let mut tx = state.pool.begin().await?;
    let owners = queries::lock_owners(&mut *tx, org_id).await?;
    if owners == [me] {
        return Err(AppError::Conflict("errors.last_owner_cannot_leave".into()));
    }
    crate::api_keys::server::service::revoke_made_in(&mut tx, org_id, me).await?;
    queries::end_offers_of(&mut *tx, org_id, me).await?;
    crate::access::remove_membership(&mut *tx, org_id, me).await?;
    roster::remove_person(&mut *tx, org_id, me).await?;
    let name = member.actor.name.as_str();
    audit(
        &mut *tx,
        org_id,
        Some((me, name)),
        AuditAction::MemberLeft,
        Some(name),
        None,
    )
    .await?;
    notes::tell_owners(&mut *tx, org_id, me, NoteKind::MemberLeft, name).await?;
    tx.commit().await?;
    Ok(())
}

/// "Offer ownership": an OWNER offers it to an active member and chooses the role they
/// keep; nothing changes until the member accepts in their bell. Audited.
pub async fn offer_ownership(
    state: &AppState,
    member: &Member,
    to_person: i64,
    role_after: &str,
) -> Result<(), AppError> {
    let owner = member.require_owner("errors.only_owner_transfer")?;
    let role_after =
        Role::parse("role_after", role_after).map_err(|e| AppError::Validation(vec![e]))?;
    let to = queries::active_member(&state.pool, owner.org_id(), to_person)
        .await?
        .filter(|to| to.user_id != owner.user_id())
        .ok_or_else(|| AppError::field("to", "errors.transfer_to_invalid"))?;
    let mut tx = state.pool.begin().await?;
    queries::insert_offer(&mut *tx, &owner, to.user_id, role_after.code())
        .await?
        .ok_or_else(|| AppError::Conflict("errors.transfer_open".into()))?;
    audit(
        &mut *tx,
        owner.org_id(),
        Some((owner.user_id(), owner.name())),
        AuditAction::OwnershipOffered,
        Some(&to.name),
        Some(role_after.code()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The offers of ownership waiting for this person's answer.
pub async fn offers_for(
    state: &AppState,
    user: &crate::access::Principal,
) -> Result<Vec<OwnershipOffer>, AppError> {
    Ok(queries::offers_to(&state.pool, user.id(), None)
        .await?
        .into_iter()
        .map(|o| OwnershipOffer {
            id: o.id,
            org_name: o.org_name,
            from: o.from_name,
            role_after: o.role_after,
        })
        .collect())
}

/// "Accept ownership" / "Decline": accepted, the person becomes an OWNER and the offering
/// OWNER takes the role they chose, at once; either way the offering OWNER is told in
/// their bell. An offer whose OWNER is no longer one is gone. Audited. Answers the
/// organization's home.
pub async fn answer_offer(
    state: &AppState,
    user: &crate::access::Principal,
    offer_id: i64,
    accept: bool,
) -> Result<String, AppError> {
    let gone = || AppError::Gone("errors.offer_gone".into());
    let mut tx = state.pool.begin().await?;
    let offer = queries::offers_to(&mut *tx, user.id(), Some(offer_id))
        .await?
        .pop()
        .ok_or_else(gone)?;
    let (action, kind) = if accept {
        let owners = queries::lock_owners(&mut *tx, offer.org_id).await?;
        if !owners.contains(&offer.from_user)
            || !roster::transfer_ownership(
                &mut *tx,
                offer.org_id,
                offer.from_user,
                user.id(),
                offer.role_after.code(),
            )
            .await?
        {
            return Err(gone());
        }
        (
            AuditAction::OwnershipTransferred,
            NoteKind::OwnershipAccepted,
        )
    } else {
        (AuditAction::OwnershipDeclined, NoteKind::OwnershipDeclined)
    };
    queries::answer_offer(&mut *tx, offer.id, accept).await?;
    audit(
        &mut *tx,
        offer.org_id,
        Some((user.id(), user.name())),
        action,
        Some(user.name()),
        Some(offer.role_after.code()),
    )
    .await?;
    notes::tell(&mut *tx, offer.from_user, offer.org_id, kind, user.name()).await?;
    tx.commit().await?;
    Ok(crate::paths::org_home(&offer.region, &offer.short_name))
}

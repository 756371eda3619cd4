//! Who may do what in an organization, checked once on the server.
//!
//! Every org-scoped operation starts from a `Member`: the signed-in person as a member of
//! the organization in the URL (`Member::find`), or an API key of that organization
//! (`Member::for_api_key`); nothing outside this module can make one. Operations that
//! need a permission take a `Granted<P>` for it (`Granted<can::Invite>`), which only
//! `Member::require` makes: such an operation cannot be called without that check having
//! passed, a grant of another permission does not compile in its place, and the check
//! asks the role matrix and the organization's plan.

use std::marker::PhantomData;

use super::identity::{Identity, org_home};
use super::queries;
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::roles::Role;
pub use crate::roles::{Capability, can};
use crate::roles::{Decision, Denial, Permission, PlanFacts};
use crate::state::AppState;

/// Who is acting: a person, or an API key (acting for the organization, and recorded in
/// the audit log under its own name, on behalf of the person who created it).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    /// The name the audit log and invitation emails show.
    pub name: String,
    pub locale: Locale,
    pub api_key_id: Option<i64>,
}

/// A member (person or API key) of one organization. Its fields can be read anywhere,
/// but only this module can make one (`sealed`).
#[derive(Debug, Clone)]
pub struct Member {
    pub org_id: i64,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub role: Role,
    pub actor: Actor,
    /// The session behind this member passed a second factor (never for an API key).
    pub second_factor: bool,
    #[allow(dead_code)] // present only so that no other module can write a `Member`
    sealed: Sealed,
}

#[derive(Debug, Clone)]
struct Sealed;

/// Proof that permission `P` was checked for this member of this organization.
#[derive(Debug)]
pub struct Granted<P: Capability> {
    org_id: i64,
    user_id: i64,
    role: Role,
    permission: PhantomData<P>,
}

/// Proof that this member is an OWNER of this organization, for the settings only OWNERs
/// change (verified domains, single sign-on, SCIM tokens, the second-factor
/// requirement): the services and queries of those settings take it, so that a path
/// that skips the check does not compile. Only [`Member::require_owner`] and
/// [`Member::owner`] make one.
#[derive(Debug)]
pub struct Owner {
    org_id: i64,
    user_id: i64,
    name: String,
}

impl Owner {
    pub fn org_id(&self) -> i64 {
        self.org_id
    }
    pub fn user_id(&self) -> i64 {
        self.user_id
    }
    /// The name the audit log shows.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What an API key's request acts as, as `api_keys` reads it from the key's row.
pub struct KeyFacts {
    pub key_id: i64,
    pub key_name: String,
    pub key_role: Role,
    pub org_id: i64,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub creator_id: i64,
    pub creator_role: Role,
    /// The creator's language code (the key's mails and messages use it).
    pub creator_locale: String,
}

/// An API key that authenticated: the key, its organization, and who made it. Only
/// `api_keys`' server code makes one (`from_key`), after finding the key by its hash.
pub struct KeyHolder(KeyFacts);

impl KeyHolder {
    pub fn from_key(facts: KeyFacts) -> KeyHolder {
        KeyHolder(facts)
    }
}

/// A role this member may hand out, by any path that creates, re-sends or reactivates
/// (an invitation, Resend, Invite All, a role change): only an OWNER grants OWNER. Only
/// [`Granted::may_grant`] makes one, and sending an invitation takes one, so that rule
/// cannot be skipped by a new path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantableRole(Role);

impl GrantableRole {
    pub fn role(self) -> Role {
        self.0
    }
}

impl Granted<can::Invite> {
    /// Checks that this member may give `role` to someone (or act on someone who has it).
    pub fn may_grant(&self, role: Role) -> Result<GrantableRole, AppError> {
        if role == Role::Owner && self.role != Role::Owner {
            // A refusal of this caller (403), not a mistake in the input: the same request
            // from an OWNER is fine.
            return Err(AppError::NotPermitted {
                key: "errors.only_owner_grants_owner".into(),
                contacts: Vec::new(),
            });
        }
        Ok(GrantableRole(role))
    }
}

impl<P: Capability> Granted<P> {
    pub fn org_id(&self) -> i64 {
        self.org_id
    }
    pub fn user_id(&self) -> i64 {
        self.user_id
    }
    pub fn role(&self) -> Role {
        self.role
    }
}

impl Member {
    /// The organization at (region, short name), for a member. To anyone else it does not
    /// exist (404), so organizations cannot be probed.
    pub fn find(identity: &Identity, region: &str, short_name: &str) -> Result<Member, AppError> {
        // The person's active memberships came with their identity (one query per request).
        let m = identity
            .orgs()
            .iter()
            .find(|m| m.region() == region && m.short_name() == short_name)
            .ok_or(AppError::NotFound)?;
        // An organization that requires a second factor (of everyone, or of its OWNERs and
        // ADMINs) has no member behind a session that has not passed one: every page and
        // server function of it starts here. API keys are not sessions (`for_api_key`).
        if m.second_factor_required() && !identity.second_factor() {
            return Err(AppError::SecondFactorRequired {
                org: m.name().to_owned(),
            });
        }
        // An organization that requires single sign-on of this person (not an OWNER, an
        // address on its verified domains) has no member behind a session that did not
        // come through its provider.
        if m.sso_required() {
            return Err(AppError::SsoRequired {
                org: m.name().to_owned(),
                email: identity.principal().email().to_owned(),
            });
        }
        Ok(Member {
            org_id: m.org_id(),
            org_name: m.name().to_owned(),
            region: region.to_owned(),
            short_name: short_name.to_owned(),
            role: m.role(),
            actor: Actor {
                user_id: identity.principal().id(),
                name: identity.principal().name().to_owned(),
                locale: identity.principal().locale(),
                api_key_id: None,
            },
            second_factor: identity.second_factor(),
            sealed: Sealed,
        })
    }

    /// The member an API key acts as: never more than the key's role, nor than what the
    /// person who made it may do now.
    pub fn for_api_key(key: KeyHolder) -> Member {
        let KeyHolder(key) = key;
        Member {
            org_id: key.org_id,
            org_name: key.org_name,
            region: key.region,
            short_name: key.short_name,
            role: key.key_role.weaker(key.creator_role),
            actor: Actor {
                user_id: key.creator_id,
                name: format!("{} (API key)", key.key_name),
                locale: Locale::from_code(&key.creator_locale).unwrap_or_default(),
                api_key_id: Some(key.key_id),
            },
            second_factor: false,
            sealed: Sealed,
        }
    }

    pub fn home(&self) -> String {
        org_home(&self.region, &self.short_name)
    }

    /// The organization's plan as permission decisions need it.
    pub async fn plan(&self, state: &AppState) -> Result<PlanFacts, AppError> {
        plan_facts(&state.pool, self.org_id).await
    }

    /// "May this member do `permission` here?", from the role matrix and the plan.
    pub async fn decide(
        &self,
        state: &AppState,
        permission: Permission,
    ) -> Result<Decision, AppError> {
        Ok(permission.decide(self.role, &self.plan(state).await?))
    }

    /// The role's answer alone, for showing or hiding controls.
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// The permission, or a refusal that says why: the role (naming who holds the
    /// permission), or the plan (with what to upgrade). Seats are checked where seats are
    /// taken (`take_seats`), inside the transaction that takes them.
    pub async fn require<P: Capability>(
        &self,
        state: &AppState,
        _capability: P,
    ) -> Result<Granted<P>, AppError> {
        let permission = P::PERMISSION;
        if !self.can(permission) {
            return Err(AppError::NotPermitted {
                key: permission.refusal_key().into(),
                contacts: self.contacts(state).await?,
            });
        }
        if permission.premium() {
            let decision = self.decide(state, permission).await?;
            if let Some(denial) = decision.denial {
                return Err(refusal(&denial));
            }
        }
        Ok(Granted {
            org_id: self.org_id,
            user_id: self.actor.user_id,
            role: self.role,
            permission: PhantomData,
        })
    }

    /// The grant of the owner-only settings, if this member is an OWNER (a page shows
    /// those sections to OWNERs only).
    pub fn owner(&self) -> Option<Owner> {
        (self.role == Role::Owner).then(|| Owner {
            org_id: self.org_id,
            user_id: self.actor.user_id,
            name: self.actor.name.clone(),
        })
    }

    /// The grant of the owner-only settings, or a refusal that says only an owner does
    /// this (`refusal`: the message key).
    pub fn require_owner(&self, refusal: &'static str) -> Result<Owner, AppError> {
        self.owner().ok_or_else(|| AppError::NotPermitted {
            key: refusal.into(),
            contacts: Vec::new(),
        })
    }

    /// Whom to ask, for pages that offer inviting: nobody when this member may invite.
    pub async fn contacts_unless(
        &self,
        state: &AppState,
        can_invite: bool,
    ) -> Result<Vec<String>, AppError> {
        if can_invite {
            Ok(Vec::new())
        } else {
            self.contacts(state).await
        }
    }

    /// The owners and admins, to be named in "ask them" messages.
    pub async fn contacts(&self, state: &AppState) -> Result<Vec<String>, AppError> {
        self.contacts_on(&state.pool).await
    }

    /// `contacts`, read on `db` (a page that reads everything on one connection).
    pub async fn contacts_on(
        &self,
        db: impl sqlx::PgExecutor<'_>,
    ) -> Result<Vec<String>, AppError> {
        let roles = [Role::Owner.code().to_owned(), Role::Admin.code().to_owned()];
        Ok(queries::members_with_roles(db, self.org_id, &roles).await?)
    }
}

/// The organization's plan and what takes its seats, as the limit rules read them.
pub async fn plan_facts(db: impl sqlx::PgExecutor<'_>, org_id: i64) -> Result<PlanFacts, AppError> {
    let row = queries::plan_facts(db, org_id).await?;
    Ok(PlanFacts {
        premium: row.plan == "premium",
        seats: row.seats,
        members: row.members,
        pending: row.pending,
    })
}

/// The refusal for a plan that does not allow something.
pub fn refusal(denial: &Denial) -> AppError {
    match denial {
        Denial::Role => AppError::Forbidden,
        Denial::Premium => {
            AppError::Validation(vec![FieldError::new("form", "errors.premium_required")])
        }
        Denial::Seats {
            seats,
            members,
            pending,
        } => AppError::Validation(vec![
            FieldError::new("form", "errors.seats_full")
                .with_arg("seats", seats)
                .with_arg("members", members)
                .with_arg("pending", pending),
        ]),
    }
}

/// Serialises what takes seats in one organization, and saves of its Link tab, until the
/// transaction ends.
pub async fn lock_org(tx: &mut sqlx::PgConnection, org_id: i64) -> Result<(), AppError> {
    queries::lock_org(&mut *tx, org_id).await?;
    Ok(())
}

/// Takes `n` more seats (new invitations, or people joining by link) or refuses with the
/// numbers. Locks the organization row, so two admins inviting at once cannot both take
/// the last seat.
pub async fn take_seats(tx: &mut sqlx::PgConnection, org_id: i64, n: i64) -> Result<(), AppError> {
    lock_org(&mut *tx, org_id).await?;
    let facts = plan_facts(&mut *tx, org_id).await?;
    match facts.seats_for(n) {
        Some(denial) => Err(refusal(&denial)),
        None => Ok(()),
    }
}

//! Invitation rules. The emailed link is the credential: whoever holds it may see the
//! invitation, and accept it by proving who they are (a new password for a new person,
//! the account's password for someone who has one).

use super::queries::{self, InvitationRow};
use crate::access::org_home;
use crate::access::{Member, can};
use crate::auth::server::{password, service as accounts};
use crate::auth::types::{NewPassword, PersonName};
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::invitations::types::{
    DEFAULT_REMINDER_DAYS, InvitationState, InvitationView, ReminderSettings, parse_reminder_days,
};
use crate::mail::{outbox, templates};
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::{AppState, Settings};
use crate::tokens;

/// Invitations expire 30 days after they are sent.
pub const INVITATION_DAYS: i32 = 30;

pub struct Invite<'a> {
    pub org_id: i64,
    pub org_name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub inviter_id: i64,
    pub inviter_name: &'a str,
    /// The language of the email when the invitee has no account yet (the inviter's);
    /// someone with an account gets it in the language they chose.
    pub locale: Locale,
}

/// Creates an invitation and queues its email in the caller's transaction, and records
/// the person's Welcome Sent. Returns its id; `None` (and nothing sent) if one is already
/// open. Callers must have checked the invite permission (or be the activation job).
pub async fn issue(
    db: &mut sqlx::PgConnection,
    settings: &Settings,
    invite: &Invite<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let token = tokens::generate();
    let invitation_id = roster::insert_invitation(
        &mut *db,
        invite.org_id,
        invite.email,
        &token.hash,
        invite.inviter_id,
        INVITATION_DAYS,
    )
    .await?;
    if let Some(invitation_id) = invitation_id {
        mail(db, settings, invite, invitation_id, &token.plain).await?;
    }
    Ok(invitation_id)
}

/// Sends the invitation `invitation_id` (not accepted or revoked) again, in the caller's
/// transaction: same id, a new link valid `INVITATION_DAYS`, `invite`'s inviter.
/// Its earlier links stop working and say it was sent again.
pub async fn renew(
    db: &mut sqlx::PgConnection,
    settings: &Settings,
    invite: &Invite<'_>,
    invitation_id: i64,
) -> Result<(), sqlx::Error> {
    let token = tokens::generate();
    roster::renew_invitation(
        &mut *db,
        invitation_id,
        &token.hash,
        invite.inviter_id,
        INVITATION_DAYS,
    )
    .await?;
    mail(db, settings, invite, invitation_id, &token.plain).await
}

/// Queues the invitation mail (in the invitee's language if they have an account) and
/// records Welcome Sent.
async fn mail(
    db: &mut sqlx::PgConnection,
    settings: &Settings,
    invite: &Invite<'_>,
    invitation_id: i64,
    token: &str,
) -> Result<(), sqlx::Error> {
    let locale = accounts::account_locale(&mut *db, invite.email)
        .await?
        .and_then(|code| Locale::from_code(&code))
        .unwrap_or(invite.locale);
    let mail = invitation_mail(
        settings,
        locale,
        invite.inviter_name,
        invite.org_name,
        invite.role,
        token,
    );
    outbox::enqueue_for(
        &mut *db,
        &settings.secret_key,
        invite.email,
        &mail,
        Some(invitation_id),
    )
    .await?;
    roster::mark_welcome_sent(&mut *db, invite.org_id, invite.email).await
}

/// The invitation email: a link to set a password and sign in (`token`), and one to the
/// Resource Center.
pub fn invitation_mail(
    settings: &Settings,
    locale: Locale,
    inviter: &str,
    org: &str,
    role: Role,
    token: &str,
) -> templates::Email {
    let accept = settings.link(&format!("/invitations/accept?token={token}"));
    let resources = settings.link(&format!("/resources?lang={}", locale.code()));
    templates::invitation(locale, inviter, org, role, &accept, &resources)
}

fn state_of(row: &InvitationRow) -> InvitationState {
    if row.accepted_at.is_some() {
        InvitationState::Accepted
    } else if row.replaced_at.is_some() {
        InvitationState::Replaced
    } else if row.revoked_at.is_some() {
        InvitationState::Revoked
    } else if row.expires_at <= chrono::Utc::now() {
        InvitationState::Expired
    } else {
        InvitationState::Open
    }
}

fn refusal(state: InvitationState) -> Option<AppError> {
    match state {
        InvitationState::Open => None,
        InvitationState::Accepted => Some(AppError::Gone("errors.invitation_used".into())),
        InvitationState::Revoked => Some(AppError::Gone("errors.invitation_revoked".into())),
        InvitationState::Replaced => Some(AppError::Gone("errors.invitation_replaced".into())),
        InvitationState::Expired => Some(AppError::Gone("errors.invitation_expired".into())),
    }
}

async fn find(state: &AppState, token: &str) -> Result<InvitationRow, AppError> {
    queries::find_by_token(&state.pool, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)
}

/// What the invitation page shows. Anyone holding the link may see it.
pub async fn view(state: &AppState, token: &str) -> Result<InvitationView, AppError> {
    let row = find(state, token).await?;
    let has_account = accounts::find_user_by_email(&state.pool, &row.email)
        .await?
        .is_some();
    Ok(InvitationView {
        state: state_of(&row),
        role: row.role,
        org_home: org_home(&row.region, &row.short_name),
        org_name: row.org_name,
        inviter: row.inviter,
        email: row.email,
        has_account,
    })
}

/// What other features use of invitations: the directory record an invitation is for,
/// a person's unended invitation, and the welcome mail's mark.
pub use super::queries::{OpenInvitation, lock_unended};

/// The bell's "Join": accepts the open invitation `id` for the signed-in account and
/// makes it a member; the role it joined with, or `None` when the invitation was no
/// longer open.
pub async fn accept_by_id(
    tx: &mut sqlx::PgConnection,
    id: i64,
    org_id: i64,
    email: &str,
    user_id: i64,
    name: &str,
) -> Result<Option<Role>, AppError> {
    let Some(role) = roster::mark_accepted(&mut *tx, id, None).await? else {
        return Ok(None);
    };
    join_as_invited(tx, org_id, email, user_id, name).await?;
    Ok(Some(role))
}

/// The account joins the organization as the person the accepted invitation was for:
/// a membership (the role stays on the person record) and the record linked to it.
async fn join_as_invited(
    tx: &mut sqlx::PgConnection,
    org_id: i64,
    email: &str,
    user_id: i64,
    name: &str,
) -> Result<(), AppError> {
    crate::access::insert_membership(&mut *tx, org_id, user_id).await?;
    roster::link_person(&mut *tx, org_id, email, user_id, name).await?;
    Ok(())
}

pub struct Accepted {
    /// A session, or the second-factor step for a person who has one.
    pub entry: accounts::Entry,
    pub home: String,
}

/// Joins the organization and opens a session. A new person chooses a name and password
/// (their address is proven by the link); someone with an account gives its password.
pub async fn accept(
    state: &AppState,
    locale: Locale,
    client: Option<std::net::IpAddr>,
    token: &str,
    name: &str,
    password_text: &str,
) -> Result<Accepted, AppError> {
    let row = find(state, token).await?;
    if let Some(err) = refusal(state_of(&row)) {
        return Err(err);
    }
    let existing = accounts::find_user_by_email(&state.pool, &row.email).await?;
    // Slow work (hashing) happens before the transaction.
    let new_account = match &existing {
        Some(user) => {
            if password_text.is_empty() {
                return Err(AppError::field("password", "errors.password_required"));
            }
            let ok = accounts::check_password(state, client, &user.email, password_text)
                .await?
                .is_some_and(|u| u.id == user.id);
            if !ok {
                return Err(AppError::field(
                    "password",
                    "errors.invitation_wrong_password",
                ));
            }
            None
        }
        None => {
            let name = PersonName::parse(name);
            let new_password = NewPassword::parse("password", password_text);
            let (Ok(name), Ok(_)) = (&name, &new_password) else {
                return Err(AppError::Validation(
                    [name.err(), new_password.err()]
                        .into_iter()
                        .flatten()
                        .collect(),
                ));
            };
            let hash = password::hash_password(state, password_text).await?;
            Some((name.as_str().to_owned(), hash.0))
        }
    };

    let mut tx = state.pool.begin().await?;
    queries::lock(&mut *tx, row.id).await?;
    let Some(_role) = roster::mark_accepted(&mut *tx, row.id, Some(&tokens::hash(token))).await?
    else {
        // Accepted, revoked or sent again while the password was being checked.
        let now = find(state, token).await.map(|r| state_of(&r));
        let err = now.ok().and_then(refusal);
        return Err(err.unwrap_or_else(|| AppError::Gone("errors.invitation_used".into())));
    };
    let user_id = match (existing, new_account) {
        (Some(user), _) => user.id,
        (None, Some((name, hash))) => {
            accounts::insert_user(&mut *tx, &row.email, &name, &hash, locale.code())
                .await?
                .ok_or_else(|| AppError::Conflict("errors.invitation_account_created".into()))?
        }
        (None, None) => return Err(AppError::internal("no account to join with")),
    };
    accounts::mark_email_verified(&mut *tx, user_id).await?;
    let name = accounts::find_user_by_id(&mut *tx, user_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    join_as_invited(&mut tx, row.org_id, &row.email, user_id, &name).await?;
    let home = org_home(&row.region, &row.short_name);
    let entry = accounts::enter(&mut tx, state, user_id, &home).await?;
    tx.commit().await?;
    Ok(Accepted { entry, home })
}

/// The organization's own daily invitation quota, else the server's.
pub fn daily_quota(state: &AppState, own: Option<i32>) -> i32 {
    own.unwrap_or(state.settings.invite_daily_quota)
}

/// How many invitations are left of today's quota.
pub async fn quota_left(
    db: impl sqlx::PgExecutor<'_>,
    state: &AppState,
    org_id: i64,
) -> Result<i64, AppError> {
    let (used, own) = queries::quota_state(db, org_id).await?;
    Ok(i64::from((daily_quota(state, own) - used).max(0)))
}

/// Takes `n` invitations from today's quota, or refuses with how many are left.
pub async fn take_quota(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    org_id: i64,
    n: i64,
) -> Result<(), AppError> {
    // Read in the transaction: waiting for a second connection while holding locks
    // others wait on would exhaust the pool under concurrent invitations.
    let (used, own) = queries::quota_state(&mut *tx, org_id).await?;
    let quota = daily_quota(state, own);
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    if !queries::take_quota(&mut *tx, org_id, n, quota).await? {
        return Err(AppError::Validation(vec![
            FieldError::new("form", "errors.invite_quota_exceeded")
                .with_arg("left", (quota - used).max(0))
                .with_arg("quota", quota)
                .with_arg("wanted", n),
        ]));
    }
    Ok(())
}

/// "Invitation reminders" as the settings page shows them, to those who may invite.
pub async fn reminder_settings(
    state: &AppState,
    member: &Member,
) -> Result<Option<ReminderSettings>, AppError> {
    if !member.can(crate::roles::Permission::Invite) {
        return Ok(None);
    }
    let days = queries::reminder_days(&state.pool, member.org_id)
        .await?
        .unwrap_or_else(|| DEFAULT_REMINDER_DAYS.to_vec());
    Ok(Some(ReminderSettings { days }))
}

/// Turns reminders on (on the days given) or off, for OWNERs and ADMINs; audited.
pub async fn save_reminders(
    state: &AppState,
    member: &Member,
    on: bool,
    days: &str,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let days = if on {
        parse_reminder_days(days).map_err(|e| AppError::Validation(vec![e]))?
    } else {
        Vec::new()
    };
    let settings = ReminderSettings { days };
    let mut tx = state.pool.begin().await?;
    queries::set_reminder_days(&mut *tx, &granted, &settings.days).await?;
    let detail = if settings.on() {
        settings.days_text()
    } else {
        "off".to_owned()
    };
    crate::audit::server::service::record(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        crate::audit::types::AuditAction::RemindersChanged,
        None,
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

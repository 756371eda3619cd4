//! The wizard's steps, from the region to "Activate Now".
//!
//! The activation link is the wizard's credential: whoever holds it may fill the
//! wizard in until the organization is active. Every step re-checks the link and the
//! saved progress on the server, inside a transaction that locks the subscription.

use super::queries::{self, SubscriptionRow};
use crate::access::Principal;
use crate::access::org_home;
use crate::activation::types::{
    CreatedOrg, InviteRow, JobStatus, JobStep, JobView, OwnerView, SessionMatch, ShortNamePreview,
    StepState, Wizard, WizardStep, first_free_short_name, parse_company_name,
};
use crate::auth::server::service as accounts;
use crate::auth::types::EmailAddress;
use crate::error::{AppError, FieldError};
use crate::regions::parse_region;
use crate::roles::Role;
use crate::state::AppState;
use crate::tokens;

/// People invited from the wizard; more can be invited later from the organization.
pub const MAX_WIZARD_INVITES: i64 = 50;

/// The subscription behind a link. Unknown links are 404; expired ones 410, unless the
/// organization already exists (then the page says "already activated").
pub(super) async fn open(
    db: impl sqlx::PgExecutor<'_>,
    token: &str,
) -> Result<SubscriptionRow, AppError> {
    Ok(open_read(db, token).await?.row)
}

/// `open`, with what hangs off the subscription (its invitations to be, organization, job).
pub(super) async fn open_read(
    db: impl sqlx::PgExecutor<'_>,
    token: &str,
) -> Result<queries::SubscriptionRead, AppError> {
    let read = queries::find_subscription(db, &tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let row = checked(read.row)?;
    Ok(queries::SubscriptionRead { row, ..read })
}

/// `open`, holding the subscription until the transaction ends, so two tabs submitting
/// at once are applied one after the other: the second sees what the first did.
pub(super) async fn open_locked(
    tx: &mut sqlx::PgConnection,
    token: &str,
) -> Result<SubscriptionRow, AppError> {
    let row = queries::lock_subscription(tx, &tokens::hash(token)).await?;
    checked(row.ok_or(AppError::NotFound)?)
}

pub(super) fn checked(row: SubscriptionRow) -> Result<SubscriptionRow, AppError> {
    if row.step < WizardStep::Activating && row.token_expires_at <= chrono::Utc::now() {
        return Err(AppError::Gone("errors.activation_link_expired".into()));
    }
    Ok(row)
}

/// Steps before "Activate Now" may be changed only while activation has not started,
/// and not while the browser is signed in as somebody else.
pub(super) fn guard_editable(
    row: &SubscriptionRow,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    if row.step >= WizardStep::Activating {
        return Err(AppError::Conflict("errors.activation_started".into()));
    }
    if let Some(user) = session
        && Some(user.id()) != row.owner_user_id
    {
        return Err(AppError::Conflict("errors.signed_in_elsewhere".into()));
    }
    // Once the owner account exists, the link alone no longer changes the wizard: only
    // the owner (signed in) or the browser that created the account (its wizard key).
    if has_owner(row) && session.is_none() {
        let key = crate::request::cookie(crate::cookies::Cookie::Wizard).map(|k| tokens::hash(&k));
        if key.is_none() || key != row.wizard_key_hash {
            return Err(AppError::Conflict("errors.wizard_owner_only".into()));
        }
    }
    Ok(())
}

/// The owner step is done: an account owns the wizard, or an existing account was named
/// and its holder has been asked to agree.
pub(super) fn has_owner(row: &SubscriptionRow) -> bool {
    row.owner_user_id.is_some() || row.owner_claim_user_id.is_some()
}

pub(super) fn advance(row: &SubscriptionRow, to: WizardStep) -> WizardStep {
    row.step.max(to)
}

/// The wizard as the server read it before rendering the page of `token` (the page cache
/// reads it to know whether its copy is still that page; the page is then rendered from
/// this very read, never from a later one).
#[derive(Clone)]
pub struct Preloaded {
    pub token: String,
    pub wizard: Wizard,
}

/// Everything the wizard's pages show. Anyone holding the link may read it.
pub async fn load(
    state: &AppState,
    token: &str,
    session: Option<&Principal>,
) -> Result<Wizard, AppError> {
    // One connection for the whole page (see `AppState::pool`). The subscription comes
    // with its invitations to be, organization and job in one statement; the owner and
    // the short name's preview are read only on the steps that have them.
    let mut conn = state.pool.acquire().await?;
    let db = &mut *conn;
    let queries::SubscriptionRead {
        row,
        invites,
        org,
        job,
    } = open_read(&mut *db, token).await?;
    let owner = owner_view(&mut *db, &row).await?;
    let invites = invites
        .into_iter()
        .map(|i| InviteRow {
            role: i.role,
            email: i.email,
        })
        .collect();
    let org = org.map(|o| CreatedOrg {
        home: org_home(&o.region, &o.short_name),
        name: o.name,
        short_name: o.short_name,
        region: o.region,
    });
    let short_name = match (&org, &row.region, &row.org_name) {
        (Some(org), _, _) => Some(ShortNamePreview {
            base: org.short_name.clone(),
            short_name: org.short_name.clone(),
            as_typed: true,
        }),
        (None, Some(region), Some(name)) => preview(&mut *db, region, name).await.ok(),
        _ => None,
    };
    let job = job.map(job_view);
    let session = match session {
        None => SessionMatch::None,
        Some(user) if Some(user.id()) == row.owner_user_id => SessionMatch::Owner,
        Some(user) => SessionMatch::Other {
            name: user.name().to_owned(),
            email: user.email().to_owned(),
        },
    };
    Ok(Wizard {
        step: row.step,
        company_name: row.org_name.clone().unwrap_or(row.company_name.clone()),
        contact_email: row.contact_email,
        plan: row.plan,
        trial: row.trial,
        products: row.products,
        region: row.region,
        owner,
        invites,
        short_name,
        job,
        org,
        session,
    })
}

/// The owner as the wizard shows it. A claimed account shows the name typed in the
/// wizard and is not confirmed yet, exactly like a new account with that address.
pub(super) async fn owner_view(
    db: impl sqlx::PgExecutor<'_>,
    row: &SubscriptionRow,
) -> Result<Option<OwnerView>, AppError> {
    let Some(id) = row.owner_user_id.or(row.owner_claim_user_id) else {
        return Ok(None);
    };
    let Some(user) = accounts::find_user_by_id(db, id).await? else {
        return Ok(None);
    };
    Ok(Some(match &row.owner_claim_name {
        Some(name) if row.owner_user_id.is_none() => OwnerView {
            name: name.clone(),
            email: user.email,
            verified: false,
        },
        _ => OwnerView {
            name: user.name,
            email: user.email,
            verified: user.email_verified_at.is_some(),
        },
    }))
}

pub(super) async fn preview(
    db: impl sqlx::PgExecutor<'_>,
    region: &str,
    company: &str,
) -> Result<ShortNamePreview, AppError> {
    let (_, base) = parse_company_name(company).map_err(|e| AppError::Validation(vec![e]))?;
    let taken = queries::taken_short_names(db, region, &base).await?;
    let short_name = first_free_short_name(&base, taken.iter().map(String::as_str));
    Ok(ShortNamePreview {
        as_typed: short_name == base,
        short_name,
        base,
    })
}

/// The short name a company name would get right now, for the live hint.
pub async fn preview_short_name(
    state: &AppState,
    token: &str,
    company: &str,
) -> Result<ShortNamePreview, AppError> {
    let row = open(&state.pool, token).await?;
    let region = row
        .region
        .ok_or_else(|| AppError::field("region", "errors.region_required"))?;
    preview(&state.pool, &region, company).await
}

pub async fn choose_region(
    state: &AppState,
    token: &str,
    region: &str,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    let region = parse_region(region).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = state.pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    guard_editable(&row, session)?;
    queries::save_region(
        &mut *tx,
        row.id,
        region.code,
        advance(&row, WizardStep::Account),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn editable_after_account(
    tx: &mut sqlx::PgConnection,
    token: &str,
    session: Option<&Principal>,
) -> Result<SubscriptionRow, AppError> {
    let row = open_locked(&mut *tx, token).await?;
    guard_editable(&row, session)?;
    if !has_owner(&row) || row.region.is_none() {
        return Err(AppError::Conflict("errors.activation_step_missing".into()));
    }
    Ok(row)
}

pub async fn add_invite(
    state: &AppState,
    token: &str,
    email: &str,
    role: &str,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    let email = EmailAddress::parse(email);
    let role = Role::parse("role", role);
    let (email, role) = match (email, role) {
        (Ok(e), Ok(r)) => (e, r),
        (e, r) => {
            return Err(AppError::Validation(
                [e.err(), r.err()].into_iter().flatten().collect(),
            ));
        }
    };
    let mut tx = state.pool.begin().await?;
    let row = editable_after_account(&mut tx, token, session).await?;
    // The owner's account, or the existing account named as owner and asked to agree.
    let owner_id = row.owner_user_id.or(row.owner_claim_user_id);
    let owner = accounts::find_user_by_id(&mut *tx, owner_id.unwrap_or_default())
        .await?
        .ok_or(AppError::NotFound)?;
    if owner.email == email.as_str() {
        return Err(AppError::field("email", "errors.invite_self"));
    }
    let invited = queries::count_invites(&mut *tx, row.id).await?;
    // The owner takes one of the plan's seats; each invitation takes another.
    let free_seats = i64::from(row.seats) - 1;
    if invited >= free_seats {
        return Err(AppError::Validation(vec![
            FieldError::new("email", "errors.invite_seats")
                .with_arg("seats", row.seats)
                .with_arg("max", free_seats.max(0)),
        ]));
    }
    if invited >= MAX_WIZARD_INVITES {
        return Err(AppError::Validation(vec![
            FieldError::new("email", "errors.invite_limit").with_arg("max", MAX_WIZARD_INVITES),
        ]));
    }
    queries::upsert_invite(&mut *tx, row.id, email.as_str(), role.code()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_invite(
    state: &AppState,
    token: &str,
    email: &str,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = editable_after_account(&mut tx, token, session).await?;
    queries::delete_invite(&mut *tx, row.id, email.trim()).await?;
    tx.commit().await?;
    Ok(())
}

/// "Next" (or "Skip") on the invitation step.
pub async fn finish_invites(
    state: &AppState,
    token: &str,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = editable_after_account(&mut tx, token, session).await?;
    queries::save_step(&mut *tx, row.id, advance(&row, WizardStep::Review)).await?;
    tx.commit().await?;
    Ok(())
}

/// "Activate Now": starts the job once. A second click, or another tab, changes nothing.
pub async fn activate_now(
    state: &AppState,
    token: &str,
    session: Option<&Principal>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    if row.step >= WizardStep::Activating {
        return Ok(());
    }
    guard_editable(&row, session)?;
    if !has_owner(&row) || row.region.is_none() || row.org_name.is_none() {
        return Err(AppError::Conflict("errors.activation_step_missing".into()));
    }
    // The owner's address must be proven: by the activation link (the contact's), by
    // the account's own confirmation, or by its holder agreeing to a claim.
    if !owner_view(&mut *tx, &row)
        .await?
        .is_some_and(|o| o.verified)
    {
        return Err(AppError::Conflict("errors.owner_unconfirmed".into()));
    }
    // The job's existence is what makes the subscription "activating".
    queries::insert_job(&mut *tx, row.id).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// "Try again" after the job gave up.
pub async fn retry(state: &AppState, token: &str) -> Result<(), AppError> {
    let row = open(&state.pool, token).await?;
    queries::restart_job(&state.pool, row.id).await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// Just the job's progress (polled about once a second by the progress page).
pub async fn progress(state: &AppState, token: &str) -> Result<Option<JobView>, AppError> {
    Ok(open_read(&state.pool, token).await?.job.map(job_view))
}

fn job_view(job: queries::JobRow) -> JobView {
    let status = job.status;
    let mut current_seen = false;
    let steps = JobStep::ALL
        .into_iter()
        .map(|step| {
            let state = if job.done_steps.iter().any(|d| d == step.code()) {
                StepState::Done
            } else if current_seen {
                StepState::Waiting
            } else {
                current_seen = true;
                match status {
                    JobStatus::Failed => StepState::Failed,
                    _ if job.attempts > 0 => StepState::Retrying,
                    _ => StepState::Running,
                }
            };
            (step, state)
        })
        .collect();
    JobView {
        status,
        steps,
        organization_id: job.organization_public_id,
        attempts: job.attempts,
    }
}

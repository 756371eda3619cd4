//! The activation job: creates the organization, activates its features, sets up
//! billing, sends the invitations and the welcome emails.
//!
//! Each step runs in a savepoint inside the transaction that holds the job's row lock,
//! and is recorded as done in that same transaction: a step either happened once, with
//! its emails queued, or not at all. A failing step is retried with exponential backoff
//! and, after `max_attempts`, the job stops as `failed` (the page shows it).

use std::time::Duration;

use sqlx::Connection;

use super::queries::{self, DueJob, NewOrg};
use super::service::TRIAL_DAYS;
use crate::access::org_home;
use crate::activation::types::{JobStep, first_free_short_name, parse_company_name};
use crate::auth::server::service as accounts;
use crate::i18n::Locale;
use crate::invitations::server::service::{Invite, issue};
use crate::mail::{outbox, templates};
use crate::roles::Role;
use crate::roster::server::service as roster;
use crate::state::AppState;

/// How often an idle worker looks for due jobs (it is also woken by "Activate Now").
const POLL: Duration = Duration::from_millis(500);

/// Runs forever: takes due jobs one at a time.
pub async fn worker(state: AppState) {
    let wakeup = state.jobs_wakeup.clone();
    crate::worker::run_forever("activation", &wakeup, POLL, || run_once(&state)).await;
}

/// Advances one due job by one step. `Ok(false)` when nothing was due.
pub async fn run_once(state: &AppState) -> Result<bool, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let Some(job) = queries::claim_due_job(&mut *tx).await? else {
        return Ok(false);
    };
    let Some(step) = JobStep::ALL
        .into_iter()
        .find(|s| !job.done_steps.iter().any(|d| d == s.code()))
    else {
        let age = queries::mark_step_done(&mut *tx, job.id, "", true).await?;
        tx.commit().await?;
        record_done(age);
        return Ok(true);
    };
    let mut savepoint = (*tx).begin().await?;
    let result = run_step(state, &mut savepoint, &job, step).await;
    match result {
        Ok(()) => {
            savepoint.commit().await?;
            let last = step == JobStep::SendWelcome;
            let age = queries::mark_step_done(&mut *tx, job.id, step.code(), last).await?;
            outbox::commit_and_send(tx, state).await?;
            if last {
                record_done(age);
            }
            tracing::info!(job = job.id, step = step.code(), "activation step done");
        }
        Err(err) => {
            savepoint.rollback().await?;
            let settings = &state.settings;
            let give_up = job.attempts + 1 >= settings.activation_max_attempts;
            let delay = settings
                .activation_retry_base_ms
                .saturating_mul(1 << job.attempts.clamp(0, 16));
            tracing::warn!(job = job.id, step = step.code(), attempt = job.attempts + 1, give_up, %err,
                "activation step failed");
            queries::mark_attempt_failed(&mut *tx, job.id, &err, delay as i64, give_up).await?;
            tx.commit().await?;
        }
    }
    // Another step may be due at once.
    state.jobs_wakeup.notify_one();
    Ok(true)
}

/// Activation lag: from "Activate Now" to an organization that is ready.
fn record_done(age_seconds: f64) {
    metrics::histogram!("muster_activation_seconds").record(age_seconds);
}

async fn run_step(
    state: &AppState,
    db: &mut sqlx::PgConnection,
    job: &DueJob,
    step: JobStep,
) -> Result<(), String> {
    if let Some((failing, left)) = &state.settings.activation_fault
        && failing == step.code()
        && left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) > 0
    {
        return Err(format!("injected failure at attempt {}", job.attempts + 1));
    }
    step_body(state, db, job, step)
        .await
        .map_err(|e| e.to_string())
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("the subscription is missing {0}")]
    Missing(&'static str),
}

async fn step_body(
    state: &AppState,
    db: &mut sqlx::PgConnection,
    job: &DueJob,
    step: JobStep,
) -> Result<(), StepError> {
    let owner_id = job.owner_user_id.ok_or(StepError::Missing("its owner"))?;
    if step == JobStep::CreateOrganization {
        let region = job
            .region
            .as_deref()
            .ok_or(StepError::Missing("a region"))?;
        let company = job
            .org_name
            .as_deref()
            .ok_or(StepError::Missing("a company name"))?;
        let (name, base) =
            parse_company_name(company).map_err(|_| StepError::Missing("a valid company name"))?;
        // One activation at a time per region and base name picks a number; the unique
        // constraint (region, short_name) still guards against every other collision.
        queries::lock_short_name(&mut *db, region, &base).await?;
        let taken = queries::taken_short_names(&mut *db, region, &base).await?;
        let short_name = first_free_short_name(&base, taken.iter().map(String::as_str));
        let org = NewOrg {
            public_id: &job.organization_public_id,
            subscription_id: job.subscription_id,
            name: &name,
            short_name: &short_name,
            region,
            plan: &job.plan,
            trial: job.trial,
            seats: job.seats,
        };
        queries::insert_org(&mut *db, &org).await?;
        let org_id = org_id(db, job).await?;
        let owner = accounts::find_user_by_id(&mut *db, owner_id)
            .await?
            .ok_or(StepError::Missing("its owner"))?;
        // The person record holds the role; the membership says they joined.
        roster::insert_person(
            &mut *db,
            org_id,
            &owner.name,
            &owner.email,
            Role::Owner.code(),
            Some(owner_id),
            None,
        )
        .await?;
        crate::access::insert_membership(&mut *db, org_id, owner_id).await?;
        return Ok(());
    }

    let org_id = org_id(db, job).await?;
    match step {
        JobStep::CreateOrganization => unreachable!("handled above"),
        JobStep::ActivateFeatures => {
            queries::insert_features(&mut *db, org_id, &job.products).await?;
        }
        JobStep::CustomizeBilling => {
            queries::insert_billing(&mut *db, org_id, job.trial, TRIAL_DAYS).await?;
        }
        JobStep::SendInvitations => {
            let (owner, org) = owner_and_org(db, job, owner_id).await?;
            let locale = Locale::from_code(&owner.locale).unwrap_or_default();
            for invite in queries::list_invites(&mut *db, job.subscription_id).await? {
                let role = invite.role;
                let name = invite.email.split('@').next().unwrap_or_default();
                roster::insert_person(
                    &mut *db,
                    org_id,
                    name,
                    &invite.email,
                    role.code(),
                    None,
                    Some(owner_id),
                )
                .await?;
                let invite = Invite {
                    org_id,
                    org_name: &org.name,
                    email: &invite.email,
                    role,
                    inviter_id: owner_id,
                    inviter_name: &owner.name,
                    locale,
                };
                issue(&mut *db, &state.settings, &invite).await?;
            }
        }
        JobStep::SendWelcome => {
            let (owner, org) = owner_and_org(db, job, owner_id).await?;
            queries::mark_org_active(&mut *db, org_id).await?;
            let locale = Locale::from_code(&owner.locale).unwrap_or_default();
            let home = org_home(&org.region, &org.short_name);
            let settings = &state.settings;
            let thanks =
                templates::thank_you(locale, &owner.name, &org.name, &settings.link(&home));
            outbox::enqueue(&mut *db, &settings.secret_key, &owner.email, &thanks).await?;
            let welcome = templates::welcome(
                locale,
                &owner.name,
                &org.name,
                &org.short_name,
                &templates::WelcomeLinks {
                    sign_in: settings.link("/signin"),
                    apps: settings.link("/apps"),
                    invite: settings.link(&format!("{home}#invite")),
                },
            );
            outbox::enqueue(&mut *db, &settings.secret_key, &owner.email, &welcome).await?;
            roster::mark_welcome_sent(&mut *db, org_id, &owner.email).await?;
        }
    }
    Ok(())
}

async fn owner_and_org(
    db: &mut sqlx::PgConnection,
    job: &DueJob,
    owner_id: i64,
) -> Result<(accounts::UserRow, queries::CreatedOrgRow), StepError> {
    let owner = accounts::find_user_by_id(&mut *db, owner_id)
        .await?
        .ok_or(StepError::Missing("its owner"))?;
    let org = queries::org_of_subscription(&mut *db, job.subscription_id)
        .await?
        .ok_or(StepError::Missing("its organization"))?;
    Ok((owner, org))
}

async fn org_id(db: &mut sqlx::PgConnection, job: &DueJob) -> Result<i64, StepError> {
    queries::org_id_of_subscription(&mut *db, job.subscription_id)
        .await?
        .ok_or(StepError::Missing("its organization"))
}

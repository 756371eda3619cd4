//! Activation rules: subscriptions, the wizard's steps, and starting the job.
//!
//! The activation link is the wizard's credential: whoever holds it may fill the
//! wizard in until the organization is active. Every step re-checks the link and the
//! saved progress on the server, inside a transaction that locks the subscription.

use super::queries::{self, NewSubscription, SubscriptionRow};
use crate::activation::types::wizard_path;
use crate::activation::types::{
    CreatedOrg, InviteRow, JobStatus, JobStep, JobView, OwnerClaimView, OwnerView,
    PREMIUM_PRODUCTS, PRODUCTS, SessionMatch, ShortNamePreview, StepState, Wizard, WizardStep,
    first_free_short_name, parse_company_name, parse_region,
};
use crate::auth::server::{password, service as accounts, tokens};
use crate::auth::types::{EmailAddress, NewPassword, PersonName, Principal};
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::orgs::types::org_home;
use crate::roles::Role;
use crate::state::AppState;
use crate::state::SecretKey;

/// An activation link works for 30 days (until the organization is active).
pub const ACTIVATION_LINK_DAYS: i32 = 30;
pub const TRIAL_DAYS: i32 = 30;
/// People invited from the wizard; more can be invited later from the organization.
pub const MAX_WIZARD_INVITES: i64 = 50;

/// What an operator sold.
#[derive(Debug, Clone)]
pub struct SubscriptionSpec {
    pub company_name: String,
    pub contact_email: String,
    pub locale: Locale,
    pub plan: String,
    pub products: Vec<String>,
    pub trial: bool,
    pub seats: i32,
    pub is_demo: bool,
}

fn validate_spec(spec: &SubscriptionSpec) -> Result<(String, Vec<String>), AppError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&spec.contact_email).map_err(|e| errors.push(e));
    if let Err(e) = parse_company_name(&spec.company_name) {
        errors.push(e);
    }
    if !matches!(spec.plan.as_str(), "free" | "premium") {
        errors.push(FieldError::new("plan", "errors.plan_unknown"));
    }
    let mut products: Vec<String> = Vec::new();
    for p in &spec.products {
        let p = p.trim().to_lowercase();
        if !PRODUCTS.contains(&p.as_str()) {
            errors.push(
                FieldError::new("products", "errors.product_unknown").with_arg("product", &p),
            );
        } else if spec.plan == "free" && PREMIUM_PRODUCTS.contains(&p.as_str()) {
            errors.push(
                FieldError::new("products", "errors.product_premium").with_arg("product", &p),
            );
        } else if !products.contains(&p) {
            products.push(p);
        }
    }
    if products.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("products", "errors.products_required"));
    }
    if spec.seats < 1 {
        errors.push(FieldError::new("seats", "errors.seats_positive"));
    }
    match (email, errors.is_empty()) {
        (Ok(email), true) => Ok((email.into_inner(), products)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Creates a pending subscription and queues "Activate Your Features" to its contact.
/// Operators only (the `server subscription create` command). Returns the link.
pub async fn create_subscription(
    pool: &sqlx::PgPool,
    key: &SecretKey,
    base_url: &str,
    spec: &SubscriptionSpec,
) -> Result<String, AppError> {
    let (email, products) = validate_spec(spec)?;
    let token = tokens::generate();
    let mut tx = pool.begin().await?;
    queries::insert_subscription(
        &mut *tx,
        &NewSubscription {
            company_name: spec.company_name.trim(),
            contact_email: &email,
            contact_locale: spec.locale.code(),
            plan: &spec.plan,
            products: &products,
            trial: spec.trial,
            seats: spec.seats,
            is_demo: spec.is_demo,
        },
        &token.hash,
        ACTIVATION_LINK_DAYS,
    )
    .await?;
    let link = format!("{base_url}/activate/{}", token.plain);
    let mail = templates::activate_features(spec.locale, spec.company_name.trim(), &link);
    outbox::enqueue(&mut *tx, key, &email, &mail).await?;
    tx.commit().await?;
    Ok(link)
}

pub enum Demo {
    /// A link to the demo wizard (new, or renewed because the old one was only printed).
    Link(String),
    AlreadyActive,
}

/// Development mode: one demo subscription, so a newcomer can try the wizard at once.
/// While it is not yet activated, each start prints a fresh link to it.
pub async fn ensure_demo(
    pool: &sqlx::PgPool,
    key: &SecretKey,
    base_url: &str,
) -> Result<Demo, AppError> {
    match queries::find_demo(pool).await? {
        None => {
            let spec = SubscriptionSpec {
                company_name: "Demo Company".into(),
                contact_email: "owner@demo.muster.localhost".into(),
                locale: Locale::En,
                plan: "premium".into(),
                products: PRODUCTS.iter().map(|p| p.to_string()).collect(),
                trial: true,
                seats: 25,
                is_demo: true,
            };
            Ok(Demo::Link(
                create_subscription(pool, key, base_url, &spec).await?,
            ))
        }
        Some((_, step)) if step >= WizardStep::Activating => Ok(Demo::AlreadyActive),
        Some((id, _)) => {
            let token = tokens::generate();
            queries::replace_token(pool, id, &token.hash, ACTIVATION_LINK_DAYS).await?;
            Ok(Demo::Link(format!("{base_url}/activate/{}", token.plain)))
        }
    }
}

/// The subscription behind a link. Unknown links are 404; expired ones 410, unless the
/// organization already exists (then the page says "already activated").
async fn open(db: impl sqlx::PgExecutor<'_>, token: &str) -> Result<SubscriptionRow, AppError> {
    Ok(open_read(db, token).await?.row)
}

/// `open`, with what hangs off the subscription (its invitations to be, organization, job).
async fn open_read(
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
async fn open_locked(
    tx: &mut sqlx::PgConnection,
    token: &str,
) -> Result<SubscriptionRow, AppError> {
    let row = queries::lock_subscription(tx, &tokens::hash(token)).await?;
    checked(row.ok_or(AppError::NotFound)?)
}

fn checked(row: SubscriptionRow) -> Result<SubscriptionRow, AppError> {
    if row.step < WizardStep::Activating && row.token_expires_at <= chrono::Utc::now() {
        return Err(AppError::Gone("errors.activation_link_expired".into()));
    }
    Ok(row)
}

/// Steps before "Activate Now" may be changed only while activation has not started,
/// and not while the browser is signed in as somebody else.
fn guard_editable(row: &SubscriptionRow, session: Option<&Principal>) -> Result<(), AppError> {
    if row.step >= WizardStep::Activating {
        return Err(AppError::Conflict("errors.activation_started".into()));
    }
    if let Some(user) = session
        && Some(user.id) != row.owner_user_id
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
fn has_owner(row: &SubscriptionRow) -> bool {
    row.owner_user_id.is_some() || row.owner_claim_user_id.is_some()
}

fn advance(row: &SubscriptionRow, to: WizardStep) -> WizardStep {
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
        Some(user) if Some(user.id) == row.owner_user_id => SessionMatch::Owner,
        Some(user) => SessionMatch::Other {
            name: user.name.clone(),
            email: user.email.clone(),
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
async fn owner_view(
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

async fn preview(
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

/// "Basic information": creates the account that will own the organization, and saves
/// the company name.
///
/// The answer never says whether the address has an account. The contact's address
/// (the activation link was mailed there, which proves it) owns the organization with
/// its account if it has one; the password typed then changes nothing. Any other
/// address that has an account is asked by mail to agree, and the wizard goes on just as
/// for a new account with that address, which must be confirmed from its mail too:
/// "Activate Now" waits for either.
pub async fn save_account(
    state: &AppState,
    locale: Locale,
    token: &str,
    form: AccountForm<'_>,
    session: Option<&Principal>,
) -> Result<Option<String>, AppError> {
    let pool = &state.pool;
    let row = open(pool, token).await?;
    guard_editable(&row, session)?;
    if row.region.is_none() {
        return Err(AppError::field("region", "errors.region_required"));
    }
    let company = parse_company_name(form.company_name);

    // The owner is known already: only the company name can change here.
    if has_owner(&row) {
        let (company, _) = company.map_err(|e| AppError::Validation(vec![e]))?;
        let mut tx = pool.begin().await?;
        let row = open_locked(&mut tx, token).await?;
        guard_editable(&row, session)?;
        queries::save_org_name(
            &mut *tx,
            row.id,
            &company,
            advance(&row, WizardStep::Invite),
        )
        .await?;
        tx.commit().await?;
        return Ok(None);
    }

    let name = PersonName::parse(form.name);
    let email = EmailAddress::parse(form.email);
    let password = NewPassword::parse("password", form.password).map(|_| ());
    let (Ok(name), Ok(email), Ok(()), Ok((company, _))) = (&name, &email, &password, &company)
    else {
        return Err(AppError::Validation(
            [name.err(), email.err(), password.err(), company.err()]
                .into_iter()
                .flatten()
                .collect(),
        ));
    };

    // Hashing happens before the transaction: no connection waits on it. Every address
    // costs one hash and no password is checked here, so neither the answer, its timing
    // nor a limit tells whether the address has an account (and nothing here can be used
    // to guess a password).
    let existing = accounts::find_user_by_email(pool, email.as_str()).await?;
    let new_hash = password::hash_password(state, form.password).await?;
    let contact = email.as_str() == row.contact_email;
    let owner = match existing {
        None => Owner::New(new_hash),
        Some(user) if contact => Owner::Account(user.id),
        Some(user) => Owner::Claim(user),
    };

    let mut tx = pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    guard_editable(&row, session)?;
    if has_owner(&row) {
        // Another tab finished this step first; keep what it saved.
        return Err(AppError::Conflict("errors.account_already_created".into()));
    }
    let wizard_key = tokens::generate();
    let step = advance(&row, WizardStep::Invite);
    let owner_id = match owner {
        Owner::Account(id) => id,
        Owner::New(hash) => {
            let Some(id) = accounts::insert_user(
                &mut *tx,
                email.as_str(),
                name.as_str(),
                &hash.0,
                locale.code(),
            )
            .await?
            else {
                // Created meanwhile (a sign-up racing this step): the same answer as any
                // conflict between tabs, which says nothing about the address.
                return Err(AppError::Conflict("errors.account_already_created".into()));
            };
            if contact {
                // The activation link was mailed to this address: that proves it.
                accounts::mark_email_verified(&mut *tx, id).await?;
            } else {
                accounts::queue_verification(
                    &mut tx,
                    state,
                    locale,
                    id,
                    name.as_str(),
                    email.as_str(),
                )
                .await?;
            }
            id
        }
        Owner::Claim(user) => {
            let claim = tokens::generate();
            let named = queries::OwnerClaim {
                user_id: user.id,
                name: name.as_str(),
                key_hash: &claim.hash,
            };
            queries::save_owner_claim(&mut *tx, row.id, &named, company, step, &wizard_key.hash)
                .await?;
            let link = state.settings.link(&format!(
                "{}?key={}",
                wizard_path(token, OWNER_PAGE),
                claim.plain
            ));
            let mail = templates::owner_claim(
                Locale::from_code(&user.locale).unwrap_or_default(),
                &user.name,
                name.as_str(),
                company,
                &link,
            );
            outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
            outbox::commit_and_send(tx, state).await?;
            return Ok(Some(wizard_key.plain));
        }
    };
    queries::save_account(&mut *tx, row.id, owner_id, company, step, &wizard_key.hash).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(Some(wizard_key.plain))
}

/// Who will own the organization, as decided by the account step.
enum Owner {
    /// No account has the address: one is created.
    New(password::PasswordHashString),
    /// The contact's own account.
    Account(i64),
    /// Another address's account: its holder is asked to agree.
    Claim(accounts::UserRow),
}

/// The wizard page the owner-claim mail links to.
pub const OWNER_PAGE: &str = "owner";

/// The holder of an account named as owner agrees, from the mailed link. The link is
/// single use: it is cleared with the claim.
pub async fn accept_owner_claim(state: &AppState, token: &str, key: &str) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = open_locked(&mut tx, token).await?;
    claim_of(&row, key)?;
    queries::accept_owner_claim(&mut *tx, row.id).await?;
    tx.commit().await?;
    Ok(())
}

/// What the owner-claim page shows before its holder agrees.
pub async fn owner_claim(
    state: &AppState,
    token: &str,
    key: &str,
) -> Result<OwnerClaimView, AppError> {
    let row = open(&state.pool, token).await?;
    let (user_id, claimant) = claim_of(&row, key)?;
    let user = accounts::find_user_by_id(&state.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let invites = queries::list_invites(&state.pool, row.id).await?;
    Ok(OwnerClaimView {
        company: row.org_name.clone().unwrap_or(row.company_name.clone()),
        claimant: claimant.to_owned(),
        email: user.email,
        invites: invites
            .into_iter()
            .map(|i| crate::activation::types::InviteRow {
                email: i.email,
                role: i.role,
            })
            .collect(),
    })
}

/// The pending claim `key` opens: the claimed account and the name typed in the wizard.
/// 410 when there is none, or `key` is not (or no longer) its link.
fn claim_of<'a>(row: &'a SubscriptionRow, key: &str) -> Result<(i64, &'a str), AppError> {
    let matches = row
        .owner_claim_hash
        .as_deref()
        .is_some_and(|h| h == tokens::hash(key).as_slice());
    match (
        row.owner_claim_user_id,
        row.owner_claim_name.as_deref(),
        matches,
    ) {
        (Some(user_id), Some(claimant), true) => Ok((user_id, claimant)),
        _ => Err(AppError::Gone("errors.owner_claim_unknown".into())),
    }
}

pub struct AccountForm<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub company_name: &'a str,
}

async fn editable_after_account(
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

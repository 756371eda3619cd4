//! Every SQL statement about subscriptions, the wizard and the activation job.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::activation::types::{JobStatus, WizardStep};
use crate::roles::Role;

pub struct NewSubscription<'a> {
    pub company_name: &'a str,
    pub contact_email: &'a str,
    pub contact_locale: &'a str,
    pub plan: &'a str,
    pub products: &'a [String],
    pub trial: bool,
    pub seats: i32,
    pub is_demo: bool,
}

pub async fn insert_subscription(
    db: impl PgExecutor<'_>,
    s: &NewSubscription<'_>,
    token_hash: &[u8],
    valid_days: i32,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO subscriptions
             (company_name, contact_email, contact_locale, plan, products, trial, seats, is_demo,
              token_hash, token_expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(days => $10))
           RETURNING id"#,
        s.company_name,
        s.contact_email,
        s.contact_locale,
        s.plan,
        s.products,
        s.trial,
        s.seats,
        s.is_demo,
        token_hash,
        valid_days
    )
    .fetch_one(db)
    .await
}

pub struct SubscriptionRow {
    pub id: i64,
    pub company_name: String,
    pub contact_email: String,
    pub plan: String,
    pub products: Vec<String>,
    pub trial: bool,
    pub seats: i32,
    pub token_expires_at: DateTime<Utc>,
    /// Where it is: its wizard step, or activating/active (derived from the job).
    pub step: WizardStep,
    pub region: Option<String>,
    pub owner_user_id: Option<i64>,
    pub org_name: Option<String>,
    /// SHA-256 of the wizard key cookie of the browser that created the owner account.
    pub wizard_key_hash: Option<Vec<u8>>,
    /// An existing account named as owner without its password, waiting for its holder
    /// to agree (by the mailed link whose SHA-256 is `owner_claim_hash`).
    pub owner_claim_user_id: Option<i64>,
    pub owner_claim_name: Option<String>,
    pub owner_claim_hash: Option<Vec<u8>>,
}

/// A subscription with what hangs off it: its invitations to be, the organization once
/// created and the activation job once started.
pub struct SubscriptionRead {
    pub row: SubscriptionRow,
    pub invites: Vec<InviteRow>,
    pub org: Option<CreatedOrgRow>,
    pub job: Option<JobRow>,
}

/// The subscription behind a link, read with what hangs off it in one statement, not
/// four (an organization and a job are unique per subscription).
pub async fn find_subscription(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<SubscriptionRead>, sqlx::Error> {
    let found = sqlx::query!(
        r#"SELECT s.id, s.company_name, s.contact_email, s.plan, s.products, s.trial, s.seats,
                  s.token_expires_at, subscription_stage(s) AS "step!: WizardStep", s.region,
                  s.owner_user_id, s.org_name, s.wizard_key_hash,
                  s.owner_claim_user_id, s.owner_claim_name, s.owner_claim_hash,
                  a.emails AS "invite_emails!", a.roles AS "invite_roles!: Vec<Role>",
                  o.name AS "org_name_created?", o.short_name AS "org_short_name?",
                  o.region AS "org_region?",
                  j.organization_public_id AS "job_org_public_id?",
                  j.status AS "job_status?: JobStatus", j.done_steps AS "job_done_steps?",
                  j.attempts AS "job_attempts?"
           FROM subscriptions s
           CROSS JOIN LATERAL (
               SELECT COALESCE(array_agg(i.email ORDER BY i.created_at, i.email), '{}') AS emails,
                      COALESCE(array_agg(i.role ORDER BY i.created_at, i.email), '{}') AS roles
               FROM activation_invites i WHERE i.subscription_id = s.id
           ) a
           LEFT JOIN organizations o ON o.subscription_id = s.id
           LEFT JOIN activation_jobs j ON j.subscription_id = s.id
           WHERE s.token_hash = $1"#,
        token_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(found.map(|r| SubscriptionRead {
        invites: r
            .invite_emails
            .into_iter()
            .zip(r.invite_roles)
            .map(|(email, role)| InviteRow { email, role })
            .collect(),
        org: match (r.org_name_created, r.org_short_name, r.org_region) {
            (Some(name), Some(short_name), Some(region)) => Some(CreatedOrgRow {
                name,
                short_name,
                region,
            }),
            _ => None,
        },
        job: match (
            r.job_org_public_id,
            r.job_status,
            r.job_done_steps,
            r.job_attempts,
        ) {
            (Some(organization_public_id), Some(status), Some(done_steps), Some(attempts)) => {
                Some(JobRow {
                    organization_public_id,
                    status,
                    done_steps,
                    attempts,
                })
            }
            _ => None,
        },
        row: SubscriptionRow {
            id: r.id,
            company_name: r.company_name,
            contact_email: r.contact_email,
            plan: r.plan,
            products: r.products,
            trial: r.trial,
            seats: r.seats,
            token_expires_at: r.token_expires_at,
            step: r.step,
            region: r.region,
            owner_user_id: r.owner_user_id,
            org_name: r.org_name,
            wizard_key_hash: r.wizard_key_hash,
            owner_claim_user_id: r.owner_claim_user_id,
            owner_claim_name: r.owner_claim_name,
            owner_claim_hash: r.owner_claim_hash,
        },
    }))
}

/// Same as `find_subscription`, and holds the row until the transaction ends, so two
/// tabs submitting at once are applied one after the other. The row is read after the
/// lock is taken, by a second statement: its stage (derived from the activation job)
/// then includes what the transaction that held the lock did.
pub async fn lock_subscription(
    db: &mut sqlx::PgConnection,
    token_hash: &[u8],
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    let locked = sqlx::query_scalar!(
        "SELECT id FROM subscriptions WHERE token_hash = $1 FOR UPDATE",
        token_hash
    )
    .fetch_optional(&mut *db)
    .await?;
    match locked {
        Some(_) => Ok(find_subscription(db, token_hash)
            .await?
            .map(|read| read.row)),
        None => Ok(None),
    }
}

pub async fn save_region(
    db: impl PgExecutor<'_>,
    id: i64,
    region: &str,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET region = $2, step = $3 WHERE id = $1",
        id,
        region,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_account(
    db: impl PgExecutor<'_>,
    id: i64,
    owner_user_id: i64,
    org_name: &str,
    step: WizardStep,
    wizard_key_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_user_id = $2, org_name = $3, step = $4, wizard_key_hash = $5
           WHERE id = $1"#,
        id,
        owner_user_id,
        org_name,
        step.code(),
        wizard_key_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_org_name(
    db: impl PgExecutor<'_>,
    id: i64,
    org_name: &str,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET org_name = $2, step = $3 WHERE id = $1",
        id,
        org_name,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An existing account named as the wizard's owner, until its holder agrees.
pub struct OwnerClaim<'a> {
    pub user_id: i64,
    /// The name typed in the wizard.
    pub name: &'a str,
    /// SHA-256 of the mailed link's key.
    pub key_hash: &'a [u8],
}

pub async fn save_owner_claim(
    db: impl PgExecutor<'_>,
    id: i64,
    claim: &OwnerClaim<'_>,
    org_name: &str,
    step: WizardStep,
    wizard_key_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_claim_user_id = $2, owner_claim_name = $3, owner_claim_hash = $4,
               org_name = $5, step = $6, wizard_key_hash = $7
           WHERE id = $1"#,
        id,
        claim.user_id,
        claim.name,
        claim.key_hash,
        org_name,
        step.code(),
        wizard_key_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The claimed account's holder agreed: it becomes the owner.
pub async fn accept_owner_claim(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_user_id = owner_claim_user_id, owner_claim_user_id = NULL,
               owner_claim_name = NULL, owner_claim_hash = NULL
           WHERE id = $1 AND owner_claim_user_id IS NOT NULL"#,
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_step(
    db: impl PgExecutor<'_>,
    id: i64,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET step = $2 WHERE id = $1",
        id,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct InviteRow {
    pub email: String,
    pub role: Role,
}

pub async fn list_invites(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<Vec<InviteRow>, sqlx::Error> {
    sqlx::query_as!(
        InviteRow,
        r#"SELECT email, role AS "role: Role" FROM activation_invites
           WHERE subscription_id = $1 ORDER BY created_at, email"#,
        subscription_id
    )
    .fetch_all(db)
    .await
}

pub async fn upsert_invite(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
    email: &str,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO activation_invites (subscription_id, email, role) VALUES ($1, $2, $3)
           ON CONFLICT (subscription_id, email) DO UPDATE SET role = EXCLUDED.role"#,
        subscription_id,
        email,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_invite(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM activation_invites WHERE subscription_id = $1 AND email = $2",
        subscription_id,
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn count_invites(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM activation_invites WHERE subscription_id = $1"#,
        subscription_id
    )
    .fetch_one(db)
    .await
}

/// Short names in `region` that `base` or `base` plus a number would collide with.
pub async fn taken_short_names(
    db: impl PgExecutor<'_>,
    region: &str,
    base: &str,
) -> Result<Vec<String>, sqlx::Error> {
    // `base` holds only [a-z0-9-], so it is safe inside the pattern.
    sqlx::query_scalar!(
        r#"SELECT short_name FROM organizations
           WHERE region = $1 AND short_name ~ ('^' || $2 || '[0-9]*$')"#,
        region,
        base
    )
    .fetch_all(db)
    .await
}

/// Starts the activation job; `false` when it had already been started (a second click).
pub async fn insert_job(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO activation_jobs (subscription_id) VALUES ($1)
           ON CONFLICT (subscription_id) DO NOTHING RETURNING id"#,
        subscription_id
    )
    .fetch_optional(db)
    .await?;
    Ok(inserted.is_some())
}

pub struct JobRow {
    pub organization_public_id: String,
    pub status: JobStatus,
    pub done_steps: Vec<String>,
    pub attempts: i32,
}

/// Puts a failed job back in the queue, from the step that failed.
pub async fn restart_job(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE activation_jobs
           SET status = 'running', attempts = 0, next_attempt_at = now(), last_error = NULL
           WHERE subscription_id = $1 AND status = 'failed'"#,
        subscription_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct CreatedOrgRow {
    pub name: String,
    pub short_name: String,
    pub region: String,
}

pub async fn org_of_subscription(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<Option<CreatedOrgRow>, sqlx::Error> {
    sqlx::query_as!(
        CreatedOrgRow,
        "SELECT name, short_name, region FROM organizations WHERE subscription_id = $1",
        subscription_id
    )
    .fetch_optional(db)
    .await
}

/// The development demo subscription, if one was ever created.
pub async fn find_demo(db: impl PgExecutor<'_>) -> Result<Option<(i64, WizardStep)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, subscription_stage(s) AS "step!: WizardStep"
           FROM subscriptions s WHERE is_demo ORDER BY id LIMIT 1"#
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.step)))
}

/// Gives a subscription a new activation link (the old one stops working).
pub async fn replace_token(
    db: impl PgExecutor<'_>,
    id: i64,
    token_hash: &[u8],
    valid_days: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET token_hash = $2, token_expires_at = now() + make_interval(days => $3)
           WHERE id = $1"#,
        id,
        token_hash,
        valid_days
    )
    .execute(db)
    .await?;
    Ok(())
}

// --- the activation job -------------------------------------------------------------

pub struct DueJob {
    pub id: i64,
    pub organization_public_id: String,
    pub done_steps: Vec<String>,
    pub attempts: i32,
    pub subscription_id: i64,
    pub region: Option<String>,
    pub org_name: Option<String>,
    pub owner_user_id: Option<i64>,
    pub plan: String,
    pub products: Vec<String>,
    pub trial: bool,
    pub seats: i32,
}

/// Claims one due job. The row stays locked until the caller's transaction ends and
/// other workers (in this or another server) skip it.
pub async fn claim_due_job(db: impl PgExecutor<'_>) -> Result<Option<DueJob>, sqlx::Error> {
    sqlx::query_as!(
        DueJob,
        r#"SELECT j.id, j.organization_public_id, j.done_steps, j.attempts,
                  s.id AS subscription_id, s.region, s.org_name, s.owner_user_id,
                  s.plan, s.products, s.trial, s.seats
           FROM activation_jobs j JOIN subscriptions s ON s.id = j.subscription_id
           WHERE j.status = 'running' AND j.next_attempt_at <= now()
           ORDER BY j.next_attempt_at
           LIMIT 1
           FOR UPDATE OF j SKIP LOCKED"#
    )
    .fetch_optional(db)
    .await
}

pub async fn mark_step_done(
    db: impl PgExecutor<'_>,
    job_id: i64,
    step: &str,
    last: bool,
) -> Result<f64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE activation_jobs
           SET done_steps = array_append(done_steps, $2), attempts = 0, last_error = NULL,
               next_attempt_at = now(),
               status = CASE WHEN $3 THEN 'done' ELSE status END,
               finished_at = CASE WHEN $3 THEN now() ELSE finished_at END
           WHERE id = $1
           RETURNING extract(epoch FROM now() - created_at)::float8 AS "age_seconds!""#,
        job_id,
        step,
        last
    )
    .fetch_one(db)
    .await
}

/// Records a failed attempt: retried after `delay_ms`, or failed for good when `give_up`.
pub async fn mark_attempt_failed(
    db: impl PgExecutor<'_>,
    job_id: i64,
    error: &str,
    delay_ms: i64,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE activation_jobs
           SET attempts = attempts + 1, last_error = $2,
               next_attempt_at = now() + make_interval(secs => $3::bigint / 1000.0),
               status = CASE WHEN $4 THEN 'failed' ELSE status END,
               finished_at = CASE WHEN $4 THEN now() ELSE finished_at END
           WHERE id = $1"#,
        job_id,
        error,
        delay_ms,
        give_up
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Serializes short-name choice per region and base until the transaction ends.
pub async fn lock_short_name(
    db: impl PgExecutor<'_>,
    region: &str,
    base: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))",
        region,
        base
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct NewOrg<'a> {
    pub public_id: &'a str,
    pub subscription_id: i64,
    pub name: &'a str,
    pub short_name: &'a str,
    pub region: &'a str,
    pub plan: &'a str,
    pub trial: bool,
    pub seats: i32,
}

/// Inserts the organization of a subscription; `None` if it already exists.
pub async fn insert_org(
    db: impl PgExecutor<'_>,
    o: &NewOrg<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO organizations
             (public_id, subscription_id, name, short_name, region, plan, trial, seats)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (subscription_id) DO NOTHING
           RETURNING id"#,
        o.public_id,
        o.subscription_id,
        o.name,
        o.short_name,
        o.region,
        o.plan,
        o.trial,
        o.seats
    )
    .fetch_optional(db)
    .await
}

pub async fn org_id_of_subscription(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM organizations WHERE subscription_id = $1",
        subscription_id
    )
    .fetch_optional(db)
    .await
}

pub async fn insert_features(
    db: impl PgExecutor<'_>,
    org_id: i64,
    products: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO org_features (org_id, product) SELECT $1, unnest($2::text[])
           ON CONFLICT DO NOTHING"#,
        org_id,
        products
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The organization's billing account: billed, or on a trial that ends in `trial_days`.
pub async fn insert_billing(
    db: impl PgExecutor<'_>,
    org_id: i64,
    trial: bool,
    trial_days: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO billing_accounts (org_id, billed, trial_ends_at)
           VALUES ($1, NOT $2, CASE WHEN $2 THEN now() + make_interval(days => $3) END)
           ON CONFLICT (org_id) DO NOTHING"#,
        org_id,
        trial,
        trial_days
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The organization is live (and with it, its subscription is active).
pub async fn mark_org_active(db: impl PgExecutor<'_>, org_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE organizations SET activated_at = now() WHERE id = $1",
        org_id
    )
    .execute(db)
    .await?;
    Ok(())
}

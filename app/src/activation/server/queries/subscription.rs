//! SQL of subscriptions: the operator's, the demo, and the link that opens one.

use super::{InviteRow, JobRow};
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

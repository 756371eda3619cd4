//! SQL of the activation job: claiming due steps, and what each step writes.

use sqlx::PgExecutor;

use crate::activation::types::JobStatus;

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

//! Verified domains' SQL.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::access::Owner;

pub struct DomainRow {
    pub id: i64,
    pub org_id: i64,
    pub domain: String,
    pub token: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub checked_at: Option<DateTime<Utc>>,
    pub problem: Option<String>,
}

pub async fn list(db: impl PgExecutor<'_>, owner: &Owner) -> Result<Vec<DomainRow>, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_as!(
        DomainRow,
        "SELECT id, org_id, domain, token, verified_at, checked_at, problem
         FROM org_domains WHERE org_id = $1 ORDER BY domain",
        org_id
    )
    .fetch_all(db)
    .await
}

pub async fn one(
    db: impl PgExecutor<'_>,
    owner: &Owner,
    id: i64,
) -> Result<Option<DomainRow>, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_as!(
        DomainRow,
        "SELECT id, org_id, domain, token, verified_at, checked_at, problem
         FROM org_domains WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// Whether an organization other than `org_id` has verified `domain`.
pub async fn verified_elsewhere(
    db: impl PgExecutor<'_>,
    org_id: i64,
    domain: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM org_domains
                          WHERE domain = $2 AND org_id <> $1 AND verified_at IS NOT NULL) AS "taken!""#,
        org_id,
        domain
    )
    .fetch_one(db)
    .await
}

/// Adds `domain`; `None` if the organization has it already.
pub async fn insert(
    db: impl PgExecutor<'_>,
    owner: &Owner,
    domain: &str,
    token: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_scalar!(
        "INSERT INTO org_domains (org_id, domain, token) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, domain) DO NOTHING RETURNING id",
        org_id,
        domain,
        token
    )
    .fetch_optional(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, owner: &Owner) -> Result<i64, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM org_domains WHERE org_id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await
}

pub async fn delete(
    db: impl PgExecutor<'_>,
    owner: &Owner,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_scalar!(
        "DELETE FROM org_domains WHERE org_id = $1 AND id = $2 RETURNING domain",
        org_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// Records a look-up that found the record: verified from now (if not already).
/// Fails with a unique violation if another organization verified the domain meanwhile.
pub async fn mark_verified(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE org_domains
         SET verified_at = coalesce(verified_at, now()), checked_at = now(),
             problem = NULL, failing_since = NULL
         WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a look-up that did not find the record. A verified domain stays verified
/// while it fails for less than `grace_days`; after that it is verified no longer.
/// Answers whether it was unverified now.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    problem: &str,
    grace_days: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH before AS (SELECT verified_at FROM org_domains WHERE id = $1 FOR UPDATE)
           UPDATE org_domains d
           SET checked_at = now(), problem = $2,
               failing_since = coalesce(d.failing_since, now()),
               verified_at = CASE
                   WHEN coalesce(d.failing_since, now()) < now() - make_interval(days => $3)
                   THEN NULL ELSE d.verified_at END
           FROM before
           WHERE d.id = $1
           RETURNING (before.verified_at IS NOT NULL AND d.verified_at IS NULL) AS "unverified!""#,
        id,
        problem,
        grace_days
    )
    .fetch_optional(db)
    .await
    .map(|unverified| unverified.unwrap_or(false))
}

/// A look-up the DNS did not answer: the time and the problem are recorded, but it says
/// nothing about the record, so it neither starts nor ends the days of grace.
pub async fn mark_unanswered(
    db: impl PgExecutor<'_>,
    id: i64,
    problem: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE org_domains SET checked_at = now(), problem = $2 WHERE id = $1",
        id,
        problem
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct OwnerRow {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
}

/// The active OWNERs of an organization that requires single sign-on (none otherwise):
/// who is told when a domain it depends on is no longer verified.
pub async fn owners_if_sso_required(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<OwnerRow>, sqlx::Error> {
    sqlx::query_as!(
        OwnerRow,
        r#"SELECT u.email, u.name, u.locale, o.name AS org_name, o.region, o.short_name
           FROM org_sso s JOIN organizations o ON o.id = s.org_id
           JOIN memberships m ON m.org_id = s.org_id
           JOIN users u ON u.id = m.user_id
           JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
           WHERE s.org_id = $1 AND s.required AND p.role = 'OWNER' AND p.status = 'active'
           ORDER BY u.email"#,
        org_id
    )
    .fetch_all(db)
    .await
}

/// Domains due a background look-up, claimed for this round (other instances skip them):
/// unverified ones added in the last week, every `pending_seconds`; verified ones daily.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    pending_seconds: i32,
    limit: i64,
) -> Result<Vec<DomainRow>, sqlx::Error> {
    sqlx::query_as!(
        DomainRow,
        "UPDATE org_domains SET checked_at = now()
         WHERE id IN (
             SELECT id FROM org_domains
             WHERE (verified_at IS NULL AND added_at > now() - interval '7 days'
                    AND coalesce(checked_at, added_at) < now() - make_interval(secs => $1))
                OR (verified_at IS NOT NULL AND checked_at < now() - interval '1 day')
             ORDER BY checked_at NULLS FIRST
             LIMIT $2
             FOR UPDATE SKIP LOCKED)
         RETURNING id, org_id, domain, token, verified_at, checked_at, problem",
        f64::from(pending_seconds),
        limit
    )
    .fetch_all(db)
    .await
}

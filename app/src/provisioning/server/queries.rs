//! Provisioning's SQL: the directory as SCIM reads it. Each statement filters by
//! organization.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::roles::Role;

pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Rows matching the filter, on every row.
    pub total: i64,
}

/// A page of the directory, oldest first, optionally only the person with this address
/// or this external id. `offset` counts from 0.
pub async fn people(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: Option<&str>,
    external_id: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, name, email, role AS "role: Role", status = 'active' AS "active!",
                  external_id, created_at, count(*) OVER () AS "total!"
           FROM people
           WHERE org_id = $1 AND scim_removed_at IS NULL
             AND ($2::text IS NULL OR email = $2)
             AND ($3::text IS NULL OR external_id = $3)
           ORDER BY id
           OFFSET $4 LIMIT $5"#,
        org_id,
        email,
        external_id,
        offset,
        limit
    )
    .fetch_all(db)
    .await
}

/// How many people match (for a page past the end, which returns no row to count on).
pub async fn count(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: Option<&str>,
    external_id: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM people
           WHERE org_id = $1 AND scim_removed_at IS NULL
             AND ($2::text IS NULL OR email = $2)
             AND ($3::text IS NULL OR external_id = $3)"#,
        org_id,
        email,
        external_id
    )
    .fetch_one(db)
    .await
}

pub async fn person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
) -> Result<Option<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, name, email, role AS "role: Role", status = 'active' AS "active!",
                  external_id, created_at, 1::bigint AS "total!"
           FROM people WHERE org_id = $1 AND id = $2 AND scim_removed_at IS NULL"#,
        org_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// The person with this address: their id, and whether the provider deleted them.
pub async fn person_by_email(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT id, scim_removed_at IS NOT NULL AS \"removed!\" FROM people
         WHERE org_id = $1 AND email = $2",
        org_id,
        email
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.id, r.removed)))
}

/// Whether the provider deleted the person (they stay in the directory, deactivated).
pub async fn set_removed(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    removed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET scim_removed_at = CASE WHEN $3 THEN now() END
         WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        removed
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The people with `role`, by id.
pub async fn with_role(
    db: impl PgExecutor<'_>,
    org_id: i64,
    role: Role,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT id, email FROM people
         WHERE org_id = $1 AND role = $2 AND scim_removed_at IS NULL ORDER BY id",
        org_id,
        role.code()
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.email))
    .collect())
}

/// Sets the name (and the account's, once they have one in this organization only
/// through the directory: the account keeps its own).
pub async fn set_name(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET name = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        name
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_external_id(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    external_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET external_id = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        external_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes the keys the person made in this organization (they were deactivated).
pub async fn revoke_keys_of(
    db: impl PgExecutor<'_>,
    org_id: i64,
    person_id: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE api_keys k SET revoked_at = now()
         FROM people p
         WHERE p.org_id = $1 AND p.id = $2 AND k.org_id = $1 AND k.created_by = p.user_id
           AND k.revoked_at IS NULL",
        org_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

//! Provisioning's SQL: the directory and the provider's groups as SCIM reads them. Each
//! statement filters by organization.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;

use crate::roles::Role;

pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// SCIM `userName`: as the provider set it, else the address.
    pub user_name: String,
    /// `displayName` and `name` as the provider sent them (`None`: never sent).
    pub profile: Option<Value>,
    pub role: Role,
    pub active: bool,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Rows matching the filter, on every row.
    pub total: i64,
}

/// Which people a page is of: everyone, or those with this user name, address or
/// external id (each compared as SCIM says: user names and addresses without case).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

/// A page of the directory, oldest first. `offset` counts from 0.
pub async fn people(
    db: impl PgExecutor<'_>,
    org_id: i64,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT id, name, email, COALESCE(scim_user_name, email) AS "user_name!",
                  scim_profile AS profile, role AS "role: Role",
                  status = 'active' AS "active!", external_id, created_at,
                  count(*) OVER () AS "total!"
           FROM people
           WHERE org_id = $1 AND scim_removed_at IS NULL
             AND ($2::text IS NULL OR lower(COALESCE(scim_user_name, email)) = lower($2))
             AND ($3::text IS NULL OR email = lower($3))
             AND ($4::text IS NULL OR external_id = $4)
           ORDER BY id
           OFFSET $5 LIMIT $6"#,
        org_id,
        filter.user_name,
        filter.email,
        filter.external_id,
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
    filter: &Filter,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM people
           WHERE org_id = $1 AND scim_removed_at IS NULL
             AND ($2::text IS NULL OR lower(COALESCE(scim_user_name, email)) = lower($2))
             AND ($3::text IS NULL OR email = lower($3))
             AND ($4::text IS NULL OR external_id = $4)"#,
        org_id,
        filter.user_name,
        filter.email,
        filter.external_id
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
        r#"SELECT id, name, email, COALESCE(scim_user_name, email) AS "user_name!",
                  scim_profile AS profile, role AS "role: Role",
                  status = 'active' AS "active!", external_id, created_at,
                  1::bigint AS "total!"
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

/// Whether someone other than `id` goes by `user_name` (their own, or their address).
pub async fn user_name_taken(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: Option<i64>,
    user_name: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM people
             WHERE org_id = $1 AND id IS DISTINCT FROM $2
               AND lower(COALESCE(scim_user_name, email)) = lower($3)) AS "taken!""#,
        org_id,
        id,
        user_name
    )
    .fetch_one(db)
    .await
}

/// The ids of the people with `role`.
pub async fn with_role(
    db: impl PgExecutor<'_>,
    org_id: i64,
    role: Role,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM people
         WHERE org_id = $1 AND role = $2 AND scim_removed_at IS NULL ORDER BY id",
        org_id,
        role.code()
    )
    .fetch_all(db)
    .await
}

pub struct GroupRow {
    pub id: i64,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub total: i64,
}

/// A page of the provider's groups, oldest first, optionally only the one named so.
pub async fn groups(
    db: impl PgExecutor<'_>,
    org_id: i64,
    display_name: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<GroupRow>, sqlx::Error> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT id, display_name, external_id, created_at, count(*) OVER () AS "total!"
           FROM scim_groups
           WHERE org_id = $1 AND ($2::text IS NULL OR lower(display_name) = lower($2))
           ORDER BY id OFFSET $3 LIMIT $4"#,
        org_id,
        display_name,
        offset,
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn count_groups(
    db: impl PgExecutor<'_>,
    org_id: i64,
    display_name: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM scim_groups
           WHERE org_id = $1 AND ($2::text IS NULL OR lower(display_name) = lower($2))"#,
        org_id,
        display_name
    )
    .fetch_one(db)
    .await
}

pub async fn group(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
) -> Result<Option<GroupRow>, sqlx::Error> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT id, display_name, external_id, created_at, 1::bigint AS "total!"
           FROM scim_groups WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// A new group; `None` when the organization has one of this name.
pub async fn insert_group(
    db: impl PgExecutor<'_>,
    org_id: i64,
    display_name: &str,
    external_id: Option<&str>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO scim_groups (org_id, display_name, external_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING id",
        org_id,
        display_name,
        external_id
    )
    .fetch_optional(db)
    .await
}

/// Renames a group; `false` when another group has the name.
pub async fn update_group(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    display_name: &str,
    external_id: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE scim_groups SET display_name = $3, external_id = $4
         WHERE org_id = $1 AND id = $2
           AND NOT EXISTS (SELECT 1 FROM scim_groups o
                           WHERE o.org_id = $1 AND o.id <> $2
                             AND lower(o.display_name) = lower($3))",
        org_id,
        id,
        display_name,
        external_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete_group(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM scim_groups WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The group's members become exactly `people` (those of this organization).
pub async fn set_group_members(
    conn: &mut sqlx::PgConnection,
    org_id: i64,
    id: i64,
    people: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM scim_group_members m USING scim_groups g
         WHERE g.id = m.group_id AND g.org_id = $1 AND g.id = $2
           AND NOT (m.person_id = ANY($3))",
        org_id,
        id,
        people
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO scim_group_members (group_id, person_id)
         SELECT g.id, p.id FROM scim_groups g JOIN people p ON p.org_id = g.org_id
         WHERE g.org_id = $1 AND g.id = $2 AND p.id = ANY($3)
         ON CONFLICT DO NOTHING",
        org_id,
        id,
        people
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The ids of a group's members.
pub async fn group_members(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT p.id FROM scim_group_members m
         JOIN scim_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
         WHERE g.org_id = $1 AND g.id = $2 AND p.scim_removed_at IS NULL ORDER BY p.id",
        org_id,
        id
    )
    .fetch_all(db)
    .await
}

/// The provider's groups these people are in: (person id, group id, group name), in one
/// query for a whole page.
pub async fn groups_of(
    db: impl PgExecutor<'_>,
    org_id: i64,
    people: &[i64],
) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT m.person_id, g.id, g.display_name FROM scim_group_members m
         JOIN scim_groups g ON g.id = m.group_id
         WHERE g.org_id = $1 AND m.person_id = ANY($2) ORDER BY g.id",
        org_id,
        people
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.person_id, r.id, r.display_name))
    .collect())
}

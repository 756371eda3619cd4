//! Every SQL statement about organizations and their members. Each one that reads an
//! organization's data filters by that organization's id.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct MembershipRow {
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub role: String,
}

/// The active organizations `user_id` belongs to, by name.
pub async fn memberships_of(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as!(
        MembershipRow,
        r#"SELECT o.name, o.short_name, o.region, m.role
           FROM memberships m JOIN organizations o ON o.id = m.org_id
           WHERE m.user_id = $1 AND o.status = 'active'
             AND NOT EXISTS (SELECT 1 FROM people p
                             WHERE p.org_id = o.id AND p.user_id = $1 AND p.status = 'inactive')
           ORDER BY lower(o.name), o.region"#,
        user_id
    )
    .fetch_all(db)
    .await
}

pub struct OrgRow {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub plan: String,
    pub trial: bool,
    pub seats: i32,
    pub role: String,
    pub billed: Option<bool>,
}

/// An organization as seen by one of its members; `None` if `user_id` is not a member.
pub async fn org_for_member(
    db: impl PgExecutor<'_>,
    region: &str,
    short_name: &str,
    user_id: i64,
) -> Result<Option<OrgRow>, sqlx::Error> {
    sqlx::query_as!(
        OrgRow,
        r#"SELECT o.id, o.public_id, o.name, o.short_name, o.region, o.plan, o.trial, o.seats,
                  m.role, b.billed AS "billed?"
           FROM organizations o
           JOIN memberships m ON m.org_id = o.id AND m.user_id = $3
           LEFT JOIN billing_accounts b ON b.org_id = o.id
           WHERE o.region = $1 AND o.short_name = $2 AND o.status = 'active'"#,
        region,
        short_name,
        user_id
    )
    .fetch_optional(db)
    .await
}

pub async fn features(db: impl PgExecutor<'_>, org_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT product FROM org_features WHERE org_id = $1 ORDER BY product",
        org_id
    )
    .fetch_all(db)
    .await
}

pub struct MemberRow {
    pub name: String,
    pub email: String,
    pub role: String,
}

pub async fn members(db: impl PgExecutor<'_>, org_id: i64) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as!(
        MemberRow,
        r#"SELECT u.name, u.email, m.role
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1
           ORDER BY lower(u.name), u.email
           LIMIT 200"#,
        org_id
    )
    .fetch_all(db)
    .await
}

pub struct InvitationRow {
    pub email: String,
    pub role: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn open_invitations(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        r#"SELECT email, role, expires_at FROM invitations
           WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           ORDER BY created_at DESC, email
           LIMIT 200"#,
        org_id
    )
    .fetch_all(db)
    .await
}

pub async fn insert_membership(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (org_id, user_id) DO NOTHING"#,
        org_id,
        user_id,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct MemberOfRow {
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
}

/// `user_id`'s role in the active organization at (region, short name), if a member.
pub async fn member_of(
    db: impl PgExecutor<'_>,
    region: &str,
    short_name: &str,
    user_id: i64,
) -> Result<Option<MemberOfRow>, sqlx::Error> {
    sqlx::query_as!(
        MemberOfRow,
        r#"SELECT o.id AS org_id, o.name AS org_name, m.role
           FROM organizations o JOIN memberships m ON m.org_id = o.id AND m.user_id = $3
           WHERE o.region = $1 AND o.short_name = $2 AND o.status = 'active'
             AND NOT EXISTS (SELECT 1 FROM people p
                             WHERE p.org_id = o.id AND p.user_id = $3 AND p.status = 'inactive')"#,
        region,
        short_name,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// "Name <email>" of the members holding one of `roles`, for "ask them" messages.
pub async fn members_with_roles(
    db: impl PgExecutor<'_>,
    org_id: i64,
    roles: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT u.name || ' <' || u.email || '>' AS "contact!"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND m.role = ANY($2)
           ORDER BY m.role DESC, lower(u.name)
           LIMIT 10"#,
        org_id,
        roles
    )
    .fetch_all(db)
    .await
}

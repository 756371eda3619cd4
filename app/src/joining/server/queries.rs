//! Every SQL statement about self-join links. Each filters by organization or by token.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::access::{Granted, can};
pub struct LinkSettingsRow {
    pub domains: Vec<String>,
    /// The organization's verified domains, allowed as well.
    pub verified_domains: Vec<String>,
    pub link_id: Option<i64>,
    pub nonce: Option<Vec<u8>>,
    pub joined: i64,
}

/// The Link tab's settings. A plain read: the People page shows it on every view, so it
/// must not wait for others' changes to the organization (a save locks it first).
pub async fn settings(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<LinkSettingsRow, sqlx::Error> {
    sqlx::query_as!(
        LinkSettingsRow,
        r#"SELECT o.join_domains AS domains,
                  ARRAY(SELECT d.domain FROM org_domains d
                        WHERE d.org_id = o.id AND d.verified_at IS NOT NULL
                        ORDER BY d.domain) AS "verified_domains!",
                  l.id AS "link_id?", l.nonce AS "nonce?",
                  (SELECT count(*) FROM link_joins j
                   WHERE j.link_id = l.id AND j.confirmed_at IS NOT NULL) AS "joined!"
           FROM organizations o
           LEFT JOIN join_links l
               ON l.org_id = o.id AND l.disabled_at IS NULL AND l.name IS NULL
           WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await
}

pub async fn set_domains(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    domains: &[String],
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        "UPDATE organizations SET join_domains = $2 WHERE id = $1",
        org_id,
        domains
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_link(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    nonce: &[u8],
    token_hash: &[u8],
    created_by: i64,
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        r#"INSERT INTO join_links (org_id, nonce, token_hash, created_by)
           VALUES ($1, $2, $3, $4)"#,
        org_id,
        nonce,
        token_hash,
        created_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Turns the switch off: the organization's unnamed link stops.
pub async fn disable_links(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        "UPDATE join_links SET disabled_at = now()
         WHERE org_id = $1 AND disabled_at IS NULL AND name IS NULL",
        org_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct LinkRow {
    pub id: i64,
    pub org_id: i64,
    /// The role a person joining through it gets (unless an admin gave them one).
    pub role: crate::roles::Role,
    pub expired: bool,
    /// Its maximum number of joins was reached.
    pub full: bool,
    pub disabled: bool,
    /// Whether the organization has another working link (this one was replaced).
    pub replaced: bool,
    pub org_name: String,
    /// Allowed Email Domain(s), then the verified domains not among them.
    pub domains: Vec<String>,
}

pub async fn find_link(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as!(
        LinkRow,
        r#"SELECT l.id, l.org_id, l.role AS "role: crate::roles::Role",
                  COALESCE(l.expires_at <= now(), false) AS "expired!",
                  COALESCE(l.max_joins <= (SELECT count(*) FROM link_joins j
                                           WHERE j.link_id = l.id AND j.confirmed_at IS NOT NULL),
                           false) AS "full!",
                  l.disabled_at IS NOT NULL AS "disabled!",
                  l.name IS NULL AND EXISTS (SELECT 1 FROM join_links n
                          WHERE n.org_id = l.org_id AND n.disabled_at IS NULL
                            AND n.name IS NULL AND n.id <> l.id)
                      AS "replaced!",
                  o.name AS org_name,
                  o.join_domains || ARRAY(SELECT d.domain FROM org_domains d
                                          WHERE d.org_id = o.id AND d.verified_at IS NOT NULL
                                            AND d.domain <> ALL (o.join_domains)
                                          ORDER BY d.domain) AS "domains!"
           FROM join_links l JOIN organizations o ON o.id = l.org_id
           WHERE l.token_hash = $1 AND organization_is_active(o)"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_join(
    db: impl PgExecutor<'_>,
    link_id: i64,
    org_id: i64,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
    locale: &str,
    token_hash: &[u8],
    valid_hours: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO link_joins (link_id, org_id, email, name, password_hash, locale, token_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8))"#,
        link_id,
        org_id,
        email,
        name,
        password_hash,
        locale,
        token_hash,
        valid_hours
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct JoinRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub locale: String,
    pub expires_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub link_id: i64,
    pub link_disabled: bool,
    pub link_expired: bool,
    pub link_full: bool,
    /// The role a person joining through the link gets (unless an admin gave them one).
    pub link_role: crate::roles::Role,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
}

/// A pending join by its confirmation token; `lock` holds it for the transaction.
pub async fn find_join(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<JoinRow>, sqlx::Error> {
    sqlx::query_as!(
        JoinRow,
        r#"SELECT j.id, j.org_id, j.email, j.name, j.password_hash, j.locale,
                  j.expires_at, j.confirmed_at, l.id AS link_id,
                  l.disabled_at IS NOT NULL AS "link_disabled!",
                  COALESCE(l.expires_at <= now(), false) AS "link_expired!",
                  COALESCE(l.max_joins <= (SELECT count(*) FROM link_joins c
                                           WHERE c.link_id = l.id AND c.confirmed_at IS NOT NULL),
                           false) AS "link_full!",
                  l.role AS "link_role: crate::roles::Role",
                  o.name AS org_name, o.region, o.short_name
           FROM link_joins j
           JOIN join_links l ON l.id = j.link_id
           JOIN organizations o ON o.id = j.org_id
           WHERE j.token_hash = $1
           FOR UPDATE OF j"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

pub async fn mark_confirmed(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE link_joins SET confirmed_at = now() WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn is_member(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND u.email = $2"#,
        org_id,
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// A limited link as the Link tab lists it.
pub struct LimitedLinkRow {
    pub id: i64,
    pub name: String,
    pub nonce: Vec<u8>,
    pub role: crate::roles::Role,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_joins: Option<i32>,
    pub joined: i64,
    pub made_by: Option<String>,
}

/// The organization's working limited links, newest first (expired and full ones too,
/// until they are disabled: the tab says why they no longer admit anyone).
pub async fn limited_links(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<LimitedLinkRow>, sqlx::Error> {
    sqlx::query_as!(
        LimitedLinkRow,
        r#"SELECT l.id, l.name AS "name!", l.nonce, l.role AS "role: crate::roles::Role",
                  l.expires_at, l.max_joins,
                  (SELECT count(*) FROM link_joins j
                   WHERE j.link_id = l.id AND j.confirmed_at IS NOT NULL) AS "joined!",
                  u.name AS "made_by?"
           FROM join_links l LEFT JOIN users u ON u.id = l.created_by
           WHERE l.org_id = $1 AND l.name IS NOT NULL AND l.disabled_at IS NULL
           ORDER BY l.id DESC
           LIMIT 100"#,
        org_id
    )
    .fetch_all(db)
    .await
}

pub struct NewLimitedLink<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_joins: Option<i32>,
}

pub async fn insert_limited_link(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    nonce: &[u8],
    token_hash: &[u8],
    link: &NewLimitedLink<'_>,
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    let created_by = granted.user_id();
    sqlx::query!(
        r#"INSERT INTO join_links (org_id, nonce, token_hash, created_by, name, role, expires_at, max_joins)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        org_id,
        nonce,
        token_hash,
        created_by,
        link.name,
        link.role,
        link.expires_at,
        link.max_joins
    )
    .execute(db)
    .await?;
    Ok(())
}

/// "Disable" on a limited link; `false` when the organization has no such working link.
pub async fn disable_limited_link(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    link_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query_scalar!(
        r#"UPDATE join_links SET disabled_at = now()
           WHERE org_id = $1 AND id = $2 AND name IS NOT NULL AND disabled_at IS NULL
           RETURNING name AS "name!""#,
        org_id,
        link_id
    )
    .fetch_optional(db)
    .await
}

/// Locks a link while a join through it is confirmed (its last join is taken once).
pub async fn lock_link(db: impl PgExecutor<'_>, link_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT id FROM join_links WHERE id = $1 FOR UPDATE",
        link_id
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

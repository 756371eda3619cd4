//! Every SQL statement about API keys. Each one filters by organization, except the
//! lookup by hash that authenticates a request.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::access::{Granted, KeyFacts, can};
use crate::roles::Role;

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The organization's keys in use, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    org_id: i64,
    purpose: &str,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as!(
        KeyRow,
        r#"SELECT k.id, k.name, k.role AS "role: Role", k.prefix, u.name AS created_by, k.created_at, k.last_used_at
           FROM api_keys k JOIN users u ON u.id = k.created_by
           WHERE k.org_id = $1 AND k.revoked_at IS NULL AND k.purpose = $2
           ORDER BY k.created_at DESC, k.id DESC"#,
        org_id,
        purpose
    )
    .fetch_all(db)
    .await
}

/// A key to store: only its hash and first characters are kept.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub key_hash: &'a [u8],
    pub prefix: &'a str,
    pub created_by: i64,
    pub purpose: &'a str,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::CreateApiKey>,
    key: NewKey<'_>,
) -> Result<i64, sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query_scalar!(
        r#"INSERT INTO api_keys (org_id, name, role, key_hash, prefix, created_by, purpose)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
        org_id,
        key.name,
        key.role,
        key.key_hash,
        key.prefix,
        key.created_by,
        key.purpose
    )
    .fetch_one(db)
    .await
}

/// The id of a key in use in this organization, made by this person, with this hash.
pub async fn made_by(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
    key_hash: &[u8],
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id FROM api_keys
           WHERE org_id = $1 AND created_by = $2 AND key_hash = $3 AND revoked_at IS NULL"#,
        org_id,
        user_id,
        key_hash
    )
    .fetch_optional(db)
    .await
}

/// Revokes a key of this organization; its name, or `None` if there is no such key in use.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::CreateApiKey>,
    id: i64,
    purpose: &str,
) -> Result<Option<String>, sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query_scalar!(
        r#"UPDATE api_keys SET revoked_at = now()
           WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL AND purpose = $3
           RETURNING name"#,
        org_id,
        id,
        purpose
    )
    .fetch_optional(db)
    .await
}

/// The key with this hash, if it is in use, its organization is active and its creator
/// is still an active member there, who may use the organization without its single
/// sign-on (an OWNER, or someone the organization does not require it of); records the
/// use.
pub async fn authenticate(
    db: impl PgExecutor<'_>,
    key_hash: &[u8],
    purpose: &str,
) -> Result<Option<KeyFacts>, sqlx::Error> {
    sqlx::query_as!(
        KeyFacts,
        r#"UPDATE api_keys k SET last_used_at = now()
           FROM organizations o, memberships m, users u, people p
           WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND k.purpose = $2
             AND o.id = k.org_id AND organization_is_active(o)
             AND m.org_id = k.org_id AND m.user_id = k.created_by AND u.id = k.created_by
             AND p.org_id = k.org_id AND p.user_id = k.created_by AND p.status = 'active'
             AND (p.role = 'OWNER' OR NOT sso_required_of(k.org_id, u.email))
           RETURNING k.id AS key_id, k.name AS key_name, k.role AS "key_role: Role", k.org_id,
                     o.name AS org_name, o.region, o.short_name, u.id AS creator_id,
                     p.role AS "creator_role: Role", u.locale AS creator_locale"#,
        key_hash,
        purpose
    )
    .fetch_optional(db)
    .await
}

/// Revokes every live key `user_id` made (their password was reset: whoever knew the old
/// one may have made keys).
pub async fn revoke_all_made_by(db: impl PgExecutor<'_>, user_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE api_keys SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
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

/// Revokes the keys a member made in the organization (they left it).
pub async fn revoke_made_in(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE api_keys SET revoked_at = now()
         WHERE org_id = $1 AND created_by = $2 AND revoked_at IS NULL",
        org_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

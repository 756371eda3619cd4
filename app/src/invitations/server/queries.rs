//! Every SQL statement about invitations.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct InvitationRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: crate::roles::Role,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_at: Option<DateTime<Utc>>,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub inviter: Option<String>,
}

pub async fn find_by_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        // The invitation whose link this is, or was until it was sent again (then
        // `replaced_at` says when).
        r#"SELECT i.id, i.org_id, i.email, p.role AS "role: crate::roles::Role", i.expires_at, i.accepted_at, i.revoked_at,
                  COALESCE(l.replaced_at, i.replaced_at) AS replaced_at,
                  o.name AS org_name, o.region, o.short_name, u.name AS "inviter?"
           FROM invitations i
           JOIN organizations o ON o.id = i.org_id
           JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           LEFT JOIN users u ON u.id = i.invited_by
           LEFT JOIN invitation_old_links l ON l.token_hash = $1 AND l.invitation_id = i.id
           WHERE i.token_hash = $1 OR l.token_hash IS NOT NULL"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Locks the invitation row until the transaction ends (one acceptance at a time).
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT id FROM invitations WHERE id = $1 FOR UPDATE", id)
        .fetch_one(db)
        .await?;
    Ok(())
}

/// The invitation of `email` that is neither accepted nor revoked (it may have expired),
/// locked for the rest of the transaction.
pub struct OpenInvitation {
    pub id: i64,
    pub expired: bool,
}

pub async fn lock_unended(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<Option<OpenInvitation>, sqlx::Error> {
    sqlx::query_as!(
        OpenInvitation,
        r#"SELECT i.id, NOT invitation_is_open(i) AS "expired!" FROM invitations i
           WHERE i.org_id = $1 AND i.email = $2 AND invitation_is_pending(i)
           FOR UPDATE"#,
        org_id,
        email
    )
    .fetch_optional(db)
    .await
}

/// Takes `n` invitations from today's quota (UTC day). `false` (and nothing taken) when
/// fewer than `n` are left.
pub async fn take_quota(
    db: impl PgExecutor<'_>,
    org_id: i64,
    n: i32,
    quota: i32,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query_scalar!(
        r#"INSERT INTO invite_quota_usage AS u (org_id, day, used)
           SELECT $1, quota_day(), $2::int WHERE $2::int <= $3::int
           ON CONFLICT (org_id, day) DO UPDATE SET used = u.used + $2::int
           WHERE u.used + $2::int <= $3::int
           RETURNING used"#,
        org_id,
        n,
        quota
    )
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// Invitations used today and the organization's own quota, if it has one.
pub async fn quota_state(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<(i32, Option<i32>), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT o.invite_daily_quota,
                  invitations_used_today(o.id) AS "used!"
           FROM organizations o WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await?;
    Ok((row.used, row.invite_daily_quota))
}

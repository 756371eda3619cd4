//! Every SQL statement about invitations.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::access::{Granted, can};

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
        // The invitation whose link this is (its first mail's or a reminder's), or was
        // until it was sent again (then `replaced_at` says when).
        r#"SELECT i.id, i.org_id, i.email, p.role AS "role: crate::roles::Role", i.expires_at, i.accepted_at, i.revoked_at,
                  COALESCE(l.replaced_at, i.replaced_at) AS replaced_at,
                  o.name AS org_name, o.region, o.short_name, u.name AS "inviter?"
           FROM invitations i
           JOIN organizations o ON o.id = i.org_id
           JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           LEFT JOIN users u ON u.id = i.invited_by
           LEFT JOIN invitation_old_links l ON l.token_hash = $1 AND l.invitation_id = i.id
           WHERE i.id = (SELECT id FROM invitations WHERE token_hash = $1
                         UNION ALL
                         SELECT invitation_id FROM invitation_reminders WHERE token_hash = $1
                         UNION ALL
                         SELECT invitation_id FROM invitation_old_links WHERE token_hash = $1
                         LIMIT 1)"#,
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

/// A reminder that is due: the pending invitation, the planned day (the nearest one that
/// has come, when several have) and what its mail says.
pub struct DueReminder {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub email: String,
    pub role: crate::roles::Role,
    pub expires_at: DateTime<Utc>,
    pub days_before: i32,
    pub inviter: Option<String>,
    /// The invitee's own language, if they have an account; else that of the
    /// invitation's latest mail still kept.
    pub locale: Option<String>,
}

/// Up to `limit` reminders due at `now`, their invitations locked (others skip them).
/// Due: the invitation is pending and not expired at `now`, of a live organization with
/// reminders on, a planned day has come since it was sent, and no reminder of this
/// expiry was sent for that day or a nearer one.
pub async fn due_reminders(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    sqlx::query_as!(
        DueReminder,
        r#"SELECT i.id, i.org_id, o.name AS org_name, i.email,
                  p.role AS "role: crate::roles::Role", i.expires_at,
                  d.days AS "days_before!", u.name AS "inviter?",
                  COALESCE(
                      (SELECT a.locale FROM users a WHERE a.email = i.email),
                      (SELECT e.locale FROM outbox_emails e
                       WHERE e.invitation_id = i.id AND e.locale IS NOT NULL
                       ORDER BY e.id DESC LIMIT 1)) AS locale
           FROM invitations i
           JOIN organizations o ON o.id = i.org_id
           JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           LEFT JOIN org_invitation_settings s ON s.org_id = i.org_id
           LEFT JOIN users u ON u.id = i.invited_by
           CROSS JOIN LATERAL (
               SELECT min(x) AS days FROM unnest(COALESCE(s.reminder_days, '{7,1}')) AS x
               WHERE i.expires_at - make_interval(days => x) <= $1
                 AND i.expires_at - make_interval(days => x) > COALESCE(i.sent_at, i.created_at)
           ) d
           WHERE invitation_is_pending(i.accepted_at, i.revoked_at)
             AND i.expires_at > $1 AND i.expires_at <= $1 + interval '30 days'
             AND d.days IS NOT NULL
             AND organization_is_active(o)
             AND NOT EXISTS (SELECT 1 FROM invitation_reminders r
                             WHERE r.invitation_id = i.id AND r.expires_at = i.expires_at
                               AND r.days_before <= d.days)
           ORDER BY i.expires_at
           LIMIT $2
           FOR UPDATE OF i SKIP LOCKED"#,
        now,
        limit
    )
    .fetch_all(db)
    .await
}

/// The organization's reminder days; `None` when it never chose (the default).
pub async fn reminder_days(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Option<Vec<i32>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT reminder_days FROM org_invitation_settings WHERE org_id = $1",
        org_id
    )
    .fetch_optional(db)
    .await
}

pub async fn set_reminder_days(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    days: &[i32],
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        r#"INSERT INTO org_invitation_settings (org_id, reminder_days) VALUES ($1, $2)
           ON CONFLICT (org_id) DO UPDATE SET reminder_days = $2"#,
        org_id,
        days
    )
    .execute(db)
    .await?;
    Ok(())
}

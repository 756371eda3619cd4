//! Every SQL statement about a person's notifications. Each filters by the person.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct PendingRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: crate::roles::Role,
    pub expires_at: DateTime<Utc>,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub inviter: Option<String>,
}

/// Open, unexpired invitations to `user_id`'s verified address from organizations they
/// are not a member of; `only` narrows to one invitation (locked for the transaction).
pub async fn pending(
    db: impl PgExecutor<'_>,
    user_id: i64,
    only: Option<i64>,
) -> Result<Vec<PendingRow>, sqlx::Error> {
    sqlx::query_as!(
        PendingRow,
        r#"SELECT i.id, i.org_id, i.email, p.role AS "role: crate::roles::Role", i.expires_at,
                  o.name AS org_name, o.region, o.short_name, inviter.name AS "inviter?"
           FROM users u
           JOIN invitations i ON i.email = u.email AND invitation_is_open(i)
           JOIN organizations o ON o.id = i.org_id AND o.status = 'active'
           JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           LEFT JOIN users inviter ON inviter.id = i.invited_by
           WHERE u.id = $1 AND u.email_verified_at IS NOT NULL
             AND ($2::bigint IS NULL OR i.id = $2)
             AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = i.org_id AND m.user_id = u.id)
           ORDER BY i.created_at DESC
           FOR UPDATE OF i"#,
        user_id,
        only
    )
    .fetch_all(db)
    .await
}

/// "Decline": the invitation ends (its emailed link too).
pub async fn decline(db: impl PgExecutor<'_>, invitation_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE invitations i SET revoked_at = now() WHERE i.id = $1 AND invitation_is_pending(i)",
        invitation_id
    )
    .execute(db)
    .await?;
    Ok(())
}

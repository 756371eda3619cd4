//! Every SQL statement about invitations.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct InvitationRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: String,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
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
        r#"SELECT i.id, i.org_id, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at,
                  o.name AS org_name, o.region, o.short_name, u.name AS "inviter?"
           FROM invitations i
           JOIN organizations o ON o.id = i.org_id
           LEFT JOIN users u ON u.id = i.invited_by
           WHERE i.token_hash = $1"#,
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

/// Marks the invitation accepted; `false` if it was accepted or revoked meanwhile.
pub async fn mark_accepted(db: impl PgExecutor<'_>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE invitations SET accepted_at = now()
           WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()"#,
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

//! Every SQL statement about the people list. Each filters by organization.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct PersonRow {
    pub name: String,
    pub email: String,
    pub role: String,
    pub status: String,
    pub welcome_sent_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub member: bool,
}

/// The first `limit` people of an organization by name, with their latest invitation.
pub async fn list(
    db: impl PgExecutor<'_>,
    org_id: i64,
    limit: i64,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        r#"SELECT p.name, p.email, p.role, p.status, p.welcome_sent_at,
                  i.accepted_at AS "accepted_at?", i.revoked_at AS "revoked_at?",
                  i.expires_at AS "expires_at?",
                  EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS "member!"
           FROM people p
           LEFT JOIN LATERAL (
               SELECT accepted_at, revoked_at, expires_at FROM invitations
               WHERE org_id = p.org_id AND email = p.email
               ORDER BY created_at DESC LIMIT 1
           ) i ON true
           WHERE p.org_id = $1
           ORDER BY lower(p.name), p.email
           LIMIT $2"#,
        org_id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct PersonForInvite {
    pub role: String,
    pub member: bool,
}

/// Locks one person of the organization for the rest of the transaction.
pub async fn lock_person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<Option<PersonForInvite>, sqlx::Error> {
    sqlx::query_as!(
        PersonForInvite,
        r#"SELECT p.role,
                  EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS "member!"
           FROM people p WHERE p.org_id = $1 AND p.email = $2 FOR UPDATE"#,
        org_id,
        email
    )
    .fetch_optional(db)
    .await
}

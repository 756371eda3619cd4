//! Every SQL statement about the audit log. Each filters by organization.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::audit::types::AuditAction;

pub struct AuditRow {
    pub id: i64,
    pub actor_name: String,
    pub action: AuditAction,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    org_id: i64,
    actor: Option<(i64, &str)>,
    action: AuditAction,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO audit_events (org_id, actor_id, actor_name, action, subject, detail)
           VALUES ($1, $2, $3, $4, $5, $6)"#,
        org_id,
        actor.map(|a| a.0),
        actor.map(|a| a.1).unwrap_or(""),
        action.code(),
        subject,
        detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Up to `limit` events older than the event `before` (newest first), filtered by a
/// `LIKE` pattern over the actor's name, an action, and a time range `[from, to)`.
#[allow(clippy::too_many_arguments)]
pub async fn page(
    db: impl PgExecutor<'_>,
    org_id: i64,
    actor: Option<&str>,
    action: Option<AuditAction>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT id, actor_name, action AS "action: AuditAction", subject, detail, created_at
           FROM audit_events
           WHERE org_id = $1 AND id < COALESCE($2, 9223372036854775807)
             AND ($3::text IS NULL OR lower(actor_name) LIKE $3)
             AND ($4::text IS NULL OR action = $4)
             AND ($5::timestamptz IS NULL OR created_at >= $5)
             AND ($6::timestamptz IS NULL OR created_at < $6)
           ORDER BY id DESC
           LIMIT $7"#,
        org_id,
        before,
        actor,
        action.map(AuditAction::code),
        from,
        to,
        limit
    )
    .fetch_all(db)
    .await
}

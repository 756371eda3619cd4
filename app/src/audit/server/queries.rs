//! Every SQL statement about the audit log. Each filters by organization.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::audit::types::AuditAction;

pub struct AuditRow {
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

/// The newest `limit` events, newest first.
pub async fn latest(
    db: impl PgExecutor<'_>,
    org_id: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT actor_name, action AS "action: AuditAction", subject, detail, created_at
           FROM audit_events WHERE org_id = $1 ORDER BY id DESC LIMIT $2"#,
        org_id,
        limit
    )
    .fetch_all(db)
    .await
}

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

/// How many events match a filter, up to the event `up_to` (an export's total).
pub async fn count(
    db: impl PgExecutor<'_>,
    org_id: i64,
    actor: Option<&str>,
    action: Option<AuditAction>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    up_to: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_events
           WHERE org_id = $1 AND id <= $2
             AND ($3::text IS NULL OR lower(actor_name) LIKE $3)
             AND ($4::text IS NULL OR action = $4)
             AND ($5::timestamptz IS NULL OR created_at >= $5)
             AND ($6::timestamptz IS NULL OR created_at < $6)"#,
        org_id,
        up_to,
        actor,
        action.map(AuditAction::code),
        from,
        to
    )
    .fetch_one(db)
    .await
}

/// The organization's newest event's id (0 when it has none).
pub async fn newest_id(db: impl PgExecutor<'_>, org_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(max(id), 0) AS "id!" FROM audit_events WHERE org_id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await
}

/// An export as asked: its filter, format and who asked.
pub struct NewExport<'a> {
    pub org_id: i64,
    pub requested_by: i64,
    pub requested_by_name: &'a str,
    pub format: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub up_to_id: i64,
}

pub async fn insert_export(db: impl PgExecutor<'_>, e: NewExport<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO audit_exports (org_id, requested_by, requested_by_name, format, actor,
                                      action, from_day, to_day, up_to_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"#,
        e.org_id,
        e.requested_by,
        e.requested_by_name,
        e.format,
        e.actor,
        e.action,
        e.from,
        e.to,
        e.up_to_id
    )
    .fetch_one(db)
    .await
}

pub struct ExportRow {
    pub id: i64,
    pub org_id: i64,
    pub requested_by_name: String,
    pub format: String,
    pub actor: String,
    pub action: String,
    pub from_day: String,
    pub to_day: String,
    pub up_to_id: i64,
    pub state: String,
    pub total: Option<i64>,
    pub done: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// The organization's latest exports, newest first (or the one with `id`).
pub async fn exports(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: Option<i64>,
    limit: i64,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    sqlx::query_as!(
        ExportRow,
        r#"SELECT id, org_id, requested_by_name, format, actor, action, from_day, to_day,
                  up_to_id, state, total, done, bytes, created_at
           FROM audit_exports
           WHERE org_id = $1 AND ($2::bigint IS NULL OR id = $2)
           ORDER BY id DESC LIMIT $3"#,
        org_id,
        id,
        limit
    )
    .fetch_all(db)
    .await
}

/// How long an export may go without a sign of life before another worker starts it
/// again (its worker stopped).
pub const EXPORT_STALE_SECONDS: f64 = 120.0;

/// Takes the oldest export to write (or one whose worker stopped), marked running; its
/// parts written so far are dropped (it starts again).
pub async fn claim_export(db: &mut sqlx::PgConnection) -> Result<Option<ExportRow>, sqlx::Error> {
    let claimed = sqlx::query_as!(
        ExportRow,
        r#"WITH next AS (
               SELECT id FROM audit_exports
               WHERE state = 'queued'
                  OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $1))
               ORDER BY id LIMIT 1
               FOR UPDATE SKIP LOCKED
           )
           UPDATE audit_exports e SET state = 'running', heartbeat_at = now(), done = 0, bytes = 0
           FROM next WHERE e.id = next.id
           RETURNING e.id, e.org_id, e.requested_by_name, e.format, e.actor, e.action,
                     e.from_day, e.to_day, e.up_to_id, e.state, e.total, e.done, e.bytes,
                     e.created_at"#,
        EXPORT_STALE_SECONDS
    )
    .fetch_optional(&mut *db)
    .await?;
    if let Some(e) = &claimed {
        sqlx::query!("DELETE FROM audit_export_parts WHERE export_id = $1", e.id)
            .execute(&mut *db)
            .await?;
    }
    Ok(claimed)
}

pub async fn set_total(db: impl PgExecutor<'_>, id: i64, total: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE audit_exports SET total = $2 WHERE id = $1",
        id,
        total
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One part of the file, and the export's progress with it.
pub async fn add_part(
    db: impl PgExecutor<'_>,
    id: i64,
    part: i32,
    data: &[u8],
    rows: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH part AS (
               INSERT INTO audit_export_parts (export_id, part, data) VALUES ($1, $2, $3)
           )
           UPDATE audit_exports SET done = done + $4, bytes = bytes + $5, heartbeat_at = now()
           WHERE id = $1"#,
        id,
        part,
        data,
        rows,
        data.len() as i64
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn finish_export(
    db: impl PgExecutor<'_>,
    id: i64,
    state: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE audit_exports SET state = $2, finished_at = now() WHERE id = $1",
        id,
        state
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Part `part` of a finished export of the organization, if there is one.
pub async fn part(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    part: i32,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT p.data FROM audit_export_parts p
           JOIN audit_exports e ON e.id = p.export_id
           WHERE e.org_id = $1 AND e.id = $2 AND e.state = 'done' AND p.part = $3"#,
        org_id,
        id,
        part
    )
    .fetch_optional(db)
    .await
}

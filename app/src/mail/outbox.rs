use sqlx::PgExecutor;

use super::templates::Email;

/// Queues `email` for `recipient`. Call it inside the transaction of the change that
/// causes the mail, so the mail exists exactly when the change does.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    recipient: &str,
    email: &Email,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO outbox_emails (recipient, subject, body_text, body_html)
           VALUES ($1, $2, $3, $4) RETURNING id"#,
        recipient,
        email.subject,
        email.text,
        email.html
    )
    .fetch_one(db)
    .await
}

pub struct DueEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
}

/// Claims up to `limit` mails that are due. The rows stay locked until the caller's
/// transaction ends, and other workers skip them, so no mail is sent twice.
pub async fn claim_due(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<DueEmail>, sqlx::Error> {
    sqlx::query_as!(
        DueEmail,
        r#"SELECT id, recipient, subject, body_text, body_html, attempts
           FROM outbox_emails
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY id
           LIMIT $1
           FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Marks the mails `ids` as delivered to the mail server, in one statement.
pub async fn mark_sent(db: impl PgExecutor<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"UPDATE outbox_emails
           SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
           WHERE id = ANY($1)"#,
        ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_in_seconds`, or given up on (status
/// `failed`, visible to operators) when `give_up` is set.
pub async fn mark_attempt_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    retry_in_seconds: i64,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE outbox_emails
           SET attempts = attempts + 1,
               last_error = $2,
               status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => $3::double precision)
           WHERE id = $1"#,
        id,
        error,
        retry_in_seconds as f64,
        give_up
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct OutboxStatus {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The newest outbox entries, for operators and the development mailbox.
pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<OutboxStatus>, sqlx::Error> {
    sqlx::query_as!(
        OutboxStatus,
        r#"SELECT id, recipient, subject, status, attempts, last_error
           FROM outbox_emails ORDER BY id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

//! The outbox: mail is queued here in the transaction of the change that causes it and
//! sent by the server's worker. Bodies are sealed at rest and erased once the mail is
//! delivered or given up on (see `seal`).

use sqlx::PgExecutor;

use super::seal;
use super::templates::Email;
use crate::state::SecretKey;

/// Queues `email` for `recipient`. Call it inside the transaction of the change that
/// causes the mail, so the mail exists exactly when the change does.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    key: &SecretKey,
    recipient: &str,
    email: &Email,
) -> Result<i64, sqlx::Error> {
    enqueue_for(db, key, recipient, email, None).await
}

/// `enqueue` for the mail of invitation `invitation_id`: if it finally cannot be
/// delivered, the invitation ends and the person's row says so.
pub async fn enqueue_for(
    db: impl PgExecutor<'_>,
    key: &SecretKey,
    recipient: &str,
    email: &Email,
    invitation_id: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let sealed = seal::seal(key, &email.text, &email.html);
    sqlx::query_scalar!(
        r#"INSERT INTO outbox_emails (recipient, subject, body_sealed, invitation_id, locale)
           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
        recipient,
        email.subject,
        sealed,
        invitation_id,
        email.locale.code()
    )
    .fetch_one(db)
    .await
}

/// A due mail as stored: its body sealed (or, for mail queued before sealing existed,
/// in the clear).
pub struct DueRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    /// The mail's language (`None` for mail queued before it was recorded).
    pub locale: Option<String>,
    pub body_sealed: Option<Vec<u8>>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub attempts: i32,
    /// Seconds since the mail was queued (the retry horizon counts from here).
    pub age_seconds: i64,
}

/// Claims up to `limit` mails that are due. The rows stay locked until the caller's
/// transaction ends, and other workers skip them, so no mail is sent twice.
pub async fn claim_due(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<DueRow>, sqlx::Error> {
    sqlx::query_as!(
        DueRow,
        r#"SELECT id, recipient, subject, locale, body_sealed, body_text, body_html, attempts,
                  EXTRACT(EPOCH FROM now() - created_at)::bigint AS "age_seconds!"
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

/// Marks the mails `ids` as delivered to the mail server, in one statement, and erases
/// their bodies.
pub async fn mark_sent(db: impl PgExecutor<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"UPDATE outbox_emails
           SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL,
               body_sealed = NULL, body_text = NULL, body_html = NULL
           WHERE id = ANY($1)"#,
        ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt, retried after `retry_in_seconds`.
pub async fn mark_attempt_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    retry_in_seconds: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE outbox_emails
           SET attempts = attempts + 1, last_error = $2,
               next_attempt_at = now() + make_interval(secs => $3::double precision)
           WHERE id = $1"#,
        id,
        error,
        retry_in_seconds as f64
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Gives up on a mail for good (status `failed`, body erased). Answers the invitation
/// it carried, if any: the caller ends it as not delivered (`roster`).
pub async fn give_up(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE outbox_emails
           SET status = 'failed', attempts = attempts + 1, last_error = $2,
               body_sealed = NULL, body_text = NULL, body_html = NULL
           WHERE id = $1
           RETURNING invitation_id"#,
        id,
        error
    )
    .fetch_one(db)
    .await
}

/// Commits the transaction that queued mail, then wakes the outbox worker so the mail
/// leaves now instead of at its next poll. (Woken before the commit, the worker would
/// find nothing yet.)
pub async fn commit_and_send(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    state: &crate::state::AppState,
) -> Result<(), sqlx::Error> {
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

//! What an operator watches that only the database knows: the work waiting in the
//! outbox, the activation jobs and the Invite All batches, across all instances.

use sqlx::PgPool;

/// Waiting work, read when `/metrics` is scraped.
#[derive(Clone, Debug, Default)]
pub struct Backlog {
    pub mail_pending: i64,
    /// Age of the oldest mail not yet sent (0 when none waits).
    pub mail_oldest_seconds: f64,
    pub mail_failed: i64,
    pub activations_running: i64,
    pub activation_oldest_seconds: f64,
    pub invite_all_open: i64,
    pub invite_all_oldest_seconds: f64,
}

pub async fn backlog(pool: &PgPool) -> Result<Backlog, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM outbox_emails WHERE status = 'pending') AS "mail_pending!",
             (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
              FROM outbox_emails WHERE status = 'pending') AS "mail_oldest!",
             (SELECT count(*) FROM outbox_emails WHERE status = 'failed') AS "mail_failed!",
             (SELECT count(*) FROM activation_jobs WHERE status = 'running') AS "jobs!",
             (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
              FROM activation_jobs WHERE status = 'running') AS "jobs_oldest!",
             (SELECT count(*) FROM invite_batches WHERE finished_at IS NULL) AS "batches!",
             (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
              FROM invite_batches WHERE finished_at IS NULL) AS "batches_oldest!""#
    )
    .fetch_one(pool)
    .await?;
    Ok(Backlog {
        mail_pending: row.mail_pending,
        mail_oldest_seconds: row.mail_oldest,
        mail_failed: row.mail_failed,
        activations_running: row.jobs,
        activation_oldest_seconds: row.jobs_oldest,
        invite_all_open: row.batches,
        invite_all_oldest_seconds: row.batches_oldest,
    })
}

/// The newest migration this database has applied successfully (sqlx's own table).
pub async fn applied_migration(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar::<_, Option<i64>>("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
}

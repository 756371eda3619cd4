//! The failed-attempt counters behind `throttle.rs`.

use sqlx::PgExecutor;

pub struct FailureCount {
    pub failures: i64,
    /// Minutes until the oldest failure in the window stops counting.
    pub minutes_left: i64,
}

pub async fn count_recent_failures(
    db: impl PgExecutor<'_>,
    scope: &str,
    window_minutes: i64,
) -> Result<FailureCount, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "failures!",
                  COALESCE(CEIL(EXTRACT(EPOCH FROM (min(failed_at)
                      + make_interval(mins => $2::int) - now())) / 60), 0)::bigint AS "minutes_left!"
           FROM auth_failures
           WHERE scope = $1 AND failed_at > now() - make_interval(mins => $2::int)"#,
        scope,
        window_minutes as i32
    )
    .fetch_one(db)
    .await?;
    Ok(FailureCount {
        failures: row.failures,
        minutes_left: row.minutes_left,
    })
}

/// Waits for (and, until the transaction ends, holds) the lock of one throttle scope.
pub async fn lock_scope(db: impl PgExecutor<'_>, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('auth_failures:' || $1, 0))",
        scope
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

pub async fn record_failure(db: impl PgExecutor<'_>, scope: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO auth_failures (scope) VALUES ($1) RETURNING id",
        scope
    )
    .fetch_one(db)
    .await
}

pub async fn delete_failures(db: impl PgExecutor<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM auth_failures WHERE id = ANY($1)", ids)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn clear_failures(db: impl PgExecutor<'_>, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM auth_failures WHERE scope = $1", scope)
        .execute(db)
        .await?;
    Ok(())
}

//! Every SQL statement of the import: the imports, their rows, and the worker's claim
//! and progress. Each filters by organization or by an import of it.

use sqlx::PgExecutor;

use crate::roles::Role;

pub async fn insert_import(
    db: impl PgExecutor<'_>,
    org_id: i64,
    created_by: i64,
    file_name: &str,
    invite_now: bool,
    total: i32,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO people_imports (org_id, created_by, file_name, invite_now, total)
           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
        org_id,
        created_by,
        file_name,
        invite_now,
        total
    )
    .fetch_one(db)
    .await
}

/// The checked rows, in columns (one statement however many rows).
#[derive(Default)]
pub struct Rows {
    pub lines: Vec<i32>,
    pub names: Vec<String>,
    pub emails: Vec<String>,
    pub roles: Vec<String>,
    pub outcomes: Vec<String>,
    pub details: Vec<Option<String>>,
}

pub async fn insert_rows(
    db: impl PgExecutor<'_>,
    import_id: i64,
    rows: &Rows,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO people_import_rows (import_id, line, name, email, role, outcome, detail)
           SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])"#,
        import_id,
        &rows.lines,
        &rows.names,
        &rows.emails,
        &rows.roles,
        &rows.outcomes,
        &rows.details as &[Option<String>]
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_rows(db: impl PgExecutor<'_>, import_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM people_import_rows WHERE import_id = $1",
        import_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The people of the organization with one of these addresses, and their roles.
pub async fn existing_people(
    db: impl PgExecutor<'_>,
    org_id: i64,
    emails: &[String],
) -> Result<Vec<(String, Role)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT email, role AS "role: Role" FROM people
           WHERE org_id = $1 AND email = ANY($2::text[])"#,
        org_id,
        emails
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.email, r.role)).collect())
}

pub struct ImportHead {
    pub id: i64,
    pub file_name: String,
    pub invite_now: bool,
    pub total: i32,
    pub state: String,
    pub done: i32,
    pub problem: Option<String>,
}

/// An import of the organization, if it has one with this id.
pub async fn head(
    db: impl PgExecutor<'_>,
    org_id: i64,
    import_id: i64,
) -> Result<Option<ImportHead>, sqlx::Error> {
    sqlx::query_as!(
        ImportHead,
        r#"SELECT id, file_name, invite_now, total, state, done, problem
           FROM people_imports WHERE org_id = $1 AND id = $2"#,
        org_id,
        import_id
    )
    .fetch_optional(db)
    .await
}

/// How many rows have each outcome.
pub async fn counts(
    db: impl PgExecutor<'_>,
    import_id: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT outcome, count(*) AS "n!" FROM people_import_rows
           WHERE import_id = $1 GROUP BY outcome"#,
        import_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.outcome, r.n)).collect())
}

/// How many rows have `outcome`.
pub async fn count_of(
    db: impl PgExecutor<'_>,
    import_id: i64,
    outcome: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM people_import_rows
           WHERE import_id = $1 AND outcome = $2"#,
        import_id,
        outcome
    )
    .fetch_one(db)
    .await
}

pub struct StoredRow {
    pub line: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub outcome: String,
    pub detail: Option<String>,
}

/// Up to `limit` rows after line `after`, of one outcome or all.
pub async fn rows(
    db: impl PgExecutor<'_>,
    import_id: i64,
    outcome: Option<&str>,
    after: i32,
    limit: i64,
) -> Result<Vec<StoredRow>, sqlx::Error> {
    sqlx::query_as!(
        StoredRow,
        r#"SELECT line, name, email, role, outcome, detail FROM people_import_rows
           WHERE import_id = $1 AND ($2::text IS NULL OR outcome = $2) AND line > $3
           ORDER BY line LIMIT $4"#,
        import_id,
        outcome,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// The rows the import leaves out because of a problem, in the file's order.
pub async fn rejected_rows(
    db: impl PgExecutor<'_>,
    import_id: i64,
) -> Result<Vec<StoredRow>, sqlx::Error> {
    sqlx::query_as!(
        StoredRow,
        r#"SELECT line, name, email, role, outcome, detail FROM people_import_rows
           WHERE import_id = $1
             AND outcome IN ('invalid', 'duplicate', 'over_seats', 'over_quota')
           ORDER BY line"#,
        import_id
    )
    .fetch_all(db)
    .await
}

/// The import, locked until the transaction ends (a check again or a start waits for
/// another).
pub async fn lock(
    db: impl PgExecutor<'_>,
    org_id: i64,
    import_id: i64,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT state, invite_now FROM people_imports
           WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
        org_id,
        import_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.state, r.invite_now)))
}

/// Checked again: the rows' outcomes are new, the problem is gone.
pub async fn set_checked(db: impl PgExecutor<'_>, import_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people_imports SET state = 'checked', problem = NULL, problem_line = NULL,
               done = 0, checked_at = now()
           WHERE id = $1"#,
        import_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_queued(
    db: impl PgExecutor<'_>,
    import_id: i64,
    started_by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people_imports SET state = 'queued', started_by = $2, done = 0
           WHERE id = $1"#,
        import_id,
        started_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An import a worker takes on.
pub struct Job {
    pub id: i64,
    pub org_id: i64,
    pub file_name: String,
    pub invite_now: bool,
    pub started_by: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_locale: Option<String>,
}

/// How long an import may go without a sign of life before another worker takes it
/// over (its worker stopped; its transaction was rolled back).
pub const STALE_SECONDS: f64 = 120.0;

/// Takes the oldest queued import (or one whose worker stopped): it is the caller's,
/// marked importing, once this commits.
pub async fn claim(db: impl PgExecutor<'_>) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"WITH next AS (
               SELECT id FROM people_imports
               WHERE state = 'queued'
                  OR (state = 'importing'
                      AND heartbeat_at < now() - make_interval(secs => $1))
               ORDER BY id LIMIT 1
               FOR UPDATE SKIP LOCKED
           )
           UPDATE people_imports i SET state = 'importing', heartbeat_at = now(), done = 0
           FROM next WHERE i.id = next.id
           RETURNING i.id, i.org_id, i.file_name, i.invite_now, i.started_by,
                     (SELECT name FROM users u WHERE u.id = i.started_by) AS actor_name,
                     (SELECT locale FROM users u WHERE u.id = i.started_by) AS actor_locale"#,
        STALE_SECONDS
    )
    .fetch_optional(db)
    .await
}

/// Holds the import for the transaction (a key-share lock: its progress may still be
/// written, but no worker claims it while this transaction lives).
pub async fn hold(db: impl PgExecutor<'_>, import_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT id FROM people_imports WHERE id = $1 FOR KEY SHARE",
        import_id
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// A sign of life, with how many rows are written (outside the import's transaction:
/// the page reads it while the import runs).
pub async fn progress(
    db: impl PgExecutor<'_>,
    import_id: i64,
    done: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people_imports SET done = $2, heartbeat_at = now() WHERE id = $1",
        import_id,
        done
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn finish(db: impl PgExecutor<'_>, import_id: i64, done: i32) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people_imports SET state = 'imported', done = $2, finished_at = now()
           WHERE id = $1"#,
        import_id,
        done
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The import wrote nothing: why (a field error as JSON) and at which line.
pub async fn fail(
    db: impl PgExecutor<'_>,
    import_id: i64,
    problem: &str,
    line: Option<i32>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people_imports SET state = 'failed', problem = $2, problem_line = $3,
               done = 0, finished_at = now()
           WHERE id = $1"#,
        import_id,
        problem,
        line
    )
    .execute(db)
    .await?;
    Ok(())
}

//! The import worker: writes an import's rows to be added in one transaction, a chunk
//! of rows per statement, telling the page its progress between chunks. If any row can
//! no longer be added (someone added that address since the dry run), or the seats or
//! today's invitations no longer suffice, nothing is written and the import says why.

use std::time::Duration;

use super::queries::{self, Job};
use crate::access::lock_org;
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::error::{AppError, FieldError};
use crate::invite_all::server::service::queue_imported;
use crate::roster::server::service as roster;
use crate::state::AppState;

/// Rows inserted per statement.
pub const CHUNK: i64 = 5_000;
const POLL: Duration = Duration::from_secs(1);

/// Runs forever: imports as they are started.
pub async fn worker(state: AppState) {
    let wakeup = state.imports_wakeup.clone();
    crate::worker::run_forever("import", &wakeup, POLL, || run_once(&state)).await;
}

/// Why an import wrote nothing.
enum Stop {
    /// Something the admin can see and fix: the problem, and the line it is about.
    Refused(FieldError, Option<i32>),
    Failed(sqlx::Error),
}

impl From<sqlx::Error> for Stop {
    fn from(err: sqlx::Error) -> Self {
        Stop::Failed(err)
    }
}

impl From<AppError> for Stop {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation(mut errors) if !errors.is_empty() => {
                Stop::Refused(errors.swap_remove(0), None)
            }
            _ => Stop::Refused(FieldError::new("form", "import.failed"), None),
        }
    }
}

/// Runs one import that was started. `Ok(false)` when there was none.
pub async fn run_once(state: &AppState) -> Result<bool, sqlx::Error> {
    let Some(job) = queries::claim(&state.pool).await? else {
        return Ok(false);
    };
    let (problem, line) = match import(state, &job).await {
        Ok(()) => return Ok(true),
        Err(Stop::Refused(problem, line)) => (problem, line),
        Err(Stop::Failed(err)) => {
            tracing::error!(%err, import = job.id, "people import");
            (FieldError::new("form", "import.failed"), None)
        }
    };
    let problem = serde_json::to_string(&problem).unwrap_or_default();
    queries::fail(&state.pool, job.id, &problem, line).await?;
    Ok(true)
}

async fn import(state: &AppState, job: &Job) -> Result<(), Stop> {
    let (Some(user_id), Some(name)) = (job.started_by, job.actor_name.as_deref()) else {
        // Whoever pressed Import has no account any more.
        return Err(Stop::Refused(
            FieldError::new("form", "import.failed"),
            None,
        ));
    };
    let started = std::time::Instant::now();
    let mut tx = state.pool.begin().await?;
    // While this transaction lives, no other worker takes the import over, however long
    // a statement takes (its progress is written beside it, and does not wait for it).
    queries::hold(&mut *tx, job.id).await?;
    // People added and seats taken in this organization wait for the import.
    lock_org(&mut tx, job.org_id).await?;
    let (mut after, mut done) = (0, 0);
    let mut added = Vec::new();
    loop {
        let chunk =
            roster::insert_imported(&mut *tx, job.org_id, job.id, after, CHUNK, Some(user_id))
                .await?;
        if let Some((line, _)) = chunk.iter().find(|(_, person)| person.is_none()) {
            // Dropping the transaction rolls every chunk back.
            let problem =
                FieldError::new("form", "import.changed_since_check").with_arg("line", line);
            return Err(Stop::Refused(problem, Some(*line)));
        }
        done += chunk.len() as i32;
        added.extend(chunk.iter().filter_map(|(_, person)| *person));
        let Some((last, _)) = chunk.last() else { break };
        after = *last;
        queries::progress(&state.pool, job.id, done).await?;
        if (chunk.len() as i64) < CHUNK {
            break;
        }
    }
    let written = started.elapsed();
    let locale = job.actor_locale.as_deref().unwrap_or("en");
    if job.invite_now {
        queue_imported(&mut tx, state, job.org_id, (user_id, name, locale), &added).await?;
    }
    let detail = done.to_string();
    audit::record(
        &mut *tx,
        job.org_id,
        Some((user_id, name)),
        AuditAction::PeopleImported,
        Some(&job.file_name),
        Some(&detail),
    )
    .await?;
    queries::finish(&mut *tx, job.id, done).await?;
    let queued = started.elapsed();
    tx.commit().await?;
    tracing::info!(
        import = job.id,
        rows = done,
        written_ms = written.as_millis() as u64,
        queued_ms = queued.as_millis() as u64,
        committed_ms = started.elapsed().as_millis() as u64,
        "people import"
    );
    if job.invite_now {
        state.batches_wakeup.notify_one();
    }
    Ok(())
}

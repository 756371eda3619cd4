//! Import rules: only members who may invite import, and only roles they may give; the
//! dry run writes nothing but the import's own rows; the import writes every row to be
//! added, in one transaction, or none (see `worker`). Checking and importing are audited.

use std::collections::HashMap;

use super::queries::{self, Rows, StoredRow};
use crate::access::{Granted, Member, can, plan_facts};
use crate::audit::server::service as audit;
use crate::audit::types::AuditAction;
use crate::cells::spreadsheet_safe;
use crate::error::{AppError, FieldError};
use crate::i18n::{Locale, tr};
use crate::import::file::{self, Facts, FileRow};
use crate::import::types::{
    ImportProgress, ImportReport, ImportRow, ImportStart, ImportState, Outcome, ROWS_PER_PAGE,
    RowDetail,
};
use crate::invitations::server::service::quota_left;
use crate::roles::Role;
use crate::state::AppState;

/// An uploaded file and what to do with the people it adds.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub invite_now: bool,
}

/// The upload page (for those who may invite).
pub async fn start_page(state: &AppState, member: &Member) -> Result<ImportStart, AppError> {
    member.require(state, can::Invite).await?;
    Ok(ImportStart {
        org_name: member.org_name.clone(),
        org_home: member.home(),
        max_rows: file::MAX_ROWS,
    })
}

/// The dry run: reads the file, decides each row's outcome against the organization as
/// it is now, and keeps the rows with their outcomes. Returns the import's id. Writes
/// nothing else (but its audit entry).
pub async fn check(state: &AppState, member: &Member, upload: Upload) -> Result<i64, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let rows = file::read(&upload.bytes)?;
    let file_name = file_name(&upload.file_name);
    let total = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let mut tx = state.pool.begin().await?;
    let import_id = queries::insert_import(
        &mut *tx,
        granted.org_id(),
        granted.user_id(),
        &file_name,
        upload.invite_now,
        total,
    )
    .await?;
    store_outcomes(&mut tx, state, &granted, import_id, rows, upload.invite_now).await?;
    audit::record(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::PeopleImportChecked,
        Some(&file_name),
        Some(&total.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(import_id)
}

/// A file's name as the page shows it: its last part, without control characters, at
/// most 200 characters.
fn file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "people.csv".to_owned()
    } else {
        clean
    }
}

/// Decides the rows' outcomes against the organization now and stores them.
async fn store_outcomes(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    granted: &Granted<can::Invite>,
    import_id: i64,
    rows: Vec<FileRow>,
    invite_now: bool,
) -> Result<(), AppError> {
    let org_id = granted.org_id();
    let emails: Vec<String> = rows.iter().map(|r| r.email.trim().to_lowercase()).collect();
    let existing: HashMap<String, Role> = queries::existing_people(&mut *tx, org_id, &emails)
        .await?
        .into_iter()
        .collect();
    let plan = plan_facts(&mut *tx, org_id).await?;
    let quota = quota_left(&mut *tx, state, org_id).await?;
    let may_grant = |role: Role| granted.may_grant(role).is_ok();
    let checked = file::check(
        rows,
        &Facts {
            existing: &existing,
            invite_now,
            seats_left: (i64::from(plan.seats) - plan.seats_used()).max(0),
            quota_left: quota,
            may_grant: &may_grant,
        },
    );
    let mut columns = Rows::default();
    for row in checked {
        columns.details.push(row.detail.stored());
        columns.lines.push(row.line);
        columns.names.push(row.name);
        columns.emails.push(row.email);
        columns.roles.push(row.role);
        columns.outcomes.push(row.outcome.code().to_owned());
    }
    queries::insert_rows(&mut *tx, import_id, &columns).await?;
    Ok(())
}

/// The import, locked, in a state that allows `action` (else 409 naming why).
async fn locked(
    tx: &mut sqlx::PgConnection,
    member: &Member,
    import_id: i64,
    allowed: &[ImportState],
) -> Result<bool, AppError> {
    let (state, invite_now) = queries::lock(&mut *tx, member.org_id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let state = ImportState::from_code(&state).ok_or(AppError::Internal)?;
    if !allowed.contains(&state) {
        return Err(AppError::Conflict(
            match state {
                ImportState::Imported => "import.already_imported",
                _ => "import.already_running",
            }
            .into(),
        ));
    }
    Ok(invite_now)
}

/// "Check again": the stored rows' outcomes against the organization as it is now (after
/// a failed import, or when things changed since the dry run).
pub async fn check_again(
    state: &AppState,
    member: &Member,
    import_id: i64,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    let invite_now = locked(
        &mut tx,
        member,
        import_id,
        &[ImportState::Checked, ImportState::Failed],
    )
    .await?;
    let rows = queries::rows(&mut *tx, import_id, None, 0, i64::MAX)
        .await?
        .into_iter()
        .map(|r| FileRow {
            line: r.line,
            name: r.name,
            email: r.email,
            role: r.role,
        })
        .collect();
    queries::delete_rows(&mut *tx, import_id).await?;
    store_outcomes(&mut tx, state, &granted, import_id, rows, invite_now).await?;
    queries::set_checked(&mut *tx, import_id).await?;
    tx.commit().await?;
    Ok(())
}

/// "Import": the worker writes the rows to be added (see `worker`).
pub async fn start(state: &AppState, member: &Member, import_id: i64) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let mut tx = state.pool.begin().await?;
    locked(&mut tx, member, import_id, &[ImportState::Checked]).await?;
    let adds = queries::rows(&mut *tx, import_id, Some(Outcome::Add.code()), 0, 1).await?;
    if adds.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "form",
            "import.nothing_to_add",
        )]));
    }
    queries::set_queued(&mut *tx, import_id, granted.user_id()).await?;
    tx.commit().await?;
    state.imports_wakeup.notify_one();
    Ok(())
}

/// The dry run's report: totals, and one page of rows (of one outcome, or all).
pub async fn report(
    state: &AppState,
    member: &Member,
    import_id: i64,
    outcome: Option<&str>,
    after: Option<i32>,
) -> Result<ImportReport, AppError> {
    member.require(state, can::Invite).await?;
    let outcome = outcome.and_then(Outcome::from_code);
    let mut db = state.pool.acquire().await?;
    let head = queries::head(&mut *db, member.org_id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let counts: HashMap<String, i64> = queries::counts(&mut *db, import_id)
        .await?
        .into_iter()
        .collect();
    let page = ROWS_PER_PAGE as i64;
    let mut rows = queries::rows(
        &mut *db,
        import_id,
        outcome.map(Outcome::code),
        after.unwrap_or(0),
        page + 1,
    )
    .await?;
    let next = (rows.len() as i64 > page).then(|| {
        rows.truncate(ROWS_PER_PAGE);
        rows.last().map_or(0, |r| r.line)
    });
    Ok(ImportReport {
        org_name: member.org_name.clone(),
        org_home: member.home(),
        id: head.id,
        file_name: head.file_name,
        invite_now: head.invite_now,
        total: head.total.into(),
        state: ImportState::from_code(&head.state).ok_or(AppError::Internal)?,
        done: head.done.into(),
        problem: head
            .problem
            .and_then(|p| serde_json::from_str::<FieldError>(&p).ok()),
        counts: Outcome::ALL
            .into_iter()
            .map(|o| (o, counts.get(o.code()).copied().unwrap_or(0)))
            .collect(),
        rows: rows.into_iter().filter_map(row_view).collect(),
        outcome,
        next,
    })
}

/// Where an import is, while it runs.
pub async fn progress(
    state: &AppState,
    member: &Member,
    import_id: i64,
) -> Result<ImportProgress, AppError> {
    member.require(state, can::Invite).await?;
    let mut db = state.pool.acquire().await?;
    let head = queries::head(&mut *db, member.org_id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to_add = queries::count_of(&mut *db, import_id, Outcome::Add.code()).await?;
    Ok(ImportProgress {
        state: ImportState::from_code(&head.state).ok_or(AppError::Internal)?,
        done: head.done.into(),
        to_add,
    })
}

fn row_view(r: StoredRow) -> Option<ImportRow> {
    let outcome = Outcome::from_code(&r.outcome)?;
    Some(ImportRow {
        line: r.line,
        name: r.name,
        email: r.email,
        role: r.role,
        outcome,
        detail: RowDetail::from_stored(outcome, r.detail.as_deref()),
    })
}

/// The rejected rows as a CSV file in `locale` (line, name, email, role, reason), cells
/// a spreadsheet would run as formulas written as text. Returns the file's name too.
pub async fn rejected_csv(
    state: &AppState,
    member: &Member,
    import_id: i64,
    locale: Locale,
) -> Result<(String, String), AppError> {
    member.require(state, can::Invite).await?;
    let mut db = state.pool.acquire().await?;
    let head = queries::head(&mut *db, member.org_id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = queries::rejected_rows(&mut *db, import_id).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "import.column_line",
        "import.column_name",
        "import.column_email",
        "import.column_role",
        "import.column_reason",
    ]
    .map(|key| tr(locale, key));
    let write = |out: &mut csv::Writer<Vec<u8>>, cells: [String; 5]| {
        out.write_record(cells.iter().map(|c| spreadsheet_safe(c)))
            .map_err(AppError::internal)
    };
    write(&mut out, header)?;
    for row in rows.into_iter().filter_map(row_view) {
        let reason = row.reason(locale);
        write(
            &mut out,
            [row.line.to_string(), row.name, row.email, row.role, reason],
        )?;
    }
    let bytes = out.into_inner().map_err(AppError::internal)?;
    let text = String::from_utf8(bytes).map_err(AppError::internal)?;
    let stem = head.file_name.trim_end_matches(".csv");
    Ok((format!("{stem}-rejected.csv"), format!("\u{FEFF}{text}")))
}

//! Exports of the audit log: a filtered range of entries (the audit page's filter) as
//! CSV or JSON lines, written in the background a part at a time, so the page shows the
//! progress and the download streams the parts in order. Asking for one is audited, and
//! the export holds the entries up to that very entry. Kept 7 days (housekeeping).

use std::time::Duration;

use super::queries::{self, ExportRow, NewExport};
use super::service::{Checked, entry};
use crate::access::{Member, can};
use crate::audit::types::{AuditAction, AuditExport, AuditFilter, ExportFormat, ExportState};
use crate::cells::spreadsheet_safe;
use crate::error::AppError;
use crate::paging;
use crate::state::AppState;

/// Entries per part of the file.
pub const PART: i64 = 5_000;
/// Exports the audit page lists.
const LISTED: i64 = 5;
const POLL: Duration = Duration::from_secs(1);

/// "Export": the entries that match `filter` now, as `format` (for those who may read
/// the audit log). Audited, in the same transaction.
pub async fn start(
    state: &AppState,
    member: &Member,
    filter: &AuditFilter,
    format: &str,
) -> Result<(), AppError> {
    let granted = member.require(state, can::Invite).await?;
    let format = ExportFormat::from_code(format)
        .ok_or_else(|| AppError::field("format", "errors.audit_export_format"))?;
    Checked::parse(filter, None, None)?;
    let mut tx = state.pool.begin().await?;
    let detail = filter.query();
    queries::insert(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::AuditExported,
        Some(format.code()),
        (!detail.is_empty()).then_some(detail.as_str()),
    )
    .await?;
    let up_to_id = queries::newest_id(&mut *tx, granted.org_id()).await?;
    queries::insert_export(
        &mut *tx,
        NewExport {
            org_id: granted.org_id(),
            requested_by: member.actor.user_id,
            requested_by_name: &member.actor.name,
            format: format.code(),
            actor: &filter.actor,
            action: &filter.action,
            from: &filter.from,
            to: &filter.to,
            up_to_id,
        },
    )
    .await?;
    tx.commit().await?;
    state.exports_wakeup.notify_one();
    Ok(())
}

/// The organization's latest exports, for the audit page (read on its connection).
pub async fn latest(
    db: impl sqlx::PgExecutor<'_>,
    member: &Member,
) -> Result<Vec<AuditExport>, AppError> {
    let home = member.home();
    Ok(queries::exports(db, member.org_id, None, LISTED)
        .await?
        .into_iter()
        .map(|row| view(row, &home))
        .collect())
}

/// One export, while the page follows its progress.
pub async fn one(state: &AppState, member: &Member, id: i64) -> Result<AuditExport, AppError> {
    member.require(state, can::Invite).await?;
    let home = member.home();
    queries::exports(&state.pool, member.org_id, Some(id), 1)
        .await?
        .into_iter()
        .next()
        .map(|row| view(row, &home))
        .ok_or(AppError::NotFound)
}

/// Where an export's file downloads.
pub fn download_path(org_home: &str, id: i64) -> String {
    format!("{org_home}/people/audit/exports/{id}")
}

/// The filter an export was asked with.
fn filter_of(row: &ExportRow) -> AuditFilter {
    AuditFilter {
        actor: row.actor.clone(),
        action: row.action.clone(),
        from: row.from_day.clone(),
        to: row.to_day.clone(),
    }
}

fn view(row: ExportRow, home: &str) -> AuditExport {
    AuditExport {
        id: row.id,
        format: ExportFormat::from_code(&row.format).unwrap_or(ExportFormat::Csv),
        filter: filter_of(&row),
        state: ExportState::from_code(&row.state),
        total: row.total,
        done: row.done,
        bytes: row.bytes,
        when: row.created_at.format("%Y-%m-%d %H:%M").to_string(),
        by: row.requested_by_name,
        href: download_path(home, row.id),
    }
}

/// A finished export's format and the file name it downloads as (for those who may
/// read the audit log); its parts then come one at a time from [`part`].
pub async fn download(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<(ExportFormat, String), AppError> {
    let export = one(state, member, id).await?;
    if export.state != ExportState::Done {
        return Err(AppError::NotFound);
    }
    let name = format!(
        "audit-{}-{}.{}",
        member.short_name,
        export.id,
        export.format.code()
    );
    Ok((export.format, name))
}

/// Part `n` of a finished export of the organization (`None` past the last).
pub async fn part(
    state: &AppState,
    org_id: i64,
    id: i64,
    n: i32,
) -> Result<Option<Vec<u8>>, AppError> {
    Ok(queries::part(&state.pool, org_id, id, n).await?)
}

/// Runs forever: writes exports as they are asked for.
pub async fn worker(state: AppState) {
    let wakeup = state.exports_wakeup.clone();
    crate::worker::run_forever("audit-export", &wakeup, POLL, || run_once(&state)).await;
}

/// Writes one export. `Ok(false)` when none was waiting.
pub async fn run_once(state: &AppState) -> Result<bool, sqlx::Error> {
    let claimed = {
        let mut db = state.pool.acquire().await?;
        queries::claim_export(&mut db).await?
    };
    let Some(export) = claimed else {
        return Ok(false);
    };
    let finished = match write(state, &export).await {
        Ok(()) => "done",
        Err(err) => {
            tracing::error!(%err, export = export.id, "audit export");
            "failed"
        }
    };
    queries::finish_export(&state.pool, export.id, finished).await?;
    Ok(true)
}

async fn write(state: &AppState, export: &ExportRow) -> Result<(), sqlx::Error> {
    let filter = filter_of(export);
    let Ok(checked) = Checked::parse(&filter, None, None) else {
        // Checked when asked for: cannot happen but by a change of the rules since.
        return Err(sqlx::Error::Protocol(
            "the export's filter no longer reads".into(),
        ));
    };
    let actor = paging::contains(Some(&filter.actor));
    let (org_id, actor) = (export.org_id, actor.as_deref());
    let total = queries::count(
        &state.pool,
        org_id,
        actor,
        checked.action,
        checked.from,
        checked.to,
        export.up_to_id,
    )
    .await?;
    queries::set_total(&state.pool, export.id, total).await?;
    let format = ExportFormat::from_code(&export.format).unwrap_or(ExportFormat::Csv);
    let (mut before, mut n) = (Some(export.up_to_id + 1), 0);
    loop {
        let rows = queries::page(
            &state.pool,
            org_id,
            actor,
            checked.action,
            checked.from,
            checked.to,
            before,
            PART,
        )
        .await?;
        let count = rows.len() as i64;
        before = rows.last().map(|r| r.id);
        let data = encode(format, n == 0, rows.into_iter().map(entry));
        if !data.is_empty() {
            queries::add_part(&state.pool, export.id, n, &data, count).await?;
            n += 1;
        }
        if count < PART {
            return Ok(());
        }
    }
}

/// Entries as a part of the file (a CSV file's first part starts with its header).
fn encode(
    format: ExportFormat,
    first: bool,
    entries: impl Iterator<Item = crate::audit::types::AuditEntry>,
) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        ExportFormat::JsonLines => {
            for e in entries {
                if serde_json::to_writer(&mut out, &e).is_ok() {
                    out.push(b'\n');
                }
            }
        }
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(&mut out);
            if first {
                let _ = w.write_record(["id", "at", "actor", "action", "subject", "detail"]);
            }
            for e in entries {
                let cells = [
                    e.id.to_string(),
                    e.at,
                    e.actor,
                    e.action.code().to_owned(),
                    e.subject.unwrap_or_default(),
                    e.detail.unwrap_or_default(),
                ];
                let _ = w.write_record(cells.iter().map(|c| spreadsheet_safe(c)));
            }
            let _ = w.flush();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::types::AuditEntry;

    fn entry(id: i64, actor: &str) -> AuditEntry {
        AuditEntry {
            id,
            at: "2026-12-07T10:00:00Z".into(),
            when: "2026-12-07 10:00".into(),
            actor: actor.into(),
            action: AuditAction::PersonAdded,
            subject: Some("a@example.com".into()),
            detail: None,
        }
    }

    #[test]
    fn csv_parts_have_one_header_and_no_formulas() {
        let first = encode(ExportFormat::Csv, true, [entry(2, "=cmd()")].into_iter());
        let next = encode(ExportFormat::Csv, false, [entry(1, "Olga")].into_iter());
        let text = String::from_utf8([first, next].concat()).unwrap();
        assert_eq!(
            text,
            "id,at,actor,action,subject,detail\n\
             2,2026-12-07T10:00:00Z,'=cmd(),person_added,a@example.com,\n\
             1,2026-12-07T10:00:00Z,Olga,person_added,a@example.com,\n"
        );
    }

    #[test]
    fn json_lines_are_one_entry_per_line() {
        let out = encode(
            ExportFormat::JsonLines,
            true,
            [entry(2, "Olga"), entry(1, "Ada")].into_iter(),
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "person_added");
        assert_eq!(lines[1]["actor"], "Ada");
    }
}

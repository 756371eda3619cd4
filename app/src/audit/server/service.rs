//! Recording to the audit log, and reading it: paged and filtered, for the audit page and
//! for programs (`GET /api/v1/audit`).

use chrono::{DateTime, NaiveDate, Utc};

use super::queries;
use crate::access::{Member, can};
use crate::audit::types::{AuditAction, AuditEntry, AuditFilter, AuditPage};
use crate::error::{AppError, FieldError};
use crate::paging::{self, Page};
use crate::state::AppState;

/// Records that `actor` (user id, name; `None` for the system) did `action` in
/// `org_id`. Call it in the transaction of the change itself, so the log has exactly the
/// changes that happened.
pub use super::queries::insert as record;

/// The audit page: the newest entries that match `filter`, older ones after `cursor`
/// (for those who may invite).
pub async fn log(
    state: &AppState,
    member: &Member,
    filter: AuditFilter,
    cursor: Option<&str>,
) -> Result<AuditPage, AppError> {
    let page = entries(state, member, &filter, cursor, Some("200")).await?;
    Ok(AuditPage {
        org_name: member.org_name.clone(),
        org_home: member.home(),
        events: page.rows,
        filter,
        next: page.next,
        exports: super::export::latest(&state.pool, member).await?,
    })
}

/// One page of the entries that match `filter`, newest first (for those who may invite).
pub async fn entries(
    state: &AppState,
    member: &Member,
    filter: &AuditFilter,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<AuditEntry>, AppError> {
    let granted = member.require(state, can::Invite).await?;
    let checked = Checked::parse(filter, cursor, limit)?;
    let rows = queries::page(
        &state.pool,
        granted.org_id(),
        paging::contains(Some(&filter.actor)).as_deref(),
        checked.action,
        checked.from,
        checked.to,
        checked.before,
        checked.limit + 1,
    )
    .await?;
    let page = paging::page(rows, checked.limit, |e| vec![e.id.to_string()]);
    Ok(Page {
        next: page.next,
        rows: page.rows.into_iter().map(entry).collect(),
    })
}

/// An entry as the page, the REST API and exports show it.
pub(super) fn entry(e: queries::AuditRow) -> AuditEntry {
    AuditEntry {
        id: e.id,
        at: e
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        when: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
        actor: e.actor_name,
        action: e.action,
        subject: e.subject,
        detail: e.detail,
    }
}

/// A filter and a page as the database reads them, or every mistake in them at once.
pub(super) struct Checked {
    pub(super) action: Option<AuditAction>,
    pub(super) from: Option<DateTime<Utc>>,
    pub(super) to: Option<DateTime<Utc>>,
    before: Option<i64>,
    limit: i64,
}

impl Checked {
    pub(super) fn parse(
        filter: &AuditFilter,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Checked, AppError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let action = match filter.action.trim() {
            "" => None,
            code => AuditAction::ALL
                .into_iter()
                .find(|a| a.code() == code)
                .or_else(|| {
                    errors.push(FieldError::new("action", "errors.audit_action_unknown"));
                    None
                }),
        };
        let mut time = |field: &str, raw: &str, end: bool| {
            time_of(raw, end).unwrap_or_else(|| {
                errors.push(FieldError::new(field, "errors.audit_time_invalid"));
                None
            })
        };
        let from = time("from", &filter.from, false);
        let to = time("to", &filter.to, true);
        let before = match paging::decode(cursor, 1) {
            // Any position: the entries older than it (a key that is no id: from the newest).
            Ok(key) => key.and_then(|k| k[0].parse().ok()),
            Err(AppError::Validation(mut more)) => {
                errors.append(&mut more);
                None
            }
            Err(other) => return Err(other),
        };
        let limit = match paging::limit(limit) {
            Ok(limit) => limit,
            Err(AppError::Validation(mut more)) => {
                errors.append(&mut more);
                0
            }
            Err(other) => return Err(other),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(Checked {
            action,
            from,
            to,
            before,
            limit,
        })
    }
}

/// A bound of the time range: empty (none), a day `YYYY-MM-DD` (UTC; an end includes
/// the whole day) or an RFC 3339 time. `None` when it is neither.
fn time_of(raw: &str, end: bool) -> Option<Option<DateTime<Utc>>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end { day.succ_opt()? } else { day };
        return Some(Some(day.and_hms_opt(0, 0, 0)?.and_utc()));
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| Some(t.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_take_days_and_rfc3339_times() {
        assert_eq!(time_of("", false), Some(None));
        let start = time_of("2026-12-07", false).unwrap().unwrap();
        assert_eq!(start.to_rfc3339(), "2026-12-07T00:00:00+00:00");
        let end = time_of("2026-12-07", true).unwrap().unwrap();
        assert_eq!(
            end.to_rfc3339(),
            "2026-12-08T00:00:00+00:00",
            "the whole day"
        );
        let exact = time_of("2026-12-07T10:30:00+01:00", true).unwrap().unwrap();
        assert_eq!(exact.to_rfc3339(), "2026-12-07T09:30:00+00:00");
        assert_eq!(time_of("yesterday", false), None);
    }

    #[test]
    fn every_mistake_of_a_filter_is_named_at_once() {
        let filter = AuditFilter {
            action: "nothing_like_it".into(),
            from: "soon".into(),
            ..Default::default()
        };
        let Err(AppError::Validation(errors)) = Checked::parse(&filter, Some("xyz"), Some("0"))
        else {
            panic!("refused")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["action", "from", "cursor", "limit"]);
    }
}

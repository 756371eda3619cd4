//! What the import pages show, shared by browser and server.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::i18n::{Locale, tr, tr_args};
use crate::roles::Role;

/// Rows per page of the dry-run table.
pub const ROWS_PER_PAGE: usize = 100;

/// What importing a row of the file does (or would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Someone new: added to the organization.
    Add,
    /// Already in the organization, with the same role: nothing to do.
    Unchanged,
    /// Already in the organization with another role: left as it is.
    RoleDiffers,
    /// A field is missing or wrong.
    Invalid,
    /// The address is on an earlier line of the file.
    Duplicate,
    /// Inviting now: the plan has no seat left for this row.
    OverSeats,
    /// Inviting now: today's invitations are used up before this row.
    OverQuota,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Add,
        Outcome::Unchanged,
        Outcome::RoleDiffers,
        Outcome::Invalid,
        Outcome::Duplicate,
        Outcome::OverSeats,
        Outcome::OverQuota,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Add => "add",
            Outcome::Unchanged => "unchanged",
            Outcome::RoleDiffers => "role_differs",
            Outcome::Invalid => "invalid",
            Outcome::Duplicate => "duplicate",
            Outcome::OverSeats => "over_seats",
            Outcome::OverQuota => "over_quota",
        }
    }

    pub fn from_code(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// Translation key of the outcome's name (the totals and the filter).
    pub fn label_key(self) -> &'static str {
        match self {
            Outcome::Add => "import.outcome_add",
            Outcome::Unchanged => "import.outcome_unchanged",
            Outcome::RoleDiffers => "import.outcome_role_differs",
            Outcome::Invalid => "import.outcome_invalid",
            Outcome::Duplicate => "import.outcome_duplicate",
            Outcome::OverSeats => "import.outcome_over_seats",
            Outcome::OverQuota => "import.outcome_over_quota",
        }
    }

    /// Rows the import leaves out because of a problem (the rejected rows' file).
    pub fn rejected(self) -> bool {
        matches!(
            self,
            Outcome::Invalid | Outcome::Duplicate | Outcome::OverSeats | Outcome::OverQuota
        )
    }
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportState {
    /// Checked (the dry run): nothing written yet.
    Checked,
    /// "Import" was pressed: waiting for a worker.
    Queued,
    Importing,
    Imported,
    /// Stopped and wrote nothing (see the problem).
    Failed,
}

impl ImportState {
    pub fn code(self) -> &'static str {
        match self {
            ImportState::Checked => "checked",
            ImportState::Queued => "queued",
            ImportState::Importing => "importing",
            ImportState::Imported => "imported",
            ImportState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<ImportState> {
        [
            ImportState::Checked,
            ImportState::Queued,
            ImportState::Importing,
            ImportState::Imported,
            ImportState::Failed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Still going: the page follows its progress.
    pub fn running(self) -> bool {
        matches!(self, ImportState::Queued | ImportState::Importing)
    }
}

/// One row of the file with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The file's line (the header is line 1).
    pub line: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub outcome: Outcome,
    pub detail: RowDetail,
}

/// What a row's outcome says beyond itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowDetail {
    None,
    /// Invalid: the fields' problems.
    Problems(Vec<FieldError>),
    /// Duplicate: the line where the address came first.
    FirstLine(i32),
    /// Role differs: the person's role in Muster.
    InMuster(Role),
}

impl ImportRow {
    /// Why, in words: what the table's last column and the rejected rows' file say.
    pub fn reason(&self, locale: Locale) -> String {
        match &self.detail {
            RowDetail::Problems(problems) => problems
                .iter()
                .map(|e| e.message(locale))
                .collect::<Vec<_>>()
                .join(" "),
            RowDetail::FirstLine(line) => tr_args(
                locale,
                "import.reason_duplicate",
                &[("line", &line.to_string())],
            ),
            RowDetail::InMuster(role) => tr_args(
                locale,
                "import.reason_role_differs",
                &[("role", &tr(locale, role.label_key()))],
            ),
            RowDetail::None => tr(locale, self.outcome.label_key()),
        }
    }
}

#[cfg(feature = "ssr")]
impl RowDetail {
    /// As the database keeps it: problems as JSON, a line as its number, a role's code.
    pub fn stored(&self) -> Option<String> {
        match self {
            RowDetail::None => None,
            RowDetail::Problems(problems) => serde_json::to_string(problems).ok(),
            RowDetail::FirstLine(line) => Some(line.to_string()),
            RowDetail::InMuster(role) => Some(role.code().to_owned()),
        }
    }

    /// Read back from the database (see [`RowDetail::stored`]), by the row's outcome.
    pub fn from_stored(outcome: Outcome, stored: Option<&str>) -> RowDetail {
        let Some(stored) = stored else {
            return RowDetail::None;
        };
        let detail = match outcome {
            Outcome::Invalid => serde_json::from_str(stored).ok().map(RowDetail::Problems),
            Outcome::Duplicate => stored.parse().ok().map(RowDetail::FirstLine),
            Outcome::RoleDiffers => Role::from_code(stored).map(RowDetail::InMuster),
            _ => None,
        };
        detail.unwrap_or(RowDetail::None)
    }
}

/// The dry run's report (and, once imported, what happened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub org_name: String,
    pub org_home: String,
    pub id: i64,
    pub file_name: String,
    pub invite_now: bool,
    /// Rows in the file (header and blank lines not counted).
    pub total: i64,
    pub state: ImportState,
    /// Rows written so far, while importing.
    pub done: i64,
    /// Why the import wrote nothing, when it failed.
    pub problem: Option<FieldError>,
    /// How many rows have each outcome (every outcome, in `Outcome::ALL` order).
    pub counts: Vec<(Outcome, i64)>,
    /// The rows shown: one page of those with the chosen outcome.
    pub rows: Vec<ImportRow>,
    pub outcome: Option<Outcome>,
    /// The line after which the next page starts, if there is one.
    pub next: Option<i32>,
}

impl ImportReport {
    pub fn count(&self, outcome: Outcome) -> i64 {
        self.counts
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, n)| *n)
    }

    pub fn rejected(&self) -> i64 {
        self.counts
            .iter()
            .filter(|(o, _)| o.rejected())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Where a running import is (the report page asks about once a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub state: ImportState,
    pub done: i64,
    /// Rows to be added.
    pub to_add: i64,
}

/// The upload page: the organization, and what went wrong with the last upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStart {
    pub org_name: String,
    pub org_home: String,
    /// The biggest file taken, in rows.
    pub max_rows: usize,
}

/// The file's column names, in the three languages (compared without case or accents).
pub const NAME_HEADERS: [&str; 5] = [
    "name",
    "nom",
    "full name",
    "nom complet",
    "vollständiger name",
];
pub const EMAIL_HEADERS: [&str; 10] = [
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "adresse e-mail",
    "adresse email",
    "courriel",
    "e-mail-adresse",
    "mail",
    "adresse",
];
pub const ROLE_HEADERS: [&str; 3] = ["role", "rôle", "rolle"];

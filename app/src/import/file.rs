//! Reading an uploaded CSV file, and deciding each row's outcome (the dry run's rules).
//! Both are pure: the service gives them the file and the organization's facts.

use std::collections::HashMap;

use super::types::{EMAIL_HEADERS, ImportRow, NAME_HEADERS, Outcome, ROLE_HEADERS, RowDetail};
use crate::auth::types::{EmailAddress, PersonName};
use crate::error::{AppError, FieldError};
use crate::i18n::{Locale, tr};
use crate::roles::Role;

/// The biggest file taken, in rows and in bytes.
pub const MAX_ROWS: usize = 200_000;
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A row as the file has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// The file's line (the header is line 1).
    pub line: i32,
    pub name: String,
    pub email: String,
    pub role: String,
}

fn file_error(key: &str) -> FieldError {
    FieldError::new("file", key)
}

/// The rows of a CSV file with a header naming (in English, French or German) an email
/// column and optionally name and role columns; UTF-8 with or without a byte order mark;
/// cells separated by commas or semicolons (whichever the header uses). Blank lines are
/// skipped. A file that cannot be read is refused as a whole, naming why.
pub fn read(bytes: &[u8]) -> Result<Vec<FileRow>, AppError> {
    let refuse = |e: FieldError| AppError::Validation(vec![e]);
    if bytes.len() > MAX_BYTES {
        return Err(refuse(
            file_error("import.file_too_large").with_arg("max", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| refuse(file_error("import.not_utf8")))?;
    if text.trim().is_empty() {
        return Err(refuse(file_error("import.file_empty")));
    }
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => return Err(refuse(file_error("import.file_empty"))),
    };
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
    };
    let Some(email_at) = find(&EMAIL_HEADERS) else {
        return Err(refuse(file_error("import.no_email_column")));
    };
    let (name_at, role_at) = (find(&NAME_HEADERS), find(&ROLE_HEADERS));
    let mut rows = Vec::new();
    let mut lines = Lines {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    for record in records {
        let record = record.map_err(|err| {
            let line = lines.at(err.position().map_or(0, |p| p.byte()));
            refuse(file_error("import.unreadable_line").with_arg("line", line))
        })?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(refuse(
                file_error("import.too_many_rows").with_arg("max", MAX_ROWS),
            ));
        }
        let cell = |at: Option<usize>| {
            at.and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        let line = lines.at(record.position().map_or(0, |p| p.byte()));
        rows.push(FileRow {
            line: i32::try_from(line).unwrap_or(i32::MAX),
            name: cell(name_at),
            email: cell(Some(email_at)),
            role: cell(role_at),
        });
    }
    if rows.is_empty() {
        return Err(refuse(file_error("import.no_rows")));
    }
    Ok(rows)
}

/// The file's line at a byte offset, counted as the reader goes forward.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record the reader says starts at `offset` (where the line
    /// breaks before it may start: a record never starts with one).
    fn at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.offset {
            let newlines = self.text[self.offset..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = offset;
        }
        self.line
    }
}

/// A role as a file may write it: its code, or its name in any of the three languages.
fn role_named(cell: &str) -> Option<Role> {
    let cell = cell.trim().to_lowercase();
    Role::from_code(&cell).or_else(|| {
        Role::ALL.into_iter().find(|role| {
            Locale::ALL
                .into_iter()
                .any(|l| tr(l, role.label_key()).to_lowercase() == cell)
        })
    })
}

/// What the dry run knows of the organization.
pub struct Facts<'a> {
    /// The people already in it, by address: their role.
    pub existing: &'a HashMap<String, Role>,
    /// Invite now: seats and today's invitations left (rows past them are refused).
    pub invite_now: bool,
    pub seats_left: i64,
    pub quota_left: i64,
    /// Whether the importing member may give this role.
    pub may_grant: &'a dyn Fn(Role) -> bool,
}

/// Each row's outcome, in the file's order: a field's problem first, then an address
/// already on an earlier line, then someone already in the organization, then (inviting
/// now) the seats and today's invitations. A row without a name is named after its
/// address (as "Invite someone" does); a row without a role is a Viewer.
pub fn check(rows: Vec<FileRow>, facts: &Facts<'_>) -> Vec<ImportRow> {
    let mut first_line: HashMap<String, i32> = HashMap::with_capacity(rows.len());
    let mut added: i64 = 0;
    rows.into_iter()
        .map(|row| {
            let email = EmailAddress::parse(&row.email);
            let name = match (&email, row.name.trim().is_empty()) {
                (Ok(email), true) => {
                    let local = email.as_str().split('@').next().unwrap_or_default();
                    PersonName::parse(local)
                }
                _ => PersonName::parse(&row.name),
            };
            let role = if row.role.trim().is_empty() {
                Ok(Role::Viewer)
            } else {
                role_named(&row.role).ok_or_else(|| FieldError::new("role", "errors.role_unknown"))
            };
            let role = role.and_then(|role| {
                if (facts.may_grant)(role) {
                    Ok(role)
                } else {
                    Err(FieldError::new("role", "import.role_above_yours"))
                }
            });
            let invalid = |row: FileRow, problems: Vec<FieldError>| ImportRow {
                line: row.line,
                name: row.name,
                email: row.email,
                role: row.role,
                outcome: Outcome::Invalid,
                detail: RowDetail::Problems(problems),
            };
            let (email, name, role) = match (email, name, role) {
                (Ok(e), Ok(n), Ok(r)) => (e, n, r),
                (e, n, r) => {
                    let problems = [n.err(), e.err(), r.err()].into_iter().flatten().collect();
                    return invalid(row, problems);
                }
            };
            let email = email.as_str().to_owned();
            let (outcome, detail) = if let Some(first) = first_line.get(&email) {
                (Outcome::Duplicate, RowDetail::FirstLine(*first))
            } else {
                first_line.insert(email.clone(), row.line);
                match facts.existing.get(&email) {
                    Some(there) if *there == role => (Outcome::Unchanged, RowDetail::None),
                    Some(there) => (Outcome::RoleDiffers, RowDetail::InMuster(*there)),
                    None if facts.invite_now && added >= facts.seats_left => {
                        (Outcome::OverSeats, RowDetail::None)
                    }
                    None if facts.invite_now && added >= facts.quota_left => {
                        (Outcome::OverQuota, RowDetail::None)
                    }
                    None => {
                        added += 1;
                        (Outcome::Add, RowDetail::None)
                    }
                }
            };
            ImportRow {
                line: row.line,
                name: name.as_str().to_owned(),
                email,
                role: role.code().to_owned(),
                outcome,
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<FileRow> {
        read(text.as_bytes()).expect("a readable file")
    }

    fn refusal(bytes: &[u8]) -> String {
        match read(bytes) {
            Err(AppError::Validation(errors)) => errors[0].key.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn reads_headers_in_three_languages_with_bom_and_semicolons() {
        let en = rows("Name,Email,Role\nAnna,anna@example.com,Editor\n");
        let fr = rows("\u{FEFF}Nom;Adresse e-mail;Rôle\r\nAnna;anna@example.com;Éditeur\r\n");
        let de = rows("E-Mail;Name;Rolle\nanna@example.com;Anna;Bearbeiter\n");
        for file in [&en, &fr, &de] {
            assert_eq!(file.len(), 1);
            assert_eq!(file[0].email, "anna@example.com");
            assert_eq!(file[0].name, "Anna");
            assert_eq!(file[0].line, 2);
        }
        assert_eq!(role_named(&fr[0].role), Some(Role::Editor));
        assert_eq!(role_named(&de[0].role), Some(Role::Editor));
    }

    #[test]
    fn quoted_cells_keep_their_commas_and_blank_lines_are_skipped() {
        let file = rows(
            "name,email\n\"Doe, Jane\",jane@example.com\n\n,bob@example.com\n\"Two\r\nlines\",t@example.com\nEnd,e@example.com",
        );
        assert_eq!(file.len(), 4);
        assert_eq!(file[0].name, "Doe, Jane");
        assert_eq!(file[1].line, 4);
        assert_eq!(file[2].line, 5);
        assert_eq!(file[3].line, 7);
    }

    #[test]
    fn files_that_cannot_be_read_are_refused_with_the_reason() {
        assert_eq!(refusal(b"name,email\n\xff\xfe,x\n"), "import.not_utf8");
        assert_eq!(refusal(b"name,phone\nAnna,123\n"), "import.no_email_column");
        assert_eq!(refusal(b"   \n"), "import.file_empty");
        assert_eq!(refusal(b"name,email\n\n"), "import.no_rows");
    }

    fn outcomes(text: &str, facts: &Facts<'_>) -> Vec<(Outcome, Option<String>)> {
        check(rows(text), facts)
            .into_iter()
            .map(|c| (c.outcome, c.detail.stored()))
            .collect()
    }

    #[test]
    fn each_row_gets_its_outcome() {
        let existing = HashMap::from([
            ("same@example.com".to_owned(), Role::Viewer),
            ("other@example.com".to_owned(), Role::Viewer),
        ]);
        let not_owner = |r: Role| r != Role::Owner;
        let facts = Facts {
            existing: &existing,
            invite_now: true,
            seats_left: 3,
            quota_left: 2,
            may_grant: &not_owner,
        };
        let file = "name,email,role\n\
                    New,new@example.com,viewer\n\
                    Same,SAME@example.com,\n\
                    Other,other@example.com,ADMIN\n\
                    Bad,not-an-address,viewer\n\
                    Again,New@Example.com,viewer\n\
                    Boss,boss@example.com,Owner\n\
                    Two,two@example.com,\n\
                    Three,three@example.com,\n\
                    Four,four@example.com,\n";
        let got = outcomes(file, &facts);
        let codes: Vec<Outcome> = got.iter().map(|(o, _)| *o).collect();
        assert_eq!(
            codes,
            [
                Outcome::Add,
                Outcome::Unchanged,
                Outcome::RoleDiffers,
                Outcome::Invalid,
                Outcome::Duplicate,
                Outcome::Invalid,
                Outcome::Add,
                Outcome::OverQuota,
                Outcome::OverQuota,
            ]
        );
        assert_eq!(got[2].1.as_deref(), Some("VIEWER"));
        assert!(
            got[3]
                .1
                .as_deref()
                .unwrap()
                .contains("errors.email_invalid")
        );
        assert_eq!(got[4].1.as_deref(), Some("2"));
        assert!(
            got[5]
                .1
                .as_deref()
                .unwrap()
                .contains("import.role_above_yours")
        );
        // Later: no seat or quota applies.
        let later = Facts {
            invite_now: false,
            ..facts
        };
        assert_eq!(outcomes(file, &later)[7].0, Outcome::Add);
        // Fewer seats than invitations: the seats run out first.
        let seats = Facts {
            seats_left: 1,
            quota_left: 10,
            ..later
        };
        let seats = Facts {
            invite_now: true,
            ..seats
        };
        assert_eq!(outcomes(file, &seats)[6].0, Outcome::OverSeats);
    }

    #[test]
    fn a_row_without_a_name_is_named_after_its_address() {
        let existing = HashMap::new();
        let facts = Facts {
            existing: &existing,
            invite_now: false,
            seats_left: 0,
            quota_left: 0,
            may_grant: &|_| true,
        };
        let checked = check(rows("email\nanna.smith@example.com\n"), &facts);
        assert_eq!(checked[0].name, "anna.smith");
        assert_eq!(checked[0].role, "VIEWER");
    }
}

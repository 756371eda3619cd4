//! Pages of long lists for programs (the REST API) and for the audit page: at most
//! [`MAX_LIMIT`] rows at a time, and an opaque cursor that continues after the last row
//! shown. A cursor holds that row's sort key, not an offset: rows added or removed
//! between two pages never make a page repeat or skip a row that was there throughout.

use crate::error::{AppError, FieldError};

/// Rows per page when the caller names no `limit`.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most rows one page holds.
pub const MAX_LIMIT: i64 = 200;

/// One page and the cursor of the next, if there are more rows.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}

/// `limit` as given (`None`: the default): a whole number from 1 to [`MAX_LIMIT`].
pub fn limit(raw: Option<&str>) -> Result<i64, AppError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(AppError::Validation(vec![
            FieldError::new("limit", "errors.limit_range").with_arg("max", MAX_LIMIT),
        ])),
    }
}

/// Separates the fields of a sort key in a cursor.
const SEPARATOR: char = '\u{1f}';

/// The cursor after a row whose sort key is `key`: the key's text, hex-encoded. Every
/// even-length hex string is a position in the list (it is not trusted: the rows after
/// it are still the caller's organization's rows), so a cursor is checked only for its
/// form.
pub fn encode(key: &[String]) -> String {
    key.join(&SEPARATOR.to_string())
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sort key in a cursor (`fields` values; missing ones are empty). Empty: none.
pub fn decode(cursor: Option<&str>, fields: usize) -> Result<Option<Vec<String>>, AppError> {
    let Some(cursor) = cursor.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let invalid = || AppError::Validation(vec![FieldError::new("cursor", "errors.cursor_invalid")]);
    if !cursor.len().is_multiple_of(2)
        || !cursor
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(invalid());
    }
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).map_err(|_| invalid()))
        .collect::<Result<_, _>>()?;
    // PostgreSQL text holds no NUL: a cursor with one is a position like any other.
    let text = String::from_utf8_lossy(&bytes).replace('\0', "");
    let mut key: Vec<String> = text.split(SEPARATOR).map(str::to_owned).collect();
    key.resize(fields, String::new());
    Ok(Some(key))
}

/// What a cursor looks like (for the OpenAPI document).
pub const CURSOR_PATTERN: &str = "^([0-9a-f]{2})*$";

/// A page from rows read with `limit + 1` (the extra row says there are more); the
/// cursor carries the last shown row's `key`.
pub fn page<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Vec<String>) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more.then(|| rows.last().map(|r| encode(&key(r)))).flatten();
    Page { rows, next }
}

/// A `LIKE` pattern matching `text` anywhere, lowercased, its wildcards taken literally;
/// `None` for no text.
pub fn contains(text: Option<&str>) -> Option<String> {
    // PostgreSQL text holds no NUL: it is dropped, not sent to the database.
    let text = text.map(|t| t.replace('\0', ""))?;
    let text = Some(text.trim()).filter(|t| !t.is_empty())?.to_lowercase();
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_checked_for_their_form() {
        let key = vec!["anna".to_owned(), "anna@acme.test".to_owned()];
        let cursor = encode(&key);
        assert!(regex_like_hex(&cursor), "{cursor}");
        assert_eq!(decode(Some(&cursor), 2).unwrap(), Some(key));
        assert_eq!(decode(Some(""), 2).unwrap(), None);
        assert_eq!(decode(None, 2).unwrap(), None);
        assert_eq!(
            decode(Some("616e"), 2).unwrap(),
            Some(vec!["an".into(), "".into()])
        );
        for bad in ["not a cursor", "abc", "ABCD", "zz"] {
            assert!(decode(Some(bad), 2).is_err(), "{bad}");
        }
    }

    fn regex_like_hex(s: &str) -> bool {
        s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    #[test]
    fn limits_are_between_one_and_two_hundred() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("200")).unwrap(), 200);
        for bad in ["0", "201", "-1", "ten", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_search_takes_wildcards_literally() {
        assert_eq!(contains(Some(" Ann_a% ")).as_deref(), Some("%ann\\_a\\%%"));
        assert_eq!(contains(Some("  ")), None);
        assert_eq!(contains(Some("a\0b")).as_deref(), Some("%ab%"));
        assert_eq!(contains(None), None);
    }

    #[test]
    fn the_extra_row_makes_the_cursor() {
        let p = page(vec![1, 2, 3], 2, |n| vec![n.to_string()]);
        assert_eq!(p.rows, vec![1, 2]);
        assert_eq!(
            decode(p.next.as_deref(), 1).unwrap(),
            Some(vec!["2".into()])
        );
        assert!(page(vec![1, 2], 2, |n| vec![n.to_string()]).next.is_none());
    }
}

//! Joining by link as pages see it, and the Allowed Email Domain(s) rules.

use serde::{Deserialize, Serialize};

use crate::domains::types::is_domain;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Open,
    /// "People can add themselves" was turned off.
    Disabled,
    /// Turned off and on again: a newer link replaced this one.
    Replaced,
    /// A limited link past its expiry.
    Expired,
    /// A limited link whose joins are all taken.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinView {
    pub org_name: String,
    /// The role a person joining through this link gets.
    pub role: crate::roles::Role,
    pub state: LinkState,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmView {
    pub org_name: String,
    pub email: String,
}

/// Parses "Allowed Email Domain(s)": domains separated by commas, spaces or new lines,
/// an optional leading `@`, case-insensitive. Every bad entry is named.
pub fn parse_domains(raw: &str) -> Result<Vec<String>, Vec<FieldError>> {
    let mut domains: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for part in raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let domain = part.trim().trim_start_matches('@').to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        if is_domain(&domain) {
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        } else {
            errors.push(
                FieldError::new("domains", "errors.domain_invalid").with_arg("domain", part.trim()),
            );
        }
    }
    if domains.len() > 20 {
        errors.push(FieldError::new("domains", "errors.domains_too_many"));
    }
    if errors.is_empty() {
        Ok(domains)
    } else {
        Err(errors)
    }
}

/// Whether `email` (already normalized to lower case) is at exactly one of `domains`:
/// `ann@acme.test` is at `acme.test`, `ann@eu.acme.test` is not.
pub fn email_allowed(email: &str, domains: &[String]) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_parsed_normalized_and_checked() {
        assert_eq!(
            parse_domains(" Acme.test, @eu.acme.test\nacme.test ").unwrap(),
            vec!["acme.test", "eu.acme.test"]
        );
        assert_eq!(parse_domains("").unwrap(), Vec::<String>::new());
        for bad in [
            "acme",
            "-acme.test",
            "acme..test",
            "ac me.test",
            "a_b.test",
            "1.2.3.4",
            "acme.test-",
        ] {
            assert!(parse_domains(bad).is_err(), "{bad} should be refused");
        }
        let errors = parse_domains("ok.test, bad, worse_").unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn a_limited_link_gives_viewer_or_editor_until_a_day_to_a_number_of_people() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let form = parse_limited_link(" Summit ", "EDITOR", "2026-12-31", "25", today).unwrap();
        assert_eq!(form.name, "Summit");
        assert_eq!(form.role, crate::roles::Role::Editor);
        assert_eq!(form.last_day.unwrap().to_string(), "2026-12-31");
        assert_eq!(form.max_joins, Some(25));
        let open = parse_limited_link("Team", "VIEWER", "", "", today).unwrap();
        assert_eq!((open.last_day, open.max_joins), (None, None));
        let errors = parse_limited_link("", "ADMIN", "2026-12-06", "0", today).unwrap_err();
        let named: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.key.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("name", "errors.link_name_invalid"),
                ("role", "errors.link_role_too_high"),
                ("expires", "errors.link_expires_past"),
                ("max_joins", "errors.link_max_joins_range"),
            ]
        );
        assert!(parse_limited_link("x", "VIEWER", "31/12/2026", "", today).is_err());
        assert!(parse_limited_link("x", "VIEWER", "", "100001", today).is_err());
    }

    #[test]
    fn only_exact_domains_are_allowed() {
        let allowed = vec!["acme.test".to_owned()];
        assert!(email_allowed("ann@acme.test", &allowed));
        assert!(email_allowed("ann@ACME.test", &allowed));
        assert!(!email_allowed("ann@eu.acme.test", &allowed));
        assert!(!email_allowed("ann@acme.test.evil", &allowed));
        assert!(!email_allowed("ann@notacme.test", &allowed));
        assert!(!email_allowed("ann@other.test", &[]));
    }
}

/// The Link tab's settings, as the People page shows them to people who may invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinLinkSettings {
    /// "People can add themselves to this organization".
    pub enabled: bool,
    pub url: Option<String>,
    pub domains: Vec<String>,
    /// The organization's verified domains (Settings → Domains): allowed as well.
    pub verified_domains: Vec<String>,
    /// People who joined (and confirmed their email) through the current link.
    pub joined: i64,
    /// The named links, each with its own role, expiry and number of joins.
    pub links: Vec<LimitedLink>,
}

/// A named self-join link (the Link tab's list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitedLink {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub role: crate::roles::Role,
    /// The last day it works (UTC, YYYY-MM-DD), if it expires.
    pub expires: Option<String>,
    pub max_joins: Option<i32>,
    pub joined: i64,
    pub made_by: Option<String>,
    pub state: LinkState,
}

impl LimitedLink {
    /// How many more people may join through it (`None`: no limit).
    pub fn left(&self) -> Option<i64> {
        self.max_joins
            .map(|max| (i64::from(max) - self.joined).max(0))
    }
}

/// The most joins a limited link may be given.
pub const MAX_LINK_JOINS: i32 = 100_000;

/// A new limited link, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct LimitedLinkForm {
    pub name: String,
    pub role: crate::roles::Role,
    /// Its last day (UTC).
    pub last_day: Option<chrono::NaiveDate>,
    pub max_joins: Option<i32>,
}

/// A new limited link as the form gives it: every mistake named at once.
pub fn parse_limited_link(
    name: &str,
    role: &str,
    expires: &str,
    max_joins: &str,
    today: chrono::NaiveDate,
) -> Result<LimitedLinkForm, Vec<FieldError>> {
    use crate::roles::Role;
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", "errors.link_name_invalid").with_arg("max", 80));
    }
    let role = match Role::parse("role", role) {
        Ok(role @ (Role::Viewer | Role::Editor)) => Some(role),
        Ok(_) => {
            errors.push(FieldError::new("role", "errors.link_role_too_high"));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let expires = match expires.trim() {
        "" => None,
        day => match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(day) if day >= today => Some(day),
            Ok(_) => {
                errors.push(FieldError::new("expires", "errors.link_expires_past"));
                None
            }
            Err(_) => {
                errors.push(FieldError::new("expires", "errors.link_expires_invalid"));
                None
            }
        },
    };
    let max_joins = match max_joins.trim() {
        "" => None,
        n => match n.parse::<i32>() {
            Ok(n) if (1..=MAX_LINK_JOINS).contains(&n) => Some(n),
            _ => {
                errors.push(
                    FieldError::new("max_joins", "errors.link_max_joins_range")
                        .with_arg("max", MAX_LINK_JOINS),
                );
                None
            }
        },
    };
    match (errors.is_empty(), role) {
        (true, Some(role)) => Ok(LimitedLinkForm {
            name: name.to_owned(),
            role,
            last_day: expires,
            max_joins,
        }),
        _ => Err(errors),
    }
}

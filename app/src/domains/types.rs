//! Verified domains as pages see them.

use serde::{Deserialize, Serialize};

/// The DNS name under the domain where the TXT record goes.
pub const RECORD_LABEL: &str = "_muster-verification";

/// Domains one organization may hold, verified or not.
pub const MAX_DOMAINS: usize = 20;

pub fn record_name(domain: &str) -> String {
    format!("{RECORD_LABEL}.{domain}")
}

pub fn record_value(token: &str) -> String {
    format!("muster-verification={token}")
}

/// What the last look-up found, as stored (`problem` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// No TXT record at the name.
    Missing,
    /// TXT records at the name, none with this domain's value.
    Mismatch,
    /// The DNS did not answer.
    Unreachable,
    /// Another organization verified the domain first.
    Taken,
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::Mismatch => "mismatch",
            Problem::Unreachable => "unreachable",
            Problem::Taken => "taken",
        }
    }

    pub fn from_code(code: &str) -> Option<Problem> {
        [
            Problem::Missing,
            Problem::Mismatch,
            Problem::Unreachable,
            Problem::Taken,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    /// What the page says about it.
    pub fn message_key(self) -> &'static str {
        match self {
            Problem::Missing => "domains.problem_missing",
            Problem::Mismatch => "domains.problem_mismatch",
            Problem::Unreachable => "domains.problem_unreachable",
            Problem::Taken => "errors.domain_taken",
        }
    }
}

/// One domain of the organization, with the record to publish and what was last found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: i64,
    pub domain: String,
    pub record_name: String,
    pub record_value: String,
    /// RFC 3339 dates (the day is shown).
    pub verified_at: Option<String>,
    pub checked_at: Option<String>,
    pub problem: Option<Problem>,
}

impl DomainView {
    pub fn verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

/// The "Domains" section of the settings page (OWNERs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainsSettings {
    pub domains: Vec<DomainView>,
}

/// Reads a domain as typed: trimmed, an optional leading `@`, in lower case.
pub fn parse_domain(raw: &str) -> Option<String> {
    let domain = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    is_domain(&domain).then_some(domain)
}

/// A DNS name of at least two labels of letters, digits and inner hyphens, whose last
/// label is not a number (so not an IP address). Lower case only.
pub fn is_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_in_lower_case_and_checked() {
        assert_eq!(parse_domain(" @Acme.TEST "), Some("acme.test".into()));
        for bad in ["acme", "1.2.3.4", "ac me.test", "-a.test", "ä.test", ""] {
            assert_eq!(parse_domain(bad), None, "{bad}");
        }
        assert_eq!(record_name("acme.test"), "_muster-verification.acme.test");
    }
}

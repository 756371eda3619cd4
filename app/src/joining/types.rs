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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinView {
    pub org_name: String,
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
}

//! The activation wizard's data and rules, shared by the browser and the server: the
//! short-name rules, and what each wizard page shows.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::FieldError;
use crate::roles::Role;

/// The path of a wizard page.
pub fn wizard_path(token: &str, page: &str) -> String {
    if page.is_empty() {
        format!("/activate/{token}")
    } else {
        format!("/activate/{token}/{page}")
    }
}

/// Products a subscription can include. `decisions` is a premium feature.
pub const PRODUCTS: [&str; 5] = ["alerts", "cti", "instances", "blocklists", "decisions"];
pub const PREMIUM_PRODUCTS: [&str; 1] = ["decisions"];

pub const MAX_COMPANY_NAME_CHARS: usize = 100;
/// Longest short name derived from a company name (a number may follow it).
pub const MAX_SHORT_NAME_CHARS: usize = 40;

/// A company name as typed: trimmed, not empty, not too long, and yielding a short name.
pub fn parse_company_name(raw: &str) -> Result<(String, String), FieldError> {
    let name = check_company_name(raw)?;
    let short = short_name_base(name)?;
    Ok((name.to_owned(), short))
}

/// The checks a company name passes before its short name is worked out: trimmed, not
/// empty, not too long, no control characters. What the browser checks as one types; the
/// short name itself is the server's answer (its preview), since working it out takes
/// Unicode's decomposition tables, 200 KB the browser bundle does without.
pub fn check_company_name(raw: &str) -> Result<&str, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("company_name", "errors.company_required"));
    }
    if name.chars().count() > MAX_COMPANY_NAME_CHARS {
        return Err(FieldError::new("company_name", "errors.company_too_long")
            .with_arg("max", MAX_COMPANY_NAME_CHARS));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("company_name", "errors.company_invalid"));
    }
    Ok(name)
}

/// The short name a company name yields, before any number is added to make it unique.
///
/// The rules:
/// - letters become lowercase;
/// - accents are dropped (`Müller` → `muller`, `Café` → `cafe`), and letters with no
///   decomposition are spelled out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `œ` → `oe`, `ł` → `l`);
/// - spaces and every other character are removed, except dashes (`-` and the Unicode dashes
///   `‐ ‑ ‒ – —` all count as `-`) and ASCII digits;
/// - runs of dashes become one dash, and dashes at either end are dropped;
/// - the result is cut to 40 characters;
/// - a name that leaves nothing (`"!!!"`, `"東京"`) is refused with a message that says why.
pub fn short_name_base(company: &str) -> Result<String, FieldError> {
    let mut raw = String::new();
    for c in company.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => raw.push_str("ss"),
            'æ' | 'Æ' => raw.push_str("ae"),
            'œ' | 'Œ' => raw.push_str("oe"),
            'ø' | 'Ø' => raw.push('o'),
            'ł' | 'Ł' => raw.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => raw.push('d'),
            'þ' | 'Þ' => raw.push_str("th"),
            'ı' => raw.push('i'),
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' => raw.push('-'),
            c if c.is_ascii_alphanumeric() => raw.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    let mut short = String::new();
    for c in raw.chars() {
        if c == '-' && (short.is_empty() || short.ends_with('-')) {
            continue;
        }
        short.push(c);
    }
    short.truncate(MAX_SHORT_NAME_CHARS);
    while short.ends_with('-') {
        short.pop();
    }
    if short.is_empty() {
        Err(FieldError::new(
            "company_name",
            "errors.company_no_short_name",
        ))
    } else {
        Ok(short)
    }
}

/// The `n`th candidate for a base: `acme`, `acme1`, `acme2`, ...
pub fn short_name_candidate(base: &str, n: u32) -> String {
    if n == 0 {
        base.to_owned()
    } else {
        format!("{base}{n}")
    }
}

/// The first candidate not in `taken`.
pub fn first_free_short_name<'a>(base: &str, taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: std::collections::HashSet<&str> = taken.into_iter().collect();
    (0..)
        .map(|n| short_name_candidate(base, n))
        .find(|c| !taken.contains(c.as_str()))
        .expect("an unbounded range always has a free name")
}

/// The wizard's steps, in order. The saved step is the furthest one reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WizardStep {
    Region,
    Account,
    Invite,
    Review,
    Activating,
    Active,
}

// Stored as its code in `subscriptions.step` (the wizard's steps only; activating and
// active are derived by `subscription_stage(s)`).
#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(WizardStep, "wizard step");

impl WizardStep {
    pub const ALL: [WizardStep; 6] = [
        WizardStep::Region,
        WizardStep::Account,
        WizardStep::Invite,
        WizardStep::Review,
        WizardStep::Activating,
        WizardStep::Active,
    ];

    pub const EDITABLE: [WizardStep; 4] = [
        WizardStep::Region,
        WizardStep::Account,
        WizardStep::Invite,
        WizardStep::Review,
    ];

    pub fn code(self) -> &'static str {
        match self {
            WizardStep::Region => "region",
            WizardStep::Account => "account",
            WizardStep::Invite => "invite",
            WizardStep::Review => "review",
            WizardStep::Activating => "activating",
            WizardStep::Active => "active",
        }
    }

    pub fn from_code(code: &str) -> Option<WizardStep> {
        WizardStep::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Translation key of the step's title in the wizard's step list.
    pub fn label_key(self) -> &'static str {
        match self {
            WizardStep::Region => "activation.step_region",
            WizardStep::Account => "activation.step_account",
            WizardStep::Invite => "activation.step_invite",
            _ => "activation.step_activate",
        }
    }
}

/// The activation job's steps, run in this order; each is retried on failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStep {
    CreateOrganization,
    ActivateFeatures,
    CustomizeBilling,
    SendInvitations,
    SendWelcome,
}

impl JobStep {
    pub const ALL: [JobStep; 5] = [
        JobStep::CreateOrganization,
        JobStep::ActivateFeatures,
        JobStep::CustomizeBilling,
        JobStep::SendInvitations,
        JobStep::SendWelcome,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobStep::CreateOrganization => "create_organization",
            JobStep::ActivateFeatures => "activate_features",
            JobStep::CustomizeBilling => "customize_billing",
            JobStep::SendInvitations => "send_invitations",
            JobStep::SendWelcome => "send_welcome",
        }
    }

    pub fn from_code(code: &str) -> Option<JobStep> {
        JobStep::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            JobStep::CreateOrganization => "activation.job.create_organization",
            JobStep::ActivateFeatures => "activation.job.activate_features",
            JobStep::CustomizeBilling => "activation.job.customize_billing",
            JobStep::SendInvitations => "activation.job.send_invitations",
            JobStep::SendWelcome => "activation.job.send_welcome",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    Waiting,
    Running,
    Retrying,
    Done,
    Failed,
}

/// Where the activation job's work is: running (or waiting to retry a step), done, or
/// failed for good (then "Try again" restarts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 3] = [JobStatus::Running, JobStatus::Done, JobStatus::Failed];

    /// As stored in `activation_jobs.status`.
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(JobStatus, "job status");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub status: JobStatus,
    pub steps: Vec<(JobStep, StepState)>,
    /// Shown on failure, for support.
    pub organization_id: String,
    pub attempts: i32,
}

impl JobView {
    pub fn is_done(&self, step: JobStep) -> bool {
        self.steps
            .iter()
            .any(|(s, state)| *s == step && *state == StepState::Done)
    }
}

/// Who the browser is signed in as, compared with the wizard's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionMatch {
    None,
    /// Signed in with the account this wizard created.
    Owner,
    /// Signed in as somebody else: they are asked to sign out first.
    Other {
        name: String,
        email: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortNamePreview {
    pub short_name: String,
    /// False when the base is taken and a number had to be added.
    pub as_typed: bool,
    pub base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub name: String,
    pub email: String,
    pub verified: bool,
}

/// The page an existing account's holder opens from the owner-claim mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerClaimView {
    /// The organization to be activated.
    pub company: String,
    /// The name typed in the wizard by whoever named this account.
    pub claimant: String,
    /// The account's address.
    pub email: String,
    /// The invitations the organization will send in the owner's name, as they stand.
    pub invites: Vec<InviteRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedOrg {
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub home: String,
}

/// Everything a wizard page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wizard {
    pub step: WizardStep,
    pub company_name: String,
    pub contact_email: String,
    pub plan: String,
    pub trial: bool,
    pub products: Vec<String>,
    pub region: Option<String>,
    pub owner: Option<OwnerView>,
    pub invites: Vec<InviteRow>,
    pub short_name: Option<ShortNamePreview>,
    pub job: Option<JobView>,
    pub org: Option<CreatedOrg>,
    pub session: SessionMatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_follow_the_seed_rules() {
        let cases = [
            ("Acme", "acme"),
            ("Acme Corp", "acmecorp"),
            ("ACME corp.", "acmecorp"),
            ("Acme-Corp", "acme-corp"),
            ("Acme - Corp", "acme-corp"),
            ("Acme--Corp", "acme-corp"),
            ("-Acme-", "acme"),
            ("Acme & Sons, Inc.", "acmesonsinc"),
            ("Müller", "muller"),
            ("Café Crème", "cafecreme"),
            ("Société Générale", "societegenerale"),
            ("Straße GmbH", "strassegmbh"),
            ("Ærø Øl", "aerool"),
            ("Łódź Works", "lodzworks"),
            ("Œuvre", "oeuvre"),
            ("São Paulo Tech", "saopaulotech"),
            ("3M", "3m"),
            ("Acme 2024", "acme2024"),
            ("Acme–Nord", "acme-nord"),
            ("ＡＣＭＥ", "acme"),
            ("Acme 東京", "acme"),
            ("under_score", "underscore"),
        ];
        for (company, expected) in cases {
            assert_eq!(
                short_name_base(company).as_deref(),
                Ok(expected),
                "{company}"
            );
        }
    }

    #[test]
    fn a_name_that_leaves_nothing_is_refused_clearly() {
        for company in ["!!!", "東京", "---", "   .  "] {
            let err = short_name_base(company).unwrap_err();
            assert_eq!(err.field, "company_name");
            assert_eq!(err.key, "errors.company_no_short_name", "{company}");
        }
        assert_eq!(
            parse_company_name("  ").unwrap_err().key,
            "errors.company_required"
        );
    }

    #[test]
    fn long_names_are_cut_without_a_trailing_dash() {
        let long = format!("{}-tail", "a".repeat(39));
        let short = short_name_base(&long).unwrap();
        assert_eq!(short, "a".repeat(39));
        assert!(short_name_base(&"x".repeat(300)).unwrap().len() == MAX_SHORT_NAME_CHARS);
        assert!(parse_company_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn a_number_is_added_when_the_short_name_exists() {
        assert_eq!(first_free_short_name("acme", []), "acme");
        assert_eq!(first_free_short_name("acme", ["acme"]), "acme1");
        assert_eq!(
            first_free_short_name("acme", ["acme", "acme1", "acme2"]),
            "acme3"
        );
        assert_eq!(first_free_short_name("acme", ["acme", "acme2"]), "acme1");
        assert_eq!(first_free_short_name("acme", ["acme1"]), "acme");
    }
}

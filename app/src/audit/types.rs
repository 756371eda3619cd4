//! What the audit log records, shared by the server (which stores it) and the page.

use serde::{Deserialize, Serialize};

/// Everything the audit log records. Stored as `code()` in `audit_events.action`; its
/// words are under `i18n_key()` in the three locale files. In JSON it is its code too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    PersonAdded,
    InvitationSent,
    InvitationResent,
    InvitationRevoked,
    PersonActivated,
    PersonDeactivated,
    RoleChanged,
    InviteAll,
    JoinDomainsChanged,
    JoinLinkEnabled,
    JoinLinkDisabled,
    PersonJoined,
    InvitationAccepted,
    InvitationDeclined,
    ApiKeyCreated,
    ApiKeyRevoked,
    SecondFactorPolicyChanged,
    SecondFactorReset,
    DomainAdded,
    DomainVerified,
    DomainUnverified,
    DomainRemoved,
    EmailChanged,
    PersonUpdated,
    GroupChanged,
    SsoChanged,
    InvitationReminded,
    InvitationExtended,
    RemindersChanged,
    MemberLeft,
    OwnershipOffered,
    OwnershipTransferred,
    OwnershipDeclined,
    /// A CSV file of people was checked (the dry run); the detail is its number of rows.
    PeopleImportChecked,
    /// A checked file was imported; the detail is how many people were added.
    PeopleImported,
    /// An export of the audit log was asked for; the subject is its format, the detail
    /// its filter.
    AuditExported,
}

impl AuditAction {
    pub const ALL: [AuditAction; 36] = [
        AuditAction::PersonAdded,
        AuditAction::InvitationSent,
        AuditAction::InvitationResent,
        AuditAction::InvitationRevoked,
        AuditAction::PersonActivated,
        AuditAction::PersonDeactivated,
        AuditAction::RoleChanged,
        AuditAction::InviteAll,
        AuditAction::JoinDomainsChanged,
        AuditAction::JoinLinkEnabled,
        AuditAction::JoinLinkDisabled,
        AuditAction::PersonJoined,
        AuditAction::InvitationAccepted,
        AuditAction::InvitationDeclined,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::SecondFactorPolicyChanged,
        AuditAction::SecondFactorReset,
        AuditAction::DomainAdded,
        AuditAction::DomainVerified,
        AuditAction::DomainUnverified,
        AuditAction::DomainRemoved,
        AuditAction::EmailChanged,
        AuditAction::PersonUpdated,
        AuditAction::GroupChanged,
        AuditAction::SsoChanged,
        AuditAction::InvitationReminded,
        AuditAction::InvitationExtended,
        AuditAction::RemindersChanged,
        AuditAction::MemberLeft,
        AuditAction::OwnershipOffered,
        AuditAction::OwnershipTransferred,
        AuditAction::OwnershipDeclined,
        AuditAction::PeopleImportChecked,
        AuditAction::PeopleImported,
        AuditAction::AuditExported,
    ];

    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::PersonAdded => "person_added",
            AuditAction::InvitationSent => "invitation_sent",
            AuditAction::InvitationResent => "invitation_resent",
            AuditAction::InvitationRevoked => "invitation_revoked",
            AuditAction::PersonActivated => "person_activated",
            AuditAction::PersonDeactivated => "person_deactivated",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::InviteAll => "invite_all",
            AuditAction::JoinDomainsChanged => "join_domains_changed",
            AuditAction::JoinLinkEnabled => "join_link_enabled",
            AuditAction::JoinLinkDisabled => "join_link_disabled",
            AuditAction::PersonJoined => "person_joined",
            AuditAction::InvitationAccepted => "invitation_accepted",
            AuditAction::InvitationDeclined => "invitation_declined",
            AuditAction::ApiKeyCreated => "api_key_created",
            AuditAction::ApiKeyRevoked => "api_key_revoked",
            AuditAction::SecondFactorPolicyChanged => "second_factor_policy_changed",
            AuditAction::SecondFactorReset => "second_factor_reset",
            AuditAction::DomainAdded => "domain_added",
            AuditAction::DomainVerified => "domain_verified",
            AuditAction::DomainUnverified => "domain_unverified",
            AuditAction::DomainRemoved => "domain_removed",
            AuditAction::EmailChanged => "email_changed",
            AuditAction::PersonUpdated => "person_updated",
            AuditAction::GroupChanged => "group_changed",
            AuditAction::SsoChanged => "sso_changed",
            AuditAction::InvitationReminded => "invitation_reminded",
            AuditAction::InvitationExtended => "invitation_extended",
            AuditAction::RemindersChanged => "reminders_changed",
            AuditAction::MemberLeft => "member_left",
            AuditAction::OwnershipOffered => "ownership_offered",
            AuditAction::OwnershipTransferred => "ownership_transferred",
            AuditAction::OwnershipDeclined => "ownership_declined",
            AuditAction::PeopleImportChecked => "people_import_checked",
            AuditAction::PeopleImported => "people_imported",
            AuditAction::AuditExported => "audit_exported",
        }
    }

    /// Its words in the audit log.
    pub fn i18n_key(self) -> &'static str {
        match self {
            AuditAction::PersonAdded => "audit.person_added",
            AuditAction::InvitationSent => "audit.invitation_sent",
            AuditAction::InvitationResent => "audit.invitation_resent",
            AuditAction::InvitationRevoked => "audit.invitation_revoked",
            AuditAction::PersonActivated => "audit.person_activated",
            AuditAction::PersonDeactivated => "audit.person_deactivated",
            AuditAction::RoleChanged => "audit.role_changed",
            AuditAction::InviteAll => "audit.invite_all",
            AuditAction::JoinDomainsChanged => "audit.join_domains_changed",
            AuditAction::JoinLinkEnabled => "audit.join_link_enabled",
            AuditAction::JoinLinkDisabled => "audit.join_link_disabled",
            AuditAction::PersonJoined => "audit.person_joined",
            AuditAction::InvitationAccepted => "audit.invitation_accepted",
            AuditAction::InvitationDeclined => "audit.invitation_declined",
            AuditAction::ApiKeyCreated => "audit.api_key_created",
            AuditAction::ApiKeyRevoked => "audit.api_key_revoked",
            AuditAction::SecondFactorPolicyChanged => "audit.second_factor_policy_changed",
            AuditAction::SecondFactorReset => "audit.second_factor_reset",
            AuditAction::DomainAdded => "audit.domain_added",
            AuditAction::DomainVerified => "audit.domain_verified",
            AuditAction::DomainUnverified => "audit.domain_unverified",
            AuditAction::DomainRemoved => "audit.domain_removed",
            AuditAction::EmailChanged => "audit.email_changed",
            AuditAction::PersonUpdated => "audit.person_updated",
            AuditAction::GroupChanged => "audit.group_changed",
            AuditAction::SsoChanged => "audit.sso_changed",
            AuditAction::InvitationReminded => "audit.invitation_reminded",
            AuditAction::InvitationExtended => "audit.invitation_extended",
            AuditAction::RemindersChanged => "audit.reminders_changed",
            AuditAction::MemberLeft => "audit.member_left",
            AuditAction::OwnershipOffered => "audit.ownership_offered",
            AuditAction::OwnershipTransferred => "audit.ownership_transferred",
            AuditAction::OwnershipDeclined => "audit.ownership_declined",
            AuditAction::PeopleImportChecked => "audit.people_import_checked",
            AuditAction::PeopleImported => "audit.people_imported",
            AuditAction::AuditExported => "audit.audit_exported",
        }
    }
}

#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(AuditAction, "audit action");

/// One entry of the audit log (also what `GET /api/v1/audit` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// UTC, as "YYYY-MM-DD HH:MM".
    pub when: String,
    pub actor: String,
    pub action: AuditAction,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

/// Which entries the audit page shows, as in its address: a part of the actor's name,
/// an action's code, and a time range (days `YYYY-MM-DD`, UTC, both included, or RFC
/// 3339 times); empty strings filter nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub from: String,
    pub to: String,
}

impl AuditFilter {
    /// The filter's part of an address (`actor=…&action=…`), empty parts left out.
    pub fn query(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::url::encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub org_name: String,
    pub org_home: String,
    pub events: Vec<AuditEntry>,
    pub filter: AuditFilter,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
    /// The latest exports, newest first.
    pub exports: Vec<AuditExport>,
}

/// The file an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// Comma-separated, a header row, cells a spreadsheet would run written as text.
    Csv,
    /// One JSON object per line, as `GET /api/v1/audit` gives each entry.
    JsonLines,
}

impl ExportFormat {
    pub fn code(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }

    pub fn from_code(code: &str) -> Option<ExportFormat> {
        [ExportFormat::Csv, ExportFormat::JsonLines]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            ExportFormat::Csv => "audit.export_csv",
            ExportFormat::JsonLines => "audit.export_jsonl",
        }
    }
}

/// Where an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportState {
    Queued,
    Running,
    Done,
    Failed,
}

impl ExportState {
    pub fn from_code(code: &str) -> ExportState {
        match code {
            "queued" => ExportState::Queued,
            "running" => ExportState::Running,
            "done" => ExportState::Done,
            _ => ExportState::Failed,
        }
    }

    pub fn running(self) -> bool {
        matches!(self, ExportState::Queued | ExportState::Running)
    }
}

/// An export of the audit log, as the audit page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditExport {
    pub id: i64,
    pub format: ExportFormat,
    pub filter: AuditFilter,
    pub state: ExportState,
    /// Entries in it (known once the worker has counted them).
    pub total: Option<i64>,
    pub done: i64,
    pub bytes: i64,
    /// UTC, as "YYYY-MM-DD HH:MM".
    pub when: String,
    pub by: String,
    /// Where the finished file downloads.
    pub href: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Locale, tr};

    #[test]
    fn every_action_has_its_words_in_every_language() {
        for action in AuditAction::ALL {
            let key = action.i18n_key();
            assert_eq!(key, format!("audit.{}", action.code()));
            for locale in Locale::ALL {
                let words = tr(locale, key);
                assert!(!words.is_empty() && words != key, "{key} in {locale:?}");
            }
        }
    }
}

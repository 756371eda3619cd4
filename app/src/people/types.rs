//! The people list as pages see it.

use serde::{Deserialize, Serialize};

use crate::invite_all::types::BatchProgress;
use crate::joining::types::JoinLinkSettings;
use crate::roles::Role;

/// Whether a person is Active or Inactive in the directory. Deactivating ends their
/// access (and their open invitation); Invite All and Send Invite make them Active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonStatus {
    Active,
    Inactive,
}

impl PersonStatus {
    pub const ALL: [PersonStatus; 2] = [PersonStatus::Active, PersonStatus::Inactive];

    /// As stored in `people.status`.
    pub fn code(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Inactive => "inactive",
        }
    }
}

#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(PersonStatus, "person status");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    NotInvited,
    Pending,
    Accepted,
    Expired,
    Revoked,
    /// The invitation mail could not be delivered (the outbox gave up): send it again.
    NotDelivered,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 6] = [
        InvitationStatus::NotInvited,
        InvitationStatus::Pending,
        InvitationStatus::Accepted,
        InvitationStatus::Expired,
        InvitationStatus::Revoked,
        InvitationStatus::NotDelivered,
    ];

    /// As written in the People page's markup (`data-invitation`).
    pub fn code(self) -> &'static str {
        match self {
            InvitationStatus::NotInvited => "none",
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::NotDelivered => "undelivered",
        }
    }

    pub fn from_code(code: &str) -> Option<InvitationStatus> {
        InvitationStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            InvitationStatus::NotInvited => "people.invitation_none",
            InvitationStatus::Pending => "people.invitation_pending",
            InvitationStatus::Accepted => "people.invitation_accepted",
            InvitationStatus::Expired => "people.invitation_expired",
            InvitationStatus::Revoked => "people.invitation_revoked",
            InvitationStatus::NotDelivered => "people.invitation_not_delivered",
        }
    }
}

/// Where the latest mail of a person's invitation (the invitation or a reminder) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Queued,
    /// The mail server did not take it yet; Muster tries again (for 72 hours).
    Retrying,
    /// The mail server took it.
    Sent,
    /// The mail server refused it, or no attempt succeeded in time.
    NotDelivered,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Queued,
        DeliveryState::Retrying,
        DeliveryState::Sent,
        DeliveryState::NotDelivered,
    ];

    /// As written in the People page's markup (`data-delivery`).
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Sent => "sent",
            DeliveryState::NotDelivered => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Its words, with `%{at}` (and `%{reason}` where the mail server gave one).
    pub fn label_key(self) -> &'static str {
        match self {
            DeliveryState::Queued => "people.delivery_queued",
            DeliveryState::Retrying => "people.delivery_retrying",
            DeliveryState::Sent => "people.delivery_sent",
            DeliveryState::NotDelivered => "people.delivery_failed",
        }
    }
}

/// The delivery of a pending invitation's latest mail: its state, since when (UTC,
/// "YYYY-MM-DD HH:MM") and the mail server's reason when it did not take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub state: DeliveryState,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// When the welcome (invitation) email was sent, as YYYY-MM-DD.
    pub welcome_sent: Option<String>,
    pub invitation: InvitationStatus,
    /// For an invitation not accepted: where its latest mail is, while the outbox keeps it.
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub org_name: String,
    pub org_home: String,
    pub my_role: Role,
    pub can_invite: bool,
    /// Owners and admins, named to people who may not invite.
    pub contacts: Vec<String>,
    pub people: Vec<PersonRow>,
    /// The search, sort and page this list shows (all in the URL).
    pub query: ListQuery,
    /// Cursor of the next page (`after=`) and of the previous one (`before=`).
    pub next: Option<i64>,
    pub prev: Option<i64>,
    /// For people who may invite: the daily quota, Invite All and the Link tab.
    pub admin: Option<AdminView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminView {
    pub quota: i32,
    pub quota_left: i32,
    pub batch: Option<BatchProgress>,
    pub link: JoinLinkSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Name,
    Email,
}

/// Search, sort and page of the people list, as carried in the page's URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListQuery {
    /// Case-insensitive substring of the name or email; empty for everyone.
    pub q: String,
    pub sort: SortKey,
    pub desc: bool,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl ListQuery {
    /// Reads the URL's parameters; anything unknown falls back to the default.
    pub fn from_params(
        q: Option<String>,
        sort: Option<String>,
        after: Option<String>,
        before: Option<String>,
    ) -> ListQuery {
        let sort_param = sort.unwrap_or_default();
        let (key, desc) = match sort_param.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (sort_param.as_str(), false),
        };
        let q: String = q.unwrap_or_default().trim().chars().take(100).collect();
        let cursor = |v: Option<String>| v.and_then(|v| v.parse::<i64>().ok());
        ListQuery {
            q,
            sort: if key == "email" {
                SortKey::Email
            } else {
                SortKey::Name
            },
            desc,
            after: cursor(after),
            before: cursor(before),
        }
    }

    /// The `sort=` value: `name`, `-name`, `email` or `-email`.
    pub fn sort_param(&self) -> String {
        let key = match self.sort {
            SortKey::Name => "name",
            SortKey::Email => "email",
        };
        if self.desc {
            format!("-{key}")
        } else {
            key.to_owned()
        }
    }

    /// The list's URL under `base` with this search and sort and the given cursor.
    pub fn href(&self, base: &str, after: Option<i64>, before: Option<i64>) -> String {
        let mut params = vec![format!("sort={}", self.sort_param())];
        if !self.q.is_empty() {
            params.push(format!("q={}", crate::url::encode(&self.q)));
        }
        if let Some(a) = after {
            params.push(format!("after={a}"));
        }
        if let Some(b) = before {
            params.push(format!("before={b}"));
        }
        format!("{base}?{}", params.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_round_trip_through_the_url() {
        let q = ListQuery::from_params(
            Some("  Ann & Co ".into()),
            Some("-email".into()),
            Some("42".into()),
            None,
        );
        assert_eq!(q.q, "Ann & Co");
        assert_eq!(q.sort, SortKey::Email);
        assert!(q.desc);
        assert_eq!(q.after, Some(42));
        assert_eq!(
            q.href("/p", Some(7), None),
            "/p?sort=-email&q=Ann%20%26%20Co&after=7"
        );
        let d = ListQuery::from_params(None, Some("nonsense".into()), Some("x".into()), None);
        assert_eq!((d.sort, d.desc, d.after), (SortKey::Name, false, None));
    }
}

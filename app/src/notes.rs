//! What the bell tells a person besides invitations: a member left an organization they
//! own, their offer of ownership was answered. Written here alone (by whoever has the
//! news, in the transaction of the change), read and dismissed through the bell
//! (`notifications/`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoteKind {
    MemberLeft,
    OwnershipAccepted,
    OwnershipDeclined,
}

impl NoteKind {
    pub const ALL: [NoteKind; 3] = [
        NoteKind::MemberLeft,
        NoteKind::OwnershipAccepted,
        NoteKind::OwnershipDeclined,
    ];

    /// As stored in `user_notes.kind`.
    pub fn code(self) -> &'static str {
        match self {
            NoteKind::MemberLeft => "member_left",
            NoteKind::OwnershipAccepted => "ownership_accepted",
            NoteKind::OwnershipDeclined => "ownership_declined",
        }
    }

    /// Its words, with `%{who}` and `%{org}`.
    pub fn text_key(self) -> &'static str {
        match self {
            NoteKind::MemberLeft => "notifications.member_left",
            NoteKind::OwnershipAccepted => "notifications.ownership_accepted",
            NoteKind::OwnershipDeclined => "notifications.ownership_declined",
        }
    }
}

#[cfg(feature = "ssr")]
crate::stored::stored_as_code!(NoteKind, "note kind");

/// A note as the bell shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub kind: NoteKind,
    pub org_name: String,
    pub who: String,
    /// UTC, as "YYYY-MM-DD HH:MM".
    pub when: String,
}

#[cfg(feature = "ssr")]
pub use store::*;

#[cfg(feature = "ssr")]
mod store {
    use chrono::{DateTime, Utc};
    use sqlx::PgExecutor;

    use super::{Note, NoteKind};

    /// Tells every active OWNER of the organization (but `except`, who caused it).
    pub async fn tell_owners(
        db: impl PgExecutor<'_>,
        org_id: i64,
        except: i64,
        kind: NoteKind,
        who: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query!(
            r#"INSERT INTO user_notes (user_id, org_id, kind, subject)
               SELECT p.user_id, p.org_id, $3, $4 FROM people p
               JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
               WHERE p.org_id = $1 AND p.role = 'OWNER' AND p.status = 'active'
                 AND p.user_id <> $2"#,
            org_id,
            except,
            kind.code(),
            who
        )
        .execute(db)
        .await?;
        Ok(())
    }

    /// Tells one person.
    pub async fn tell(
        db: impl PgExecutor<'_>,
        user_id: i64,
        org_id: i64,
        kind: NoteKind,
        who: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "INSERT INTO user_notes (user_id, org_id, kind, subject) VALUES ($1, $2, $3, $4)",
            user_id,
            org_id,
            kind.code(),
            who
        )
        .execute(db)
        .await?;
        Ok(())
    }

    struct NoteRow {
        id: i64,
        kind: NoteKind,
        org_name: String,
        who: String,
        created_at: DateTime<Utc>,
    }

    /// The person's notes not yet dismissed, newest first (at most 50).
    pub async fn unread(db: impl PgExecutor<'_>, user_id: i64) -> Result<Vec<Note>, sqlx::Error> {
        let rows = sqlx::query_as!(
            NoteRow,
            r#"SELECT n.id, n.kind AS "kind: NoteKind", o.name AS org_name, n.subject AS who,
                      n.created_at
               FROM user_notes n JOIN organizations o ON o.id = n.org_id
               WHERE n.user_id = $1 AND n.read_at IS NULL
               ORDER BY n.id DESC LIMIT 50"#,
            user_id
        )
        .fetch_all(db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Note {
                id: r.id,
                kind: r.kind,
                org_name: r.org_name,
                who: r.who,
                when: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
            })
            .collect())
    }

    /// "Dismiss": the note leaves the bell. `false` when it is not the person's.
    pub async fn dismiss(
        db: impl PgExecutor<'_>,
        user_id: i64,
        id: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query!(
            "UPDATE user_notes SET read_at = now()
             WHERE id = $1 AND user_id = $2 AND read_at IS NULL",
            id,
            user_id
        )
        .execute(db)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

//! Every SQL statement about the people list. Each filters by organization.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

use crate::access::{Granted, can};
use crate::people::types::{ListQuery, PersonStatus, SortKey};
use crate::roles::Role;

#[derive(sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub status: PersonStatus,
    pub welcome_sent_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub undelivered_at: Option<DateTime<Utc>>,
    pub member: bool,
    /// The invitation's latest mail: `pending`, `sent` or `failed`, with its attempts,
    /// when it was queued and sent, and the mail server's last answer.
    pub mail_status: Option<String>,
    pub mail_attempts: Option<i32>,
    pub mail_queued_at: Option<DateTime<Utc>>,
    pub mail_sent_at: Option<DateTime<Utc>>,
    pub mail_error: Option<String>,
}

/// A search's words, cut and lowercased as `people_search_words` (migration 0019) cuts
/// names and addresses into `people.search_words` (0020): runs of letters and digits.
fn search_words(q: &str) -> Vec<String> {
    q.to_lowercase()
        .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The search as a full-text query over the organization's words (`42:anna`): every
/// word must begin a word of the person's name or address. None when the search has no
/// words (only punctuation): it finds no one.
fn word_prefixes(org_id: i64, q: &str) -> Option<String> {
    let words = search_words(q);
    // A word holds no ASCII punctuation, so no quote, backslash or operator of tsquery.
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("'{org_id}:{w}':*"))
            .collect::<Vec<_>>()
            .join(" & ")
    })
}

/// How far a one-word search walks the list in its order before it looks at its
/// matches alone (about 2 ms in the organization of 1,000,000).
const SEARCH_WALK: i64 = 2_000;

/// Where a page's people are read from.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// The list in its order (the index of the sort), filtered by the search if any.
    InOrder,
    /// The first `SEARCH_WALK` people in the list's order, filtered by the search.
    Walk,
    /// The search's matches alone (its word index), then sorted.
    Matches,
}

/// One page of people (keyset paging: `after`/`before` is the id of the row the page
/// continues from), with each person's latest invitation. Fetches `limit + 1` rows so the
/// caller knows whether there is more; rows come back in display order.
///
/// A one-word search cannot tell PostgreSQL how many people it matches (a prefix of a
/// word has no statistics), so left to itself it walks the list in its order and
/// filters: quick for a common word ("anna" in 1,000,000 people: 0.3 ms), but a word
/// nobody has walked the whole organization (2.9 s in 1,000,000). So it walks at most
/// `SEARCH_WALK` people in order; if those hold a whole page of matches, that is the
/// page (the matches of a prefix of the order come first in it); if not, the word is
/// rare there, and its matches are read from the word index and sorted. A search of
/// several words is left to PostgreSQL, which expects few people to have them all and
/// reads their matches through the index ("bernard 12345": 1 ms).
pub async fn list(
    db: &mut sqlx::PgConnection,
    org_id: i64,
    query: &ListQuery,
    limit: i64,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    let words = word_prefixes(org_id, &query.q);
    if search_words(&query.q).len() != 1 {
        let words = words.as_deref();
        return list_read(&mut *db, org_id, query, words, limit, Read::InOrder).await;
    }
    let rows = list_read(&mut *db, org_id, query, words.as_deref(), limit, Read::Walk).await?;
    if rows.len() as i64 > limit {
        return Ok(rows);
    }
    list_read(db, org_id, query, words.as_deref(), limit, Read::Matches).await
}

async fn list_read(
    db: &mut sqlx::PgConnection,
    org_id: i64,
    query: &ListQuery,
    words: Option<&str>,
    limit: i64,
    read: Read,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    // The sort key as an SQL row value, for both the people and the cursor row.
    let key = |alias: &str| match query.sort {
        SortKey::Name => format!("(lower({alias}.name), {alias}.email)"),
        SortKey::Email => format!("({alias}.email)"),
    };
    // Paging backwards walks the index the other way, then the rows are reversed.
    let backwards = query.before.is_some();
    let ascending = query.desc == backwards;
    let order = if ascending { "ASC" } else { "DESC" };
    let order_by = match query.sort {
        SortKey::Name => format!(" ORDER BY lower(p.name) {order}, p.email {order}"),
        SortKey::Email => format!(" ORDER BY p.email {order}"),
    };
    // The page's people first (ordered, limited), then each one's latest invitation: a
    // search matching 500 people looks up 51 invitations, not 500.
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        r#"SELECT p.id, p.name, p.email, p.role, p.status, p.welcome_sent_at,
                  i.accepted_at, i.revoked_at, i.expires_at, i.undelivered_at,
                  e.status AS mail_status, e.attempts AS mail_attempts,
                  e.created_at AS mail_queued_at, e.sent_at AS mail_sent_at,
                  e.last_error AS mail_error,
                  EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS member
           FROM ("#,
    );
    match read {
        Read::InOrder => sql.push("SELECT * FROM people p WHERE "),
        // The walk's rows carry their sort key, so that PostgreSQL sees they come in
        // order (`lower(p.name)` of the walk's rows is a new expression to it, and it
        // sorted all 5,000 again: 18 ms instead of 0.3 for "anna" in 1,000,000).
        Read::Walk => {
            sql.push("SELECT * FROM (SELECT *, lower(p.name) AS sort_name FROM people p WHERE ")
        }
        // Materialized: read by the word index, never by walking the order.
        Read::Matches => sql.push("WITH m AS MATERIALIZED (SELECT * FROM people p WHERE "),
    };
    sql.push("p.org_id = ").push_bind(org_id);
    if let (Some(words), Read::InOrder | Read::Matches) = (words, read) {
        sql.push(" AND p.search_words @@ ")
            .push_bind(words.to_owned())
            .push("::tsquery");
    }
    if !query.q.is_empty() && words.is_none() {
        sql.push(" AND false");
    }
    if let Some(cursor) = query.after.or(query.before) {
        sql.push(format!(
            " AND {} {} (SELECT {} FROM people c WHERE c.org_id = ",
            key("p"),
            if ascending { ">" } else { "<" },
            key("c").trim_start_matches('(').trim_end_matches(')')
        ))
        .push_bind(org_id)
        .push(" AND c.id = ")
        .push_bind(cursor)
        .push(")");
    }
    // The limits are the code's constants, written into the statement: as a parameter,
    // PostgreSQL never found a generic plan as good as one made for the values, so it
    // planned the page again on every view (0.4 ms of the statement's 0.8 ms).
    match (read, words) {
        (Read::Walk, Some(words)) => {
            sql.push(&order_by)
                .push(format!(" LIMIT {SEARCH_WALK}) p WHERE p.search_words @@ "))
                .push_bind(words.to_owned())
                .push("::tsquery");
            let walked = match query.sort {
                SortKey::Name => format!(" ORDER BY p.sort_name {order}, p.email {order}"),
                SortKey::Email => format!(" ORDER BY p.email {order}"),
            };
            sql.push(walked).push(format!(" LIMIT {}", limit + 1));
        }
        (Read::Matches, _) => {
            sql.push(") SELECT * FROM m p");
            sql.push(&order_by).push(format!(" LIMIT {}", limit + 1));
        }
        _ => {
            sql.push(&order_by).push(format!(" LIMIT {}", limit + 1));
        }
    }
    sql.push(
        r#") p
           LEFT JOIN LATERAL (
               SELECT id, accepted_at, revoked_at, expires_at, undelivered_at FROM invitations
               WHERE org_id = p.org_id AND email = p.email
               ORDER BY created_at DESC LIMIT 1
           ) i ON true
           LEFT JOIN LATERAL (
               SELECT status, attempts, created_at, sent_at, last_error FROM outbox_emails
               WHERE invitation_id = i.id AND i.accepted_at IS NULL
               ORDER BY id DESC LIMIT 1
           ) e ON true"#,
    )
    .push(&order_by);
    // A search is planned for its own words (a word in every row, or in ten of a
    // million, wants a different plan), never by a plan cached for other words.
    let mut rows: Vec<PersonRow> = sql
        .build_query_as()
        .persistent(words.is_none())
        .fetch_all(db)
        .await?;
    if backwards {
        // Keep the extra row (the "is there more" marker) at the end after reversing.
        let extra = (rows.len() as i64 > limit).then(|| rows.pop()).flatten();
        rows.reverse();
        rows.extend(extra);
    }
    Ok(rows)
}

pub struct PersonForAction {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub status: PersonStatus,
    pub welcome_sent_at: Option<DateTime<Utc>>,
    pub member: bool,
}

/// The person with this address in the organization's directory.
pub async fn person_id_by_email(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM people WHERE org_id = $1 AND email = $2",
        org_id,
        email
    )
    .fetch_optional(db)
    .await
}

/// The person (id, email) an open invitation of the organization is for.
pub async fn person_for_open_invitation(
    db: impl PgExecutor<'_>,
    org_id: i64,
    invitation_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT p.id, p.email FROM invitations i JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           WHERE i.org_id = $1 AND i.id = $2
             AND invitation_is_open(i)"#,
        org_id,
        invitation_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.email)))
}

/// Locks one person of the organization for the rest of the transaction.
pub async fn lock_person(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    person_id: i64,
) -> Result<Option<PersonForAction>, sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query_as!(
        PersonForAction,
        r#"SELECT p.id, p.email, p.role AS "role: Role", p.status AS "status: PersonStatus",
                  p.welcome_sent_at,
                  EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS "member!"
           FROM people p WHERE p.org_id = $1 AND p.id = $2 FOR UPDATE"#,
        org_id,
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Active members holding OWNER, locked: the last one may not be demoted or deactivated.
pub async fn lock_active_owners(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
) -> Result<Vec<i64>, sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query_scalar!(
        r#"SELECT p.id FROM people p
           JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           WHERE p.org_id = $1 AND p.role = 'OWNER' AND p.status = 'active'
           ORDER BY p.id FOR UPDATE OF p"#,
        org_id
    )
    .fetch_all(db)
    .await
}

//! Every SQL statement about the people list. Each filters by organization.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

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
}

/// Escapes `%`, `_` and `\` so a search is a plain substring match.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One page of people (keyset paging: `after`/`before` is the id of the row the page
/// continues from), with each person's latest invitation. Fetches `limit + 1` rows so the
/// caller knows whether there is more; rows come back in display order.
pub async fn list(
    db: impl PgExecutor<'_>,
    org_id: i64,
    query: &ListQuery,
    limit: i64,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    // The sort key as an SQL row value, for both the people and the cursor row.
    let key = |alias: &str| match query.sort {
        SortKey::Name => format!("(lower({alias}.name), {alias}.email)"),
        SortKey::Email => format!("({alias}.email)"),
    };
    // Paging backwards walks the index the other way, then the rows are reversed.
    let backwards = query.before.is_some();
    let ascending = query.desc == backwards;
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        r#"SELECT p.id, p.name, p.email, p.role, p.status, p.welcome_sent_at,
                  i.accepted_at, i.revoked_at, i.expires_at, i.undelivered_at,
                  EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS member
           FROM people p
           LEFT JOIN LATERAL (
               SELECT accepted_at, revoked_at, expires_at, undelivered_at FROM invitations
               WHERE org_id = p.org_id AND email = p.email
               ORDER BY created_at DESC LIMIT 1
           ) i ON true
           WHERE p.org_id = "#,
    );
    sql.push_bind(org_id);
    if !query.q.is_empty() {
        sql.push(" AND (lower(p.name) || ' ' || p.email) LIKE ")
            .push_bind(like_pattern(&query.q));
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
    let order = if ascending { "ASC" } else { "DESC" };
    match query.sort {
        SortKey::Name => sql.push(format!(" ORDER BY lower(p.name) {order}, p.email {order}")),
        SortKey::Email => sql.push(format!(" ORDER BY p.email {order}")),
    };
    sql.push(" LIMIT ").push_bind(limit + 1);
    let mut rows: Vec<PersonRow> = sql.build_query_as().fetch_all(db).await?;
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
    org_id: i64,
    person_id: i64,
) -> Result<Option<PersonForAction>, sqlx::Error> {
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

/// Ends the person's open invitation. `replaced`: a new one is being sent (Resend).
pub async fn end_open_invitation(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
    replaced: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE invitations i
           SET revoked_at = now(), replaced_at = CASE WHEN $3 THEN now() END
           WHERE i.org_id = $1 AND i.email = $2 AND invitation_is_pending(i)"#,
        org_id,
        email,
        replaced
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_status(
    db: impl PgExecutor<'_>,
    org_id: i64,
    person_id: i64,
    status: PersonStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET status = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        person_id,
        status.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The person's role: the one column that holds it, for their membership and for an
/// invitation they have not answered yet.
pub async fn set_role(
    db: impl PgExecutor<'_>,
    org_id: i64,
    person: &PersonForAction,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET role = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        person.id,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Active members holding OWNER, locked: the last one may not be demoted or deactivated.
pub async fn lock_active_owners(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
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

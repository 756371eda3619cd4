//! Every statement that writes `people` or `invitations` (and `invitation_old_links`):
//! the one place where their rows change. The features that add, invite, accept, join,
//! provision and deliver call these through `service.rs`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;

use crate::access::{Granted, can};

/// Marks the invitation accepted and returns the role its person has (the person record
/// owns it); `None` if it was accepted, revoked, expired or, when accepted by link, sent
/// again (`token_hash` is no longer its link) meanwhile. The bell accepts by id (`None`).
pub async fn mark_accepted(
    db: impl PgExecutor<'_>,
    id: i64,
    token_hash: Option<&[u8]>,
) -> Result<Option<crate::roles::Role>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE invitations i SET accepted_at = now()
           FROM people p
           WHERE i.id = $1
             AND ($2::bytea IS NULL OR i.token_hash = $2
                  OR EXISTS (SELECT 1 FROM invitation_reminders r
                             WHERE r.invitation_id = i.id AND r.token_hash = $2))
             AND invitation_is_open(i)
             AND p.org_id = i.org_id AND p.email = i.email
           RETURNING p.role AS "role: crate::roles::Role""#,
        id,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Inserts an invitation; `false` when the person already has an open one.
#[allow(clippy::too_many_arguments)]
pub async fn insert_invitation(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
    token_hash: &[u8],
    invited_by: i64,
    valid_days: i32,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO invitations (org_id, email, token_hash, invited_by, sent_at, expires_at)
           VALUES ($1, $2, $3, $4, now(), now() + make_interval(days => $5))
           ON CONFLICT DO NOTHING
           RETURNING id"#,
        org_id,
        email,
        token_hash,
        invited_by,
        valid_days
    )
    .fetch_optional(db)
    .await
}

/// Sends an invitation again in place: its current link, and its reminders' links, are
/// kept as old links (which then say it was replaced), and it gets `token_hash` and
/// `valid_days` more.
pub async fn renew_invitation(
    db: impl PgExecutor<'_>,
    id: i64,
    token_hash: &[u8],
    invited_by: i64,
    valid_days: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH old AS (
               INSERT INTO invitation_old_links (token_hash, invitation_id)
               SELECT token_hash, id FROM invitations WHERE id = $1
               UNION ALL
               SELECT token_hash, invitation_id FROM invitation_reminders WHERE invitation_id = $1
           ), reminded AS (
               DELETE FROM invitation_reminders WHERE invitation_id = $1
           )
           UPDATE invitations
           SET token_hash = $2, invited_by = $3, sent_at = now(),
               expires_at = now() + make_interval(days => $4)
           WHERE id = $1"#,
        id,
        token_hash,
        invited_by,
        valid_days
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records that `email` was sent its welcome (invitation) email, which makes an inactive
/// person active again.
pub async fn mark_welcome_sent(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people SET welcome_sent_at = now(), status = 'active'
           WHERE org_id = $1 AND email = $2"#,
        org_id,
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts a person; `None` when the email is already in the organization.
pub async fn insert_person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    name: &str,
    email: &str,
    role: &str,
    user_id: Option<i64>,
    added_by: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO people (org_id, name, email, role, user_id, added_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (org_id, email) DO NOTHING
           RETURNING id"#,
        org_id,
        name,
        email,
        role,
        user_id,
        added_by
    )
    .fetch_optional(db)
    .await
}

/// A people import's next `limit` rows to be added after line `after`, inserted in one
/// statement: each row's line, and the new person's id (`None`: the address was added
/// to the organization since the dry run).
pub async fn insert_imported(
    db: impl PgExecutor<'_>,
    org_id: i64,
    import_id: i64,
    after: i32,
    limit: i64,
    added_by: Option<i64>,
) -> Result<Vec<(i32, Option<i64>)>, sqlx::Error> {
    // The chunk's rows and the inserted ones come back side by side and are matched
    // here: joined in the statement, a plan that took the just-written rows for a few
    // compared every pair (25,000,000 for a chunk, 1.5 s).
    let rows = sqlx::query!(
        r#"WITH chunk AS (
               SELECT r.line, r.name, r.email, r.role FROM people_import_rows r
               JOIN people_imports i ON i.id = r.import_id AND i.org_id = $1
               WHERE r.import_id = $2 AND r.outcome = 'add' AND r.line > $3
               ORDER BY r.line LIMIT $4
           ), inserted AS (
               INSERT INTO people (org_id, name, email, role, added_by)
               SELECT $1, name, email, role, $5 FROM chunk ORDER BY line
               ON CONFLICT (org_id, email) DO NOTHING
               RETURNING id, email
           )
           SELECT NULL::int AS line, id AS "id?", email AS "email!" FROM inserted
           UNION ALL
           SELECT line, NULL, email FROM chunk"#,
        org_id,
        import_id,
        after,
        limit,
        added_by
    )
    .fetch_all(db)
    .await?;
    let mut ids = std::collections::HashMap::with_capacity(rows.len() / 2);
    let mut lines = Vec::with_capacity(rows.len() / 2);
    for row in rows {
        match (row.line, row.id) {
            (None, Some(id)) => {
                ids.insert(row.email, id);
            }
            (Some(line), _) => lines.push((line, row.email)),
            _ => {}
        }
    }
    lines.sort_unstable_by_key(|(line, _)| *line);
    Ok(lines
        .into_iter()
        .map(|(line, email)| (line, ids.get(&email).copied()))
        .collect())
}

/// The person behind an accepted invitation now has an account.
pub async fn link_person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
    user_id: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET user_id = $3, name = $4 WHERE org_id = $1 AND email = $2",
        org_id,
        email,
        user_id,
        name
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Creates a chunk's invitations in one statement; returns the emails that got one (a
/// person invited meanwhile by hand keeps that invitation).
#[allow(clippy::too_many_arguments)]
pub async fn insert_invitations(
    db: impl PgExecutor<'_>,
    org_id: i64,
    invited_by: Option<i64>,
    emails: &[String],
    token_hashes: &[Vec<u8>],
    valid_days: i32,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"INSERT INTO invitations (org_id, email, token_hash, invited_by, sent_at, expires_at)
           SELECT $1, e, h, $2, now(), now() + make_interval(days => $5)
           FROM unnest($3::text[], $4::bytea[]) AS t (e, h)
           ON CONFLICT DO NOTHING
           RETURNING id, email"#,
        org_id,
        invited_by,
        emails,
        token_hashes as &[Vec<u8>],
        valid_days
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.email)).collect())
}

pub async fn mark_chunk_done(
    db: impl PgExecutor<'_>,
    person_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET welcome_sent_at = now() WHERE id = ANY($1)",
        person_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The joiner in the people list: added with `role` (the link's), or linked with the role
/// an admin gave them. Returns their role in the organization.
pub async fn upsert_person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    name: &str,
    email: &str,
    user_id: i64,
    role: &str,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO people (org_id, name, email, role, user_id, status)
           VALUES ($1, $2, $3, $5, $4, 'active')
           ON CONFLICT (org_id, email) DO UPDATE SET user_id = $4
           RETURNING role"#,
        org_id,
        name,
        email,
        user_id,
        role
    )
    .fetch_one(db)
    .await
}

/// Ends the person's open invitation. `replaced`: a new one is being sent (Resend).
pub async fn end_open_invitation(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    email: &str,
    replaced: bool,
) -> Result<bool, sqlx::Error> {
    let org_id = granted.org_id();
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

/// The person's new address; `false` when another person of the organization has it.
pub async fn set_email(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    person_id: i64,
    email: &str,
) -> Result<bool, sqlx::Error> {
    let org_id = granted.org_id();
    let done = sqlx::query!(
        "UPDATE people SET email = $3 WHERE org_id = $1 AND id = $2
           AND NOT EXISTS (SELECT 1 FROM people o WHERE o.org_id = $1 AND o.email = $3)",
        org_id,
        person_id,
        email
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_status(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    person_id: i64,
    status: &str,
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        "UPDATE people SET status = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        person_id,
        status
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The person's role: the one column that holds it, for their membership and for an
/// invitation they have not answered yet.
pub async fn set_role(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    person_id: i64,
    role: &str,
) -> Result<(), sqlx::Error> {
    let org_id = granted.org_id();
    sqlx::query!(
        "UPDATE people SET role = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        person_id,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the provider deleted the person (they stay in the directory, deactivated).
pub async fn set_removed(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    removed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET scim_removed_at = CASE WHEN $3 THEN now() END
         WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        removed
    )
    .execute(db)
    .await?;
    Ok(())
}

/// What the provider keeps about a person, besides address, role and status: the name
/// the People page shows, and `userName`, `displayName`/`name` and `externalId`.
pub async fn set_details(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: i64,
    name: &str,
    user_name: &str,
    profile: &Value,
    external_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE people SET name = $3, scim_user_name = $4, scim_profile = $5, external_id = $6
         WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        name,
        user_name,
        profile,
        external_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// "Decline": the invitation ends (its emailed link too). `false` when it was no longer
/// pending (accepted or ended meanwhile).
pub async fn decline(db: impl PgExecutor<'_>, invitation_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE invitations i SET revoked_at = now() WHERE i.id = $1 AND invitation_is_pending(i)",
        invitation_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Invite All's chosen people who were Inactive are Active again (they are being invited).
pub async fn wake_batch(
    db: impl PgExecutor<'_>,
    org_id: i64,
    batch_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE people SET status = 'active'
           WHERE org_id = $1 AND status = 'inactive'
             AND id IN (SELECT person_id FROM invite_batch_people WHERE batch_id = $2)"#,
        org_id,
        batch_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The invitation whose mail `mail_id` could not be delivered ends as not delivered,
/// unless it was accepted or sent again since (the newer mail decides): it holds no
/// seat, its link stops, and the person's Welcome Sent is cleared, so the row offers to
/// send it again.
pub async fn end_undelivered(
    db: impl PgExecutor<'_>,
    invitation_id: i64,
    mail_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"WITH ended AS (
               UPDATE invitations i
               SET undelivered_at = now(), revoked_at = COALESCE(i.revoked_at, now())
               WHERE i.id = $1 AND i.accepted_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM outbox_emails n
                                 WHERE n.invitation_id = i.id AND n.id > $2)
               RETURNING i.org_id, i.email
           )
           UPDATE people p SET welcome_sent_at = NULL
           FROM ended e WHERE p.org_id = e.org_id AND p.email = e.email"#,
        invitation_id,
        mail_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A reminder of invitation `invitation_id` (expiring at `expires_at`), planned
/// `days_before` its expiry, with its own link. `false` when that reminder was already
/// sent (at most one per planned time).
pub async fn record_reminder(
    db: impl PgExecutor<'_>,
    invitation_id: i64,
    expires_at: DateTime<Utc>,
    days_before: i32,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO invitation_reminders (invitation_id, expires_at, days_before, token_hash)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING"#,
        invitation_id,
        expires_at,
        days_before,
        token_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// "Extend": the person's expired invitation (not accepted, revoked or undelivered) is
/// open again for `valid_days`, with the same link. `false` when there is none.
pub async fn extend_expired(
    db: impl PgExecutor<'_>,
    granted: &Granted<can::Invite>,
    email: &str,
    valid_days: i32,
) -> Result<bool, sqlx::Error> {
    let org_id = granted.org_id();
    let done = sqlx::query!(
        r#"UPDATE invitations i SET expires_at = now() + make_interval(days => $3)
           WHERE i.org_id = $1 AND i.email = $2 AND invitation_is_pending(i)
             AND i.expires_at <= now()"#,
        org_id,
        email,
        valid_days
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A member who left: their row leaves the directory (their invitations' history stays).
pub async fn remove_person(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM people WHERE org_id = $1 AND user_id = $2",
        org_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An accepted offer of ownership: `to_user` becomes OWNER, `from_user` takes
/// `role_after`, in one statement. `false` unless both are still in the directory.
pub async fn transfer_ownership(
    db: impl PgExecutor<'_>,
    org_id: i64,
    from_user: i64,
    to_user: i64,
    role_after: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE people SET role = CASE WHEN user_id = $3 THEN 'OWNER' ELSE $4 END
           WHERE org_id = $1 AND user_id IN ($2, $3)"#,
        org_id,
        from_user,
        to_user,
        role_after
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 2)
}

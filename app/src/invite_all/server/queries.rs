//! Every SQL statement of Invite All: its batches, the people in them, and the chunks
//! the worker turns into invitations and mails. Each filters by organization or batch.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::roles::Role;

/// What the People page's admin bar and the Invite All progress show, in one round trip:
/// today's invitation use, the organization's own quota (if any) and the latest Invite
/// All batch with its sent and failed mails.
pub struct AdminFacts {
    pub used: i32,
    pub own_quota: Option<i32>,
    pub batch: Option<BatchProgressRow>,
}

pub async fn admin_facts(db: impl PgExecutor<'_>, org_id: i64) -> Result<AdminFacts, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT o.invite_daily_quota,
                  invitations_used_today(o.id) AS "used!",
                  b.id AS "batch_id?", b.total AS "total?", b.prepared AS "prepared?",
                  b.left_out_owners AS "left_out_owners?",
                  (SELECT count(*) FROM outbox_emails e
                   WHERE e.batch_id = b.id AND e.status = 'sent') AS "sent!",
                  (SELECT count(*) FROM outbox_emails e
                   WHERE e.batch_id = b.id AND e.status = 'failed') AS "failed!"
           FROM organizations o
           LEFT JOIN LATERAL (
               SELECT id, total, prepared, left_out_owners FROM invite_batches
               WHERE org_id = o.id AND total > 0 ORDER BY id DESC LIMIT 1
           ) b ON true
           WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await?;
    let batch = match (row.batch_id, row.total, row.prepared, row.left_out_owners) {
        (Some(id), Some(total), Some(prepared), Some(left_out_owners)) => Some(BatchProgressRow {
            id,
            total,
            prepared,
            sent: row.sent,
            failed: row.failed,
            left_out_owners,
        }),
        _ => None,
    };
    Ok(AdminFacts {
        used: row.used,
        own_quota: row.invite_daily_quota,
        batch,
    })
}

/// Invite All's single statement: puts everyone never sent an invitation (and not a
/// member, and in no batch yet) into batch `batch_id`, and makes the Inactive among them
/// Active. The primary key of invite_batch_people means a concurrent or
/// repeated submit picks nobody twice.
pub async fn queue_never_invited(
    db: impl PgExecutor<'_>,
    org_id: i64,
    batch_id: i64,
    include_owners: bool,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH picked AS (
               INSERT INTO invite_batch_people (person_id, batch_id)
               SELECT p.id, $2 FROM people p
               WHERE p.org_id = $1 AND p.welcome_sent_at IS NULL
                 AND ($3 OR p.role <> 'OWNER')
                 AND NOT EXISTS (SELECT 1 FROM memberships m
                                 WHERE m.org_id = p.org_id AND m.user_id = p.user_id)
               ON CONFLICT (person_id) DO NOTHING
               RETURNING person_id
           )
           SELECT count(*) AS "picked!" FROM picked"#,
        org_id,
        batch_id,
        include_owners
    )
    .fetch_one(db)
    .await
}

/// A people import's "invite now": puts the people it added (`person_ids`) into batch
/// `batch_id`. Returns how many.
pub async fn queue_people(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    person_ids: &[i64],
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH picked AS (
               INSERT INTO invite_batch_people (person_id, batch_id)
               SELECT id, $1 FROM unnest($2::bigint[]) AS t (id)
               ON CONFLICT (person_id) DO NOTHING
               RETURNING person_id
           )
           SELECT count(*) AS "picked!" FROM picked"#,
        batch_id,
        person_ids
    )
    .fetch_one(db)
    .await
}

/// Counting stops here: on very large organizations an exact count would cost more than
/// the page itself, and "more than 10,000" says enough before "Yes".
pub const NEVER_INVITED_CAP: i64 = 10_000;

/// How many people Invite All would invite now (at most the cap plus one), and how many
/// of those are Inactive.
pub async fn count_never_invited(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "all!", count(*) FILTER (WHERE status = 'inactive') AS "inactive!"
           FROM (SELECT p.status FROM people p
                 WHERE p.org_id = $1 AND p.welcome_sent_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM memberships m
                                   WHERE m.org_id = p.org_id AND m.user_id = p.user_id)
                   AND NOT EXISTS (SELECT 1 FROM invite_batch_people b WHERE b.person_id = p.id)
                 LIMIT $2) AS picked"#,
        org_id,
        NEVER_INVITED_CAP + 1
    )
    .fetch_one(db)
    .await?;
    Ok((row.all, row.inactive))
}

pub async fn insert_batch(
    db: impl PgExecutor<'_>,
    org_id: i64,
    requested_by: i64,
    inviter_name: &str,
    locale: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO invite_batches (org_id, requested_by, inviter_name, locale)
           VALUES ($1, $2, $3, $4) RETURNING id"#,
        org_id,
        requested_by,
        inviter_name,
        locale
    )
    .fetch_one(db)
    .await
}

pub async fn set_batch_total(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    total: i64,
    left_out_owners: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE invite_batches SET total = $2, left_out_owners = $3,
               finished_at = CASE WHEN $2 = 0 THEN now() END
           WHERE id = $1"#,
        batch_id,
        total as i32,
        left_out_owners as i32
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct BatchRow {
    pub id: i64,
    pub next_person_id: i64,
    pub org_id: i64,
    pub requested_by: Option<i64>,
    pub inviter_name: String,
    pub locale: String,
    pub org_name: String,
}

/// The oldest unfinished batch, locked so one worker prepares it at a time.
pub async fn claim_open_batch(db: impl PgExecutor<'_>) -> Result<Option<BatchRow>, sqlx::Error> {
    sqlx::query_as!(
        BatchRow,
        r#"SELECT b.id, b.next_person_id, b.org_id, b.requested_by, b.inviter_name, b.locale, o.name AS org_name
           FROM invite_batches b JOIN organizations o ON o.id = b.org_id
           WHERE b.finished_at IS NULL
           ORDER BY b.id LIMIT 1
           FOR UPDATE OF b SKIP LOCKED"#
    )
    .fetch_optional(db)
    .await
}

pub struct BatchPerson {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Set when someone invited this person by hand meanwhile: skipped.
    pub welcome_sent_at: Option<DateTime<Utc>>,
    /// The language of the person's account, if they have one: their mail is written in it.
    pub locale: Option<String>,
}

/// The batch's next `limit` people after `after` (a person id), in id order.
pub async fn batch_chunk(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<BatchPerson>, sqlx::Error> {
    sqlx::query_as!(
        BatchPerson,
        r#"SELECT p.id, p.email, p.role AS "role: Role", p.welcome_sent_at, u.locale AS "locale?"
           FROM invite_batch_people b JOIN people p ON p.id = b.person_id
           LEFT JOIN users u ON u.email = p.email
           WHERE b.batch_id = $1 AND b.person_id > $2
           ORDER BY b.person_id LIMIT $3"#,
        batch_id,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// Queues a chunk's mails in one statement, tagged with the batch for its progress and
/// each with its invitation; `sealed` bodies come from `mail::seal`.
pub async fn enqueue_batch_mails(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    recipients: &[String],
    subjects: &[String],
    sealed: &[Vec<u8>],
    invitation_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO outbox_emails (recipient, subject, body_sealed, invitation_id, batch_id)
           SELECT r, s, b, i, $1 FROM unnest($2::text[], $3::text[], $4::bytea[], $5::bigint[])
               AS m (r, s, b, i)"#,
        batch_id,
        recipients,
        subjects,
        sealed as &[Vec<u8>],
        invitation_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn advance_batch(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    next_person_id: i64,
    prepared: i32,
    skipped: i32,
    finished: bool,
) -> Result<f64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE invite_batches SET prepared = prepared + $2, total = total - $3,
               next_person_id = $5, finished_at = CASE WHEN $4 THEN now() END
           WHERE id = $1
           RETURNING extract(epoch FROM now() - created_at)::float8 AS "age_seconds!""#,
        batch_id,
        prepared,
        skipped,
        finished,
        next_person_id
    )
    .fetch_one(db)
    .await
}

pub struct BatchProgressRow {
    pub id: i64,
    pub total: i32,
    pub prepared: i32,
    pub sent: i64,
    pub failed: i64,
    pub left_out_owners: i32,
}

/// Never-invited OWNER-role people not yet in a batch: Invite All run by someone other
/// than an OWNER leaves them out.
pub async fn count_never_invited_owners(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM people p
           WHERE p.org_id = $1 AND p.welcome_sent_at IS NULL AND p.role = 'OWNER'
             AND NOT EXISTS (SELECT 1 FROM memberships m
                             WHERE m.org_id = p.org_id AND m.user_id = p.user_id)
             AND NOT EXISTS (SELECT 1 FROM invite_batch_people bp WHERE bp.person_id = p.id)"#,
        org_id
    )
    .fetch_one(db)
    .await
}

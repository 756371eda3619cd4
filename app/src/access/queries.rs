//! The access core's SQL: memberships, an organization's plan and seats, its lock, and
//! whom to ask.

use sqlx::PgExecutor;

pub struct PlanRow {
    pub plan: String,
    pub seats: i32,
    pub members: i64,
    pub pending: i64,
}

/// The plan, the seats, and what takes a seat: members and invitations still open.
pub async fn plan_facts(db: impl PgExecutor<'_>, org_id: i64) -> Result<PlanRow, sqlx::Error> {
    sqlx::query_as!(
        PlanRow,
        // `$1`, not the correlated `o.id`, in the counts: PostgreSQL then plans them for this
        // organization (an index scan for a small one next to a 100,000-invitation one),
        // where the correlated form got a sequential scan of every invitation (36 ms).
        r#"SELECT o.plan, o.seats,
                  (SELECT count(*) FROM memberships m WHERE m.org_id = $1) AS "members!",
                  (SELECT count(*) FROM invitations i
                   WHERE i.org_id = $1 AND invitation_is_open(i))
                  -- People queued by Invite All hold their seats until the worker turns
                  -- them into invitations (same transaction as advancing next_person_id).
                  + (SELECT count(*) FROM invite_batches b
                     JOIN invite_batch_people bp ON bp.batch_id = b.id
                     WHERE b.org_id = $1 AND b.finished_at IS NULL
                       AND bp.person_id > b.next_person_id) AS "pending!"
           FROM organizations o WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await
}

/// Serialises everything that takes seats in one organization, and saves of its Link tab.
/// NO KEY UPDATE: inserting rows that reference the organization (KEY SHARE) must not
/// wait for it or deadlock against it. Reads never lock it.
pub async fn lock_org(db: impl PgExecutor<'_>, org_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM organizations WHERE id = $1 FOR NO KEY UPDATE",
        org_id
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// "Name <email>" of the members holding one of `roles`, for "ask them" messages.
pub async fn members_with_roles(
    db: impl PgExecutor<'_>,
    org_id: i64,
    roles: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT u.name || ' <' || u.email || '>' AS "contact!"
           FROM memberships m JOIN users u ON u.id = m.user_id
           JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
           WHERE m.org_id = $1 AND p.role = ANY($2)
           ORDER BY p.role DESC, lower(u.name)
           LIMIT 10"#,
        org_id,
        roles
    )
    .fetch_all(db)
    .await
}

/// `user_id` joins the organization, with the role of their person record (which must
/// exist: the role lives there, not on the membership).
pub async fn insert_membership(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO memberships (org_id, user_id) VALUES ($1, $2)
           ON CONFLICT (org_id, user_id) DO NOTHING"#,
        org_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The member leaves: their membership ends.
pub async fn remove_membership(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2",
        org_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

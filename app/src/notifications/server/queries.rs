//! Every SQL statement about a person's notifications. Each filters by the person.

use sqlx::PgExecutor;

pub use crate::auth::server::pending::PendingRow;

/// The invitations waiting for `user_id`'s answer (SQL `invitations_waiting_for`, newest
/// first); `only` narrows to one. Nothing is locked: the bell reads this on every page and
/// poll, and Join and Decline end the invitation with a statement that checks it is
/// still pending.
pub async fn pending(
    db: impl PgExecutor<'_>,
    user_id: i64,
    only: Option<i64>,
) -> Result<Vec<PendingRow>, sqlx::Error> {
    sqlx::query_as!(
        PendingRow,
        r#"SELECT w.id AS "id!", w.org_id AS "org_id!", w.email AS "email!",
                  w.role AS "role!: crate::roles::Role", w.expires_at AS "expires_at!",
                  w.org_name AS "org_name!", w.region AS "region!",
                  w.short_name AS "short_name!", w.inviter
           FROM invitations_waiting_for($1) w
           WHERE ($2::bigint IS NULL OR w.id = $2)
           ORDER BY w.created_at DESC"#,
        user_id,
        only
    )
    .fetch_all(db)
    .await
}

//! Sessions: opened, read on every request (with the person's organizations), listed,
//! marked (second factor, single sign-on, a recent proof) and ended.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

type Orgs = sqlx::types::Json<Vec<crate::access::MembershipRow>>;
type Pending = sqlx::types::Json<Vec<crate::auth::server::pending::PendingRow>>;

pub async fn insert_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    days: i64,
    second_factor: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO sessions (token_hash, user_id, expires_at, second_factor)
           VALUES ($1, $2, now() + make_interval(days => $3::int), $4)"#,
        token_hash,
        user_id,
        days as i32,
        second_factor
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether a session is open (one indexed lookup).
pub async fn session_exists(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    idle_minutes: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM sessions
                          WHERE token_hash = $1 AND expires_at > now()
                            AND last_seen_at > now() - make_interval(mins => $2)) AS "open!""#,
        token_hash,
        idle_minutes
    )
    .fetch_one(db)
    .await
}

pub struct IdentityRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub locale: String,
    pub orgs: Orgs,
    /// Asked for on page loads only: the invitations waiting for this person (the bell).
    pub pending: Option<Pending>,
    pub session_id: i64,
    pub second_factor: bool,
    /// The session's last use was recorded over a minute ago (or never with its browser):
    /// time to record it again.
    pub stale: bool,
}

/// The person behind a session and the organizations they are an active member of
/// (with their role there), in one round trip: what every call needs for its access
/// checks. A page load (`with_pending`) also reads the invitations waiting for the
/// person, for the shell, in the same round trip.
pub async fn identity(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    with_pending: bool,
    idle_minutes: i32,
) -> Result<Option<IdentityRow>, sqlx::Error> {
    sqlx::query_as!(
        IdentityRow,
        r#"SELECT u.id, u.email, u.name, u.locale,
                  (SELECT COALESCE(json_agg(json_build_object(
                              'org_id', o.id, 'name', o.name, 'short_name', o.short_name,
                              'region', o.region, 'role', p.role,
                              'second_factor_required',
                                  o.require_second_factor = 'everyone'
                                  OR (o.require_second_factor = 'admins'
                                      AND p.role IN ('OWNER', 'ADMIN')),
                              'sso_required',
                                  p.role <> 'OWNER'
                                  AND s.sso_org_id IS DISTINCT FROM o.id
                                  AND sso_required_of(o.id, u.email))
                              ORDER BY lower(o.name), o.region), '[]'::json)
                   FROM memberships m JOIN organizations o ON o.id = m.org_id
                   JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
                   WHERE m.user_id = u.id AND organization_is_active(o) AND p.status = 'active')
                      AS "orgs!: Orgs",
                  CASE WHEN $2 THEN
                      (SELECT COALESCE(json_agg(w ORDER BY w.created_at DESC), '[]'::json)
                       FROM invitations_waiting_for(u.id) w)
                  END AS "pending: Pending",
                  s.id AS session_id, s.second_factor,
                  (s.last_seen_at < now() - interval '1 minute' OR s.user_agent IS NULL) AS "stale!"
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(mins => $3)
             -- A person with a second factor is signed in only by a session that passed it.
             AND (s.second_factor OR NOT has_second_factor(u.id))"#,
        token_hash,
        with_pending,
        idle_minutes
    )
    .fetch_optional(db)
    .await
}

/// Whether an organization the account is an active member of (not as OWNER) requires
/// it to sign in through the organization's own provider.
pub async fn sso_required_somewhere(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM memberships m
               JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
               JOIN users u ON u.id = m.user_id
               WHERE m.user_id = $1 AND p.status = 'active' AND p.role <> 'OWNER'
                 AND sso_required_of(m.org_id, u.email)) AS "required!""#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Marks the session as opened through the organization's own provider (it then meets
/// that organization's "require single sign-on").
pub async fn mark_session_sso(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    org_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET sso_org_id = $2 WHERE token_hash = $1",
        token_hash,
        org_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a use of the session, from this browser and address.
pub async fn touch_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_agent: Option<&str>,
    client_address: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE sessions SET last_seen_at = now(),
                  user_agent = COALESCE($2, user_agent),
                  client_address = COALESCE($3, client_address)
           WHERE token_hash = $1"#,
        token_hash,
        user_agent,
        client_address
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct SessionRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
}

/// The person's open sessions, most recently used first.
pub async fn list_sessions(
    db: impl PgExecutor<'_>,
    user_id: i64,
    idle_minutes: i32,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        r#"SELECT id, created_at, last_seen_at, user_agent, client_address
           FROM sessions
           WHERE user_id = $1 AND expires_at > now()
             AND last_seen_at > now() - make_interval(mins => $2)
           ORDER BY last_seen_at DESC, id DESC"#,
        user_id,
        idle_minutes
    )
    .fetch_all(db)
    .await
}

/// Ends one of the person's sessions; false if they have none by that id.
pub async fn delete_session_by_id(
    db: impl PgExecutor<'_>,
    user_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND id = $2",
        user_id,
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of the person but the one behind `keep`.
pub async fn delete_other_sessions(
    db: impl PgExecutor<'_>,
    user_id: i64,
    keep: &[u8],
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
        user_id,
        keep
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn delete_session(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_user_sessions(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The session passed a second factor.
pub async fn mark_session_second_factor(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET second_factor = true, proven_at = now() WHERE token_hash = $1",
        token_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the session's holder proved who they are in the last `minutes`.
pub async fn session_proven_within(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    minutes: i32,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        r#"SELECT proven_at > now() - make_interval(mins => $2) AS "recent!"
           FROM sessions WHERE token_hash = $1"#,
        token_hash,
        minutes
    )
    .fetch_optional(db)
    .await?
    .unwrap_or(false))
}

/// The session's holder proved who they are just now ("Confirm it's you").
pub async fn mark_session_proven(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET proven_at = now() WHERE token_hash = $1",
        token_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

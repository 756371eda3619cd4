//! Every SQL statement about accounts. Small functions taking any executor, so services
//! can compose them inside one transaction.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub locale: String,
    pub password_hash: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Known-device cookies of an older epoch no longer count (see `device`).
    pub device_epoch: i32,
}

pub struct TokenRow {
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Inserts a user; `Ok(None)` when the email is taken (constraint `users_email_key`).
pub async fn insert_user(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    password_hash: &str,
    locale: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let result = sqlx::query_scalar!(
        r#"INSERT INTO users (email, name, password_hash, locale)
           VALUES ($1, $2, $3, $4)
           RETURNING id"#,
        email,
        name,
        password_hash,
        locale
    )
    .fetch_one(db)
    .await;
    match result {
        Ok(id) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn find_user_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, locale, password_hash, email_verified_at, device_epoch
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(db)
    .await
}

/// The language an account chose, if this address has one: mail to it is written in it.
pub async fn locale_of(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT locale FROM users WHERE email = $1", email)
        .fetch_optional(db)
        .await
}

pub async fn find_user_by_id(
    db: impl PgExecutor<'_>,
    id: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, locale, password_hash, email_verified_at, device_epoch
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Every known-device cookie of the account stops counting (a reset, "sign out
/// everywhere else").
pub async fn bump_device_epoch(db: impl PgExecutor<'_>, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET device_epoch = device_epoch + 1 WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn mark_email_verified(db: impl PgExecutor<'_>, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_password_hash(
    db: impl PgExecutor<'_>,
    user_id: i64,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        user_id,
        password_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_locale(
    db: impl PgExecutor<'_>,
    user_id: i64,
    locale: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET locale = $2 WHERE id = $1",
        user_id,
        locale
    )
    .execute(db)
    .await?;
    Ok(())
}

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

type Orgs = sqlx::types::Json<Vec<crate::access::MembershipRow>>;
type Pending = sqlx::types::Json<Vec<crate::notifications::server::pending::PendingRow>>;

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

/// Marks the sign-in step as begun through the organization's own provider.
pub async fn mark_challenge_sso(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    org_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sign_in_challenges SET sso_org_id = $2 WHERE token_hash = $1",
        token_hash,
        org_id
    )
    .execute(db)
    .await?;
    Ok(())
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

pub async fn insert_email_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    purpose: &str,
    valid_minutes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(mins => $4::int))"#,
        token_hash,
        user_id,
        purpose,
        valid_minutes as i32
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Reads a token and locks it, so two clicks on one link cannot both use it.
pub async fn lock_email_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    purpose: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT user_id, expires_at, used_at FROM email_tokens
           WHERE token_hash = $1 AND purpose = $2
           FOR UPDATE"#,
        token_hash,
        purpose
    )
    .fetch_optional(db)
    .await
}

pub async fn find_email_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    purpose: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT user_id, expires_at, used_at FROM email_tokens
           WHERE token_hash = $1 AND purpose = $2"#,
        token_hash,
        purpose
    )
    .fetch_optional(db)
    .await
}

/// Uses up every open token of this purpose for the user (a used link also retires
/// older links of the same kind).
pub async fn consume_email_tokens(
    db: impl PgExecutor<'_>,
    user_id: i64,
    purpose: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE email_tokens SET used_at = now()
           WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL"#,
        user_id,
        purpose
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct FailureCount {
    pub failures: i64,
    /// Minutes until the oldest failure in the window stops counting.
    pub minutes_left: i64,
}

pub async fn count_recent_failures(
    db: impl PgExecutor<'_>,
    scope: &str,
    window_minutes: i64,
) -> Result<FailureCount, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "failures!",
                  COALESCE(CEIL(EXTRACT(EPOCH FROM (min(failed_at)
                      + make_interval(mins => $2::int) - now())) / 60), 0)::bigint AS "minutes_left!"
           FROM auth_failures
           WHERE scope = $1 AND failed_at > now() - make_interval(mins => $2::int)"#,
        scope,
        window_minutes as i32
    )
    .fetch_one(db)
    .await?;
    Ok(FailureCount {
        failures: row.failures,
        minutes_left: row.minutes_left,
    })
}

/// Waits for (and, until the transaction ends, holds) the lock of one throttle scope.
pub async fn lock_scope(db: impl PgExecutor<'_>, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('auth_failures:' || $1, 0))",
        scope
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

pub async fn record_failure(db: impl PgExecutor<'_>, scope: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO auth_failures (scope) VALUES ($1) RETURNING id",
        scope
    )
    .fetch_one(db)
    .await
}

pub async fn delete_failures(db: impl PgExecutor<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM auth_failures WHERE id = ANY($1)", ids)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn clear_failures(db: impl PgExecutor<'_>, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM auth_failures WHERE scope = $1", scope)
        .execute(db)
        .await?;
    Ok(())
}

// ---- Second factor ----

pub struct TotpRow {
    pub secret_sealed: Vec<u8>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

pub async fn totp_factor(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Option<TotpRow>, sqlx::Error> {
    sqlx::query_as!(
        TotpRow,
        "SELECT secret_sealed, confirmed_at FROM totp_factors WHERE user_id = $1",
        user_id
    )
    .fetch_optional(db)
    .await
}

/// Starts (or starts again) setting up an authenticator app; false if one is confirmed.
pub async fn start_totp(
    db: impl PgExecutor<'_>,
    user_id: i64,
    secret_sealed: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO totp_factors (user_id, secret_sealed) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE
               SET secret_sealed = EXCLUDED.secret_sealed, created_at = now()
               WHERE totp_factors.confirmed_at IS NULL"#,
        user_id,
        secret_sealed
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Accepts the code of time step `step` once: false if that step (or a later one) was
/// already used, or there is no such factor. `confirming`: the first code, which turns
/// an app being set up into the person's factor.
pub async fn use_totp_step(
    db: impl PgExecutor<'_>,
    user_id: i64,
    step: i64,
    confirming: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE totp_factors
           SET last_step = $2, confirmed_at = COALESCE(confirmed_at, now())
           WHERE user_id = $1 AND last_step < $2 AND (confirmed_at IS NULL) = $3"#,
        user_id,
        step,
        confirming
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes every second factor of the person: the app, the passkeys and the recovery
/// codes.
pub async fn delete_second_factors(
    db: &mut sqlx::PgConnection,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM totp_factors WHERE user_id = $1", user_id)
        .execute(&mut *db)
        .await?;
    sqlx::query!("DELETE FROM passkeys WHERE user_id = $1", user_id)
        .execute(&mut *db)
        .await?;
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Removes the person's authenticator app.
pub async fn delete_totp(db: &mut sqlx::PgConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM totp_factors WHERE user_id = $1", user_id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Recovery codes stand in for a factor: with none left, they go too.
pub async fn drop_codes_without_factor(
    db: &mut sqlx::PgConnection,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM recovery_codes WHERE user_id = $1 AND NOT has_second_factor($1)",
        user_id
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Replaces the person's recovery codes with these (hashes).
pub async fn replace_recovery_codes(
    db: &mut sqlx::PgConnection,
    user_id: i64,
    hashes: &[Vec<u8>],
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *db)
        .await?;
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])",
        user_id,
        hashes
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Uses a recovery code once: false if it is not one of the person's unused codes.
pub async fn use_recovery_code(
    db: impl PgExecutor<'_>,
    user_id: i64,
    code_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"UPDATE recovery_codes SET used_at = now()
           WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"#,
        user_id,
        code_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn recovery_codes_left(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "left!" FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Whether the person has a second factor (a confirmed app or a passkey).
pub async fn has_second_factor(db: impl PgExecutor<'_>, user_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT has_second_factor($1) AS "yes!""#, user_id)
        .fetch_one(db)
        .await
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

pub async fn insert_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    minutes: i32,
    next: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO sign_in_challenges (token_hash, user_id, expires_at, next)
           VALUES ($1, $2, now() + make_interval(mins => $3), $4)"#,
        token_hash,
        user_id,
        minutes,
        next
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct ChallengeRow {
    pub user_id: i64,
    pub next: String,
    /// Begun by a sign-in through this organization's provider.
    pub sso_org_id: Option<i64>,
}

/// The sign-in step behind `token_hash`, if it has not expired.
pub async fn find_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<ChallengeRow>, sqlx::Error> {
    sqlx::query_as!(
        ChallengeRow,
        r#"SELECT user_id, next, sso_org_id FROM sign_in_challenges
           WHERE token_hash = $1 AND expires_at > now()"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Ends the sign-in step (it works once); false if it was already used.
pub async fn take_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > now()",
        token_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The organizations the person is a member of.
pub async fn member_org_ids(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT org_id FROM memberships WHERE user_id = $1", user_id)
        .fetch_all(db)
        .await
}

// Passkeys.

pub struct PasskeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub passkey: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The person's passkey handle (WebAuthn's user id), made on first use.
pub async fn passkey_handle(
    db: impl PgExecutor<'_>,
    user_id: i64,
    fresh: &[u8],
) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE users SET passkey_handle = COALESCE(passkey_handle, $2)
           WHERE id = $1 RETURNING passkey_handle AS "handle!""#,
        user_id,
        fresh
    )
    .fetch_one(db)
    .await
}

/// The account whose passkeys carry `handle`.
pub async fn user_by_passkey_handle(
    db: impl PgExecutor<'_>,
    handle: &[u8],
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM users WHERE passkey_handle = $1", handle)
        .fetch_optional(db)
        .await
}

pub async fn passkeys_of(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Vec<PasskeyRow>, sqlx::Error> {
    sqlx::query_as!(
        PasskeyRow,
        r#"SELECT id, user_id, name, passkey, created_at, last_used_at
           FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"#,
        user_id
    )
    .fetch_all(db)
    .await
}

pub async fn passkey_by_credential(
    db: impl PgExecutor<'_>,
    credential_id: &[u8],
) -> Result<Option<PasskeyRow>, sqlx::Error> {
    sqlx::query_as!(
        PasskeyRow,
        r#"SELECT id, user_id, name, passkey, created_at, last_used_at
           FROM passkeys WHERE credential_id = $1"#,
        credential_id
    )
    .fetch_optional(db)
    .await
}

/// False if the credential is already registered (to anyone).
pub async fn insert_passkey(
    db: impl PgExecutor<'_>,
    user_id: i64,
    credential_id: &[u8],
    name: &str,
    passkey: &serde_json::Value,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO passkeys (user_id, credential_id, name, passkey)
           VALUES ($1, $2, $3, $4) ON CONFLICT (credential_id) DO NOTHING"#,
        user_id,
        credential_id,
        name,
        passkey
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A use: the new signature counter (if it moved) and the time.
pub async fn passkey_used(
    db: impl PgExecutor<'_>,
    id: i64,
    passkey: Option<&serde_json::Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE passkeys SET last_used_at = now(), passkey = COALESCE($2, passkey)
           WHERE id = $1"#,
        id,
        passkey
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Removes one of the person's own passkeys; false if there is no such passkey of theirs.
/// Deletes one of the person's passkeys; its name, if it was theirs.
pub async fn delete_passkey(
    db: &mut sqlx::PgConnection,
    user_id: i64,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name",
        id,
        user_id
    )
    .fetch_optional(db)
    .await
}

pub async fn insert_ceremony(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: Option<i64>,
    kind: &str,
    state: &serde_json::Value,
    minutes: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO passkey_ceremonies (token_hash, user_id, kind, state, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))"#,
        token_hash,
        user_id,
        kind,
        state,
        minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records that a passwordless sign-in's token was answered (it works once); false if it
/// already was.
pub async fn record_sign_in_ceremony(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    minutes: i32,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO passkey_ceremonies (token_hash, user_id, kind, state, expires_at)
           VALUES ($1, $2, 'sign_in', '{}'::jsonb, now() + make_interval(mins => $3))
           ON CONFLICT (token_hash) DO NOTHING"#,
        token_hash,
        user_id,
        minutes
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct CeremonyRow {
    pub user_id: Option<i64>,
    pub state: serde_json::Value,
}

/// Takes a ceremony of `kind` once, if it has not expired.
pub async fn take_ceremony(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    kind: &str,
) -> Result<Option<CeremonyRow>, sqlx::Error> {
    sqlx::query_as!(
        CeremonyRow,
        r#"DELETE FROM passkey_ceremonies
           WHERE token_hash = $1 AND kind = $2 AND expires_at > now()
           RETURNING user_id, state"#,
        token_hash,
        kind
    )
    .fetch_optional(db)
    .await
}

/// Ends every sign-in step of the account still waiting for its second factor.
pub async fn delete_user_challenges(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sign_in_challenges WHERE user_id = $1", user_id)
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

/// The account was just signed in to with its password.
pub async fn mark_password_sign_in(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_signed_in_at = now() WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A factor added since the account's last sign-in with its password (or ever, if it
/// never signed in with one): what a password reset offers to remove.
pub struct NewFactorRow {
    /// `app` or `passkey`.
    pub kind: String,
    pub name: String,
    pub added_at: DateTime<Utc>,
}

pub async fn factors_since_password_sign_in(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Vec<NewFactorRow>, sqlx::Error> {
    sqlx::query_as!(
        NewFactorRow,
        r#"SELECT kind AS "kind!", name AS "name!", added_at AS "added_at!" FROM (
             SELECT 'app' AS kind, '' AS name, t.confirmed_at AS added_at
             FROM totp_factors t WHERE t.user_id = $1 AND t.confirmed_at IS NOT NULL
             UNION ALL
             SELECT 'passkey', p.name, p.created_at FROM passkeys p WHERE p.user_id = $1
           ) f
           WHERE f.added_at > COALESCE(
             (SELECT password_signed_in_at FROM users WHERE id = $1), '-infinity')
           ORDER BY f.added_at"#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// Removes the factors added since the account's last sign-in with its password (and
/// the recovery codes, when no factor is left).
pub async fn delete_factors_since_password_sign_in(
    conn: &mut sqlx::PgConnection,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM totp_factors t USING users u
         WHERE t.user_id = $1 AND u.id = $1
           AND (t.confirmed_at IS NULL
                OR t.confirmed_at > COALESCE(u.password_signed_in_at, '-infinity'))",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM passkeys p USING users u
         WHERE p.user_id = $1 AND u.id = $1
           AND p.created_at > COALESCE(u.password_signed_in_at, '-infinity')",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    drop_codes_without_factor(conn, user_id).await
}

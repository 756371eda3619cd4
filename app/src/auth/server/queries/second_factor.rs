//! Second factors: the authenticator app, recovery codes, and the sign-in step that
//! waits for one.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

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

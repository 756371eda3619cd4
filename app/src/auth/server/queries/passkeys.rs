//! Passkeys and their ceremonies.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

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

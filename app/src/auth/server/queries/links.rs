//! Mailed links (address confirmation, password reset): stored as hashes, single use.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct TokenRow {
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
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

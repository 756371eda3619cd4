//! Accounts: who they are, their address, password hash and language.

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

/// The organizations the person is a member of.
pub async fn member_org_ids(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT org_id FROM memberships WHERE user_id = $1", user_id)
        .fetch_all(db)
        .await
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

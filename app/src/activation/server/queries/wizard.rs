//! SQL of the wizard's steps.

use sqlx::PgExecutor;

use crate::activation::types::WizardStep;
use crate::roles::Role;

pub async fn save_region(
    db: impl PgExecutor<'_>,
    id: i64,
    region: &str,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET region = $2, step = $3 WHERE id = $1",
        id,
        region,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_account(
    db: impl PgExecutor<'_>,
    id: i64,
    owner_user_id: i64,
    org_name: &str,
    step: WizardStep,
    wizard_key_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE subscriptions
           SET owner_user_id = $2, org_name = $3, step = $4, wizard_key_hash = $5
           WHERE id = $1"#,
        id,
        owner_user_id,
        org_name,
        step.code(),
        wizard_key_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_org_name(
    db: impl PgExecutor<'_>,
    id: i64,
    org_name: &str,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET org_name = $2, step = $3 WHERE id = $1",
        id,
        org_name,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_step(
    db: impl PgExecutor<'_>,
    id: i64,
    step: WizardStep,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE subscriptions SET step = $2 WHERE id = $1",
        id,
        step.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct InviteRow {
    pub email: String,
    pub role: Role,
}

pub async fn list_invites(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<Vec<InviteRow>, sqlx::Error> {
    sqlx::query_as!(
        InviteRow,
        r#"SELECT email, role AS "role: Role" FROM activation_invites
           WHERE subscription_id = $1 ORDER BY created_at, email"#,
        subscription_id
    )
    .fetch_all(db)
    .await
}

pub async fn upsert_invite(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
    email: &str,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO activation_invites (subscription_id, email, role) VALUES ($1, $2, $3)
           ON CONFLICT (subscription_id, email) DO UPDATE SET role = EXCLUDED.role"#,
        subscription_id,
        email,
        role
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_invite(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM activation_invites WHERE subscription_id = $1 AND email = $2",
        subscription_id,
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn count_invites(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM activation_invites WHERE subscription_id = $1"#,
        subscription_id
    )
    .fetch_one(db)
    .await
}

/// Short names in `region` that `base` or `base` plus a number would collide with.
pub async fn taken_short_names(
    db: impl PgExecutor<'_>,
    region: &str,
    base: &str,
) -> Result<Vec<String>, sqlx::Error> {
    // `base` holds only [a-z0-9-], so it is safe inside the pattern.
    sqlx::query_scalar!(
        r#"SELECT short_name FROM organizations
           WHERE region = $1 AND short_name ~ ('^' || $2 || '[0-9]*$')"#,
        region,
        base
    )
    .fetch_all(db)
    .await
}

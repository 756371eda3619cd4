//! Single sign-on's SQL. Each statement filters by organization.

use sqlx::PgExecutor;

pub struct SsoRow {
    pub org_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub required: bool,
}

pub async fn config(db: impl PgExecutor<'_>, org_id: i64) -> Result<Option<SsoRow>, sqlx::Error> {
    sqlx::query_as!(
        SsoRow,
        "SELECT org_id, issuer, client_id, client_secret_sealed, required
         FROM org_sso WHERE org_id = $1",
        org_id
    )
    .fetch_optional(db)
    .await
}

pub async fn save(
    db: impl PgExecutor<'_>,
    org_id: i64,
    issuer: &str,
    client_id: &str,
    client_secret_sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO org_sso (org_id, issuer, client_id, client_secret_sealed)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id) DO UPDATE
           SET issuer = $2, client_id = $3, client_secret_sealed = $4, updated_at = now()",
        org_id,
        issuer,
        client_id,
        client_secret_sealed
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_required(
    db: impl PgExecutor<'_>,
    org_id: i64,
    required: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE org_sso SET required = $2, updated_at = now() WHERE org_id = $1",
        org_id,
        required
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove(db: impl PgExecutor<'_>, org_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM org_sso WHERE org_id = $1", org_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The organization's verified domains.
pub async fn verified_domains(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT domain FROM org_domains
         WHERE org_id = $1 AND verified_at IS NOT NULL ORDER BY domain",
        org_id
    )
    .fetch_all(db)
    .await
}

/// The organization that signs in addresses on `domain` through its provider: the one
/// that verified the domain and set single sign-on up.
pub async fn org_for_domain(
    db: impl PgExecutor<'_>,
    domain: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT d.org_id FROM org_domains d JOIN org_sso s ON s.org_id = d.org_id
         WHERE d.domain = $1 AND d.verified_at IS NOT NULL",
        domain
    )
    .fetch_optional(db)
    .await
}

pub struct OrgRow {
    pub name: String,
    pub region: String,
    pub short_name: String,
}

pub async fn org(db: impl PgExecutor<'_>, org_id: i64) -> Result<Option<OrgRow>, sqlx::Error> {
    sqlx::query_as!(
        OrgRow,
        "SELECT name, region, short_name FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_optional(db)
    .await
}

/// The account the provider's `subject` signs in.
pub async fn identity(
    db: impl PgExecutor<'_>,
    org_id: i64,
    subject: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM sso_identities WHERE org_id = $1 AND subject = $2",
        org_id,
        subject
    )
    .fetch_optional(db)
    .await
}

pub async fn link(
    db: impl PgExecutor<'_>,
    org_id: i64,
    subject: &str,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sso_identities (org_id, subject, user_id) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, subject) DO NOTHING",
        org_id,
        subject,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The person's status in the organization's directory, if listed.
pub async fn person_status(
    db: impl PgExecutor<'_>,
    org_id: i64,
    email: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT status FROM people WHERE org_id = $1 AND email = $2",
        org_id,
        email
    )
    .fetch_optional(db)
    .await
}

/// Whether the account is a member of the organization.
pub async fn is_member(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2) AS "member!""#,
        org_id,
        user_id
    )
    .fetch_one(db)
    .await
}

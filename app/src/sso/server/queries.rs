//! Single sign-on's SQL. Each statement filters by organization.

use sqlx::PgExecutor;

use crate::access::Owner;

pub struct SsoRow {
    pub org_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub required: bool,
    pub sign_in_host: Option<String>,
}

pub async fn config(db: impl PgExecutor<'_>, org_id: i64) -> Result<Option<SsoRow>, sqlx::Error> {
    sqlx::query_as!(
        SsoRow,
        "SELECT org_id, issuer, client_id, client_secret_sealed, required, sign_in_host
         FROM org_sso WHERE org_id = $1",
        org_id
    )
    .fetch_optional(db)
    .await
}

pub async fn save(
    db: impl PgExecutor<'_>,
    owner: &Owner,
    issuer: &str,
    client_id: &str,
    client_secret_sealed: &[u8],
    sign_in_host: Option<&str>,
) -> Result<(), sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query!(
        "INSERT INTO org_sso (org_id, issuer, client_id, client_secret_sealed, sign_in_host)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id) DO UPDATE
           SET issuer = $2, client_id = $3, client_secret_sealed = $4, sign_in_host = $5,
               updated_at = now()",
        org_id,
        issuer,
        client_id,
        client_secret_sealed,
        sign_in_host
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the organization's links to people, and its unconfirmed link requests, of every
/// issuer but `keep` (all of them with `None`): a new issuer, or single sign-on turned
/// off, speaks for nobody the old one linked.
pub async fn forget_links(
    conn: &mut sqlx::PgConnection,
    owner: &Owner,
    keep: Option<&str>,
) -> Result<(), sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query!(
        "DELETE FROM sso_identities WHERE org_id = $1 AND issuer IS DISTINCT FROM $2",
        org_id,
        keep
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM sso_link_requests WHERE org_id = $1 AND issuer IS DISTINCT FROM $2",
        org_id,
        keep
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_required(
    db: impl PgExecutor<'_>,
    owner: &Owner,
    required: bool,
) -> Result<bool, sqlx::Error> {
    let org_id = owner.org_id();
    let done = sqlx::query!(
        "UPDATE org_sso SET required = $2, updated_at = now() WHERE org_id = $1",
        org_id,
        required
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove(db: impl PgExecutor<'_>, owner: &Owner) -> Result<bool, sqlx::Error> {
    let org_id = owner.org_id();
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

pub struct Linked {
    pub user_id: i64,
    /// The account's own address (which the provider's claim may no longer match).
    pub email: String,
}

/// The account the provider's `subject` signs in, linked while `issuer` was the
/// organization's.
pub async fn identity(
    db: impl PgExecutor<'_>,
    org_id: i64,
    issuer: &str,
    subject: &str,
) -> Result<Option<Linked>, sqlx::Error> {
    sqlx::query_as!(
        Linked,
        "SELECT i.user_id, u.email FROM sso_identities i JOIN users u ON u.id = i.user_id
         WHERE i.org_id = $1 AND i.issuer = $2 AND i.subject = $3",
        org_id,
        issuer,
        subject
    )
    .fetch_optional(db)
    .await
}

pub async fn link(
    db: impl PgExecutor<'_>,
    org_id: i64,
    issuer: &str,
    subject: &str,
    user_id: i64,
    created_account: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sso_identities (org_id, issuer, subject, user_id, created_account)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, issuer, subject) DO NOTHING",
        org_id,
        issuer,
        subject,
        user_id,
        created_account
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Accounts the organization's provider created in the last hour.
pub async fn new_accounts_last_hour(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM sso_identities
           WHERE org_id = $1 AND created_account AND created_at > now() - interval '1 hour'"#,
        org_id
    )
    .fetch_one(db)
    .await
}

pub struct LinkRequest {
    pub org_id: i64,
    pub issuer: String,
    pub subject: String,
    pub user_id: i64,
    pub name: String,
    pub next: String,
    pub browser_hash: Vec<u8>,
}

/// A link waiting for its account's holder; expires in `minutes`.
pub async fn request_link(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    request: &LinkRequest,
    minutes: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sso_link_requests
           (token_hash, browser_hash, org_id, issuer, subject, user_id, name, next, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(mins => $9))",
        token_hash,
        request.browser_hash,
        request.org_id,
        request.issuer,
        request.subject,
        request.user_id,
        request.name,
        request.next,
        minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The link request a mailed token names, if unused and not expired (not used up).
pub async fn link_request(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<LinkRequest>, sqlx::Error> {
    sqlx::query_as!(
        LinkRequest,
        "SELECT org_id, issuer, subject, user_id, name, next, browser_hash
         FROM sso_link_requests
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Uses the link request up, if it still may be (single use, not expired); the one that
/// uses it gets it.
pub async fn take_link_request(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<LinkRequest>, sqlx::Error> {
    sqlx::query_as!(
        LinkRequest,
        "UPDATE sso_link_requests SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING org_id, issuer, subject, user_id, name, next, browser_hash",
        token_hash
    )
    .fetch_optional(db)
    .await
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

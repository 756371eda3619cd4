//! Every SQL statement about organizations and their members. Each one that reads an
//! organization's data filters by that organization's id.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::roles::Role;

pub struct OrgRow {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub short_name: String,
    pub region: String,
    pub plan: String,
    pub trial: bool,
    pub seats: i32,
    pub billed: Option<bool>,
}

/// An organization with its billing state, by id (callers have found the member).
pub async fn org_by_id(db: impl PgExecutor<'_>, org_id: i64) -> Result<OrgRow, sqlx::Error> {
    sqlx::query_as!(
        OrgRow,
        r#"SELECT o.id, o.public_id, o.name, o.short_name, o.region, o.plan, o.trial, o.seats,
                  b.billed AS "billed?"
           FROM organizations o
           LEFT JOIN billing_accounts b ON b.org_id = o.id
           WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(db)
    .await
}

pub async fn features(db: impl PgExecutor<'_>, org_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT product FROM org_features WHERE org_id = $1 ORDER BY product",
        org_id
    )
    .fetch_all(db)
    .await
}

pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub joined_at: DateTime<Utc>,
}

/// The organization's members (people with an account here), by name; `person_id` picks
/// one of them.
pub async fn members(
    db: impl PgExecutor<'_>,
    org_id: i64,
    person_id: Option<i64>,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as!(
        MemberRow,
        r#"SELECT p.id, u.name, u.email, p.role AS "role: Role", p.status = 'active' AS "active!",
                  m.created_at AS joined_at
           FROM memberships m JOIN users u ON u.id = m.user_id
           JOIN people p ON p.org_id = m.org_id AND p.user_id = m.user_id
           WHERE m.org_id = $1 AND ($2::bigint IS NULL OR p.id = $2)
           ORDER BY lower(u.name), u.email
           LIMIT 200"#,
        org_id,
        person_id
    )
    .fetch_all(db)
    .await
}

pub struct InvitationRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub sent_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

pub async fn open_invitations(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        r#"SELECT i.id, i.email, p.role AS "role: Role", i.sent_at, i.expires_at
           FROM invitations i JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           WHERE i.org_id = $1 AND invitation_is_open(i)
           ORDER BY i.created_at DESC, i.email
           LIMIT 200"#,
        org_id
    )
    .fetch_all(db)
    .await
}

/// One open invitation of the organization, by id or by address.
pub async fn open_invitation(
    db: impl PgExecutor<'_>,
    org_id: i64,
    id: Option<i64>,
    email: Option<&str>,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        r#"SELECT i.id, i.email, p.role AS "role: Role", i.sent_at, i.expires_at
           FROM invitations i JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           WHERE i.org_id = $1 AND (i.id = $2 OR i.email = $3)
             AND invitation_is_open(i)"#,
        org_id,
        id,
        email
    )
    .fetch_optional(db)
    .await
}

/// Who must have passed a second factor to use the organization: "nobody", "admins"
/// (OWNERs and ADMINs) or "everyone".
pub async fn second_factor_policy(
    db: impl PgExecutor<'_>,
    owner: &crate::access::Owner,
) -> Result<String, sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query_scalar!(
        "SELECT require_second_factor FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(db)
    .await
}

pub async fn set_second_factor_policy(
    db: impl PgExecutor<'_>,
    owner: &crate::access::Owner,
    policy: &str,
) -> Result<(), sqlx::Error> {
    let org_id = owner.org_id();
    sqlx::query!(
        "UPDATE organizations SET require_second_factor = $2 WHERE id = $1",
        org_id,
        policy
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A member as the paged list reads it: the row, and its sort key (the People page's
/// order: name, then address).
pub struct MemberPageRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub joined_at: DateTime<Utc>,
    pub sort_name: String,
    pub sort_email: String,
}

/// Up to `limit` members after the sort key `after` (name, address), filtered by role,
/// active or not, and a `LIKE` pattern over name and address.
#[allow(clippy::too_many_arguments)]
pub async fn members_page(
    db: impl PgExecutor<'_>,
    org_id: i64,
    role: Option<&str>,
    active: Option<bool>,
    pattern: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<MemberPageRow>, sqlx::Error> {
    let (after_name, after_email) = after.unwrap_or(("", ""));
    sqlx::query_as!(
        MemberPageRow,
        r#"SELECT p.id, u.name, u.email, p.role AS "role: Role",
                  p.status = 'active' AS "active!", m.created_at AS joined_at,
                  lower(p.name) AS "sort_name!", p.email AS sort_email
           FROM people p
           JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           JOIN users u ON u.id = m.user_id
           WHERE p.org_id = $1
             AND (lower(p.name), p.email) > ($2::text, $3::text)
             AND ($4::text IS NULL OR p.role = $4)
             AND ($5::bool IS NULL OR (p.status = 'active') = $5)
             AND ($6::text IS NULL OR lower(p.name) LIKE $6 OR p.email LIKE $6)
           ORDER BY lower(p.name), p.email
           LIMIT $7"#,
        org_id,
        after_name,
        after_email,
        role,
        active,
        pattern,
        limit
    )
    .fetch_all(db)
    .await
}

/// Up to `limit` pending invitations after the address `after`, by address: open ones
/// (`expired` false) or expired ones, filtered by role and a `LIKE` pattern.
pub async fn invitations_page(
    db: impl PgExecutor<'_>,
    org_id: i64,
    expired: bool,
    role: Option<&str>,
    pattern: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        r#"SELECT i.id, i.email, p.role AS "role: Role", i.sent_at, i.expires_at
           FROM invitations i JOIN people p ON p.org_id = i.org_id AND p.email = i.email
           WHERE i.org_id = $1 AND invitation_is_pending(i)
             AND (i.expires_at <= now()) = $2
             AND i.email > $3::text
             AND ($4::text IS NULL OR p.role = $4)
             AND ($5::text IS NULL OR i.email LIKE $5)
           ORDER BY i.email
           LIMIT $6"#,
        org_id,
        expired,
        after.unwrap_or(""),
        role,
        pattern,
        limit
    )
    .fetch_all(db)
    .await
}

/// The organization's active OWNERs (with a membership), locked: the last one may not
/// leave, and an offer is accepted only from an OWNER who still is one.
pub async fn lock_owners(db: impl PgExecutor<'_>, org_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT p.user_id AS "user_id!" FROM people p
           JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           WHERE p.org_id = $1 AND p.role = 'OWNER' AND p.status = 'active'
           ORDER BY p.id FOR UPDATE OF p"#,
        org_id
    )
    .fetch_all(db)
    .await
}

/// An active member of the organization (a person with a membership), by person id.
pub struct ActiveMember {
    pub user_id: i64,
    pub name: String,
}

pub async fn active_member(
    db: impl PgExecutor<'_>,
    org_id: i64,
    person_id: i64,
) -> Result<Option<ActiveMember>, sqlx::Error> {
    sqlx::query_as!(
        ActiveMember,
        r#"SELECT p.user_id AS "user_id!", u.name FROM people p
           JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           JOIN users u ON u.id = p.user_id
           WHERE p.org_id = $1 AND p.id = $2 AND p.status = 'active'"#,
        org_id,
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Whom an OWNER may offer ownership to: the active members but them, by name.
pub struct Candidate {
    pub person_id: i64,
    pub name: String,
    pub email: String,
}

pub async fn transfer_candidates(
    db: impl PgExecutor<'_>,
    owner: &crate::access::Owner,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let (org_id, user_id) = (owner.org_id(), owner.user_id());
    sqlx::query_as!(
        Candidate,
        r#"SELECT p.id AS person_id, u.name, u.email FROM people p
           JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           JOIN users u ON u.id = p.user_id
           WHERE p.org_id = $1 AND p.user_id <> $2 AND p.status = 'active'
           ORDER BY lower(u.name), u.email LIMIT 200"#,
        org_id,
        user_id
    )
    .fetch_all(db)
    .await
}

/// The organization's open offer of ownership: to whom.
pub async fn open_offer_to(
    db: impl PgExecutor<'_>,
    org_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT u.name FROM ownership_offers f JOIN users u ON u.id = f.to_user
           WHERE f.org_id = $1 AND f.answered_at IS NULL"#,
        org_id
    )
    .fetch_optional(db)
    .await
}

/// A new offer; `None` when the organization already has an open one.
pub async fn insert_offer(
    db: impl PgExecutor<'_>,
    owner: &crate::access::Owner,
    to_user: i64,
    role_after: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let (org_id, from_user) = (owner.org_id(), owner.user_id());
    sqlx::query_scalar!(
        r#"INSERT INTO ownership_offers (org_id, from_user, to_user, role_after)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING id"#,
        org_id,
        from_user,
        to_user,
        role_after
    )
    .fetch_optional(db)
    .await
}

/// An open offer to the person, as their bell shows it (or as they answer it, locked).
pub struct OfferRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub region: String,
    pub short_name: String,
    pub from_user: i64,
    pub from_name: String,
    pub role_after: Role,
}

pub async fn offers_to(
    db: impl PgExecutor<'_>,
    user_id: i64,
    only: Option<i64>,
) -> Result<Vec<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"SELECT f.id, f.org_id, o.name AS org_name, o.region, o.short_name, f.from_user,
                  u.name AS from_name, f.role_after AS "role_after: Role"
           FROM ownership_offers f
           JOIN organizations o ON o.id = f.org_id
           JOIN users u ON u.id = f.from_user
           WHERE f.to_user = $1 AND f.answered_at IS NULL AND ($2::bigint IS NULL OR f.id = $2)
           ORDER BY f.id DESC
           FOR UPDATE OF f"#,
        user_id,
        only
    )
    .fetch_all(db)
    .await
}

pub async fn answer_offer(
    db: impl PgExecutor<'_>,
    id: i64,
    accepted: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE ownership_offers SET answered_at = now(), accepted = $2 WHERE id = $1",
        id,
        accepted
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Offers from or to a member who leaves end unanswered.
pub async fn end_offers_of(
    db: impl PgExecutor<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE ownership_offers SET answered_at = now(), accepted = false
           WHERE org_id = $1 AND answered_at IS NULL AND (from_user = $2 OR to_user = $2)"#,
        org_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

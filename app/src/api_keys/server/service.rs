//! API key rules: OWNERs and ADMINs (the CreateApiKey permission) create and revoke keys.
//! A key's role is at most its creator's, and a key never acts above its creator's
//! current role: demoting or removing the creator weakens or stops the key.

use super::queries;
use crate::access::{KeyHolder, Member, can};
use crate::api_keys::types::{ApiKeyView, CreatedApiKey, KEY_PREFIX, KeyPurpose};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::error::AppError;
use crate::roles::Role;
use crate::state::AppState;
use crate::tokens;

const NAME_MAX: usize = 80;

/// SCIM tokens open the organization's whole directory: only OWNERs make and see them.
fn may_manage(member: &Member, purpose: KeyPurpose) -> Result<(), AppError> {
    if purpose == KeyPurpose::Scim {
        member.require_owner("errors.only_owner_scim")?;
    }
    Ok(())
}

pub async fn list(
    state: &AppState,
    member: &Member,
    purpose: KeyPurpose,
) -> Result<Vec<ApiKeyView>, AppError> {
    let granted = member.require(state, can::CreateApiKey).await?;
    may_manage(member, purpose)?;
    Ok(queries::list(&state.pool, granted.org_id(), purpose.code())
        .await?
        .into_iter()
        .map(|k| ApiKeyView {
            id: k.id,
            role: k.role,
            prefix: format!("{}…", k.prefix),
            created_by: k.created_by,
            created_on: k.created_at.format("%Y-%m-%d").to_string(),
            last_used: k
                .last_used_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            name: k.name,
        })
        .collect())
}

pub async fn create(
    state: &AppState,
    member: &Member,
    name: &str,
    role: &str,
    purpose: KeyPurpose,
) -> Result<CreatedApiKey, AppError> {
    let granted = member.require(state, can::CreateApiKey).await?;
    may_manage(member, purpose)?;
    let name = name.trim();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(crate::error::FieldError::new(
            "name",
            "errors.api_key_name_required",
        ));
    } else if name.chars().any(char::is_control) {
        // The name becomes the inviter's name in mail the key sends.
        errors.push(crate::error::FieldError::new(
            "name",
            "errors.api_key_name_control",
        ));
    } else if name.chars().count() > NAME_MAX {
        errors.push(
            crate::error::FieldError::new("name", "errors.api_key_name_too_long")
                .with_arg("max", NAME_MAX),
        );
    }
    match Role::parse("role", role) {
        Ok(role) if role.weaker(member.role) != role => errors.push(
            crate::error::FieldError::new("role", "errors.api_key_role_above_yours")
                .with_arg("role", member.role.code()),
        ),
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let role = Role::parse("role", role).map_err(|e| AppError::Validation(vec![e]))?;
    let token = tokens::generate();
    let key = format!("{KEY_PREFIX}{}", token.plain);
    let prefix: String = key.chars().take(KEY_PREFIX.len() + 6).collect();
    let mut tx = state.pool.begin().await?;
    let id = queries::insert(
        &mut *tx,
        &granted,
        queries::NewKey {
            name,
            role: role.code(),
            key_hash: &tokens::hash(&key),
            prefix: &prefix,
            created_by: granted.user_id(),
            purpose: purpose.code(),
        },
    )
    .await?;
    let detail = format!("{} ({})", name, role.code());
    audit(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::ApiKeyCreated,
        Some(&prefix),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key,
        row: ApiKeyView {
            id,
            name: name.to_owned(),
            role,
            prefix: format!("{prefix}…"),
            created_by: member.actor.name.clone(),
            created_on: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            last_used: None,
        },
    })
}

/// The key shown once after a plain form post: only if it is in use in this organization
/// and was made by this member (anything else in the cookie is ignored).
pub async fn made_by(
    state: &AppState,
    member: &Member,
    key: &str,
    keys: &[ApiKeyView],
) -> Result<Option<CreatedApiKey>, AppError> {
    let id = queries::made_by(
        &state.pool,
        member.org_id,
        member.actor.user_id,
        &tokens::hash(key),
    )
    .await?;
    Ok(id
        .and_then(|id| keys.iter().find(|k| k.id == id))
        .map(|row| CreatedApiKey {
            key: key.to_owned(),
            row: row.clone(),
        }))
}

pub async fn revoke(
    state: &AppState,
    member: &Member,
    key_id: i64,
    purpose: KeyPurpose,
) -> Result<(), AppError> {
    let granted = member.require(state, can::CreateApiKey).await?;
    may_manage(member, purpose)?;
    let mut tx = state.pool.begin().await?;
    let name = queries::revoke(&mut *tx, &granted, key_id, purpose.code())
        .await?
        .ok_or(AppError::NotFound)?;
    audit(
        &mut *tx,
        granted.org_id(),
        Some((member.actor.user_id, &member.actor.name)),
        AuditAction::ApiKeyRevoked,
        Some(&name),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The member a request's key acts as, or 401 for a missing, unknown or revoked key.
pub async fn authenticate(
    state: &AppState,
    key: Option<&str>,
    purpose: KeyPurpose,
) -> Result<Member, AppError> {
    let key = key
        .map(str::trim)
        .filter(|k| k.starts_with(KEY_PREFIX))
        .ok_or(AppError::Unauthenticated)?;
    let row = queries::authenticate(&state.pool, &tokens::hash(key), purpose.code())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Member::for_api_key(KeyHolder::from_key(row)))
}

/// Ends every key `user_id` made, in the caller's transaction (a password reset).
pub async fn revoke_all_made_by(tx: &mut sqlx::PgConnection, user_id: i64) -> Result<(), AppError> {
    queries::revoke_all_made_by(&mut *tx, user_id).await?;
    Ok(())
}

/// Ends the keys a person of the organization made there (they were deactivated).
pub async fn revoke_keys_of(
    db: impl sqlx::PgExecutor<'_>,
    org_id: i64,
    person_id: i64,
) -> Result<(), AppError> {
    queries::revoke_keys_of(db, org_id, person_id).await?;
    Ok(())
}

/// Ends the keys a member made in the organization, in the caller's transaction (they
/// left it).
pub async fn revoke_made_in(
    tx: &mut sqlx::PgConnection,
    org_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    queries::revoke_made_in(&mut *tx, org_id, user_id).await?;
    Ok(())
}

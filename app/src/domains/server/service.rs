//! Verified domains' rules. Only OWNERs see and change an organization's domains; every
//! change is audited.

use rand::RngCore;

use super::{dns, queries};
use crate::access::{Member, Owner};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::domains::types::{
    DomainView, DomainsSettings, MAX_DOMAINS, Problem, parse_domain, record_name, record_value,
};
use crate::error::AppError;
use crate::state::AppState;

/// Days a verified domain may fail its look-ups before it is verified no longer: a
/// passing DNS fault does not take sign-in away from an organization.
pub const GRACE_DAYS: i32 = 7;

fn owner_only(member: &Member) -> Result<Owner, AppError> {
    member.require_owner("errors.only_owner_domains")
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(row: queries::DomainRow) -> DomainView {
    DomainView {
        id: row.id,
        record_name: record_name(&row.domain),
        record_value: record_value(&row.token),
        domain: row.domain,
        verified_at: row.verified_at.map(day),
        checked_at: row.checked_at.map(day),
        problem: row.problem.as_deref().and_then(Problem::from_code),
    }
}

/// The "Domains" section, for OWNERs (others get `None`).
pub async fn settings(
    state: &AppState,
    member: &Member,
) -> Result<Option<DomainsSettings>, AppError> {
    let Some(owner) = member.owner() else {
        return Ok(None);
    };
    let domains = queries::list(&state.pool, &owner).await?;
    Ok(Some(DomainsSettings {
        domains: domains.into_iter().map(view).collect(),
    }))
}

/// "Add domain": the domain waits for its record to be published.
pub async fn add(state: &AppState, member: &Member, raw: &str) -> Result<DomainView, AppError> {
    let owner = owner_only(member)?;
    let domain = parse_domain(raw).ok_or_else(|| {
        AppError::Validation(vec![
            crate::error::FieldError::new("domain", "errors.verified_domain_invalid")
                .with_arg("domain", raw.trim()),
        ])
    })?;
    let mut token = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut token);
    let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let mut tx = state.pool.begin().await?;
    crate::access::lock_org(&mut tx, owner.org_id()).await?;
    if queries::count(&mut *tx, &owner).await? >= MAX_DOMAINS as i64 {
        return Err(AppError::field(
            "domain",
            "errors.verified_domains_too_many",
        ));
    }
    if queries::verified_elsewhere(&mut *tx, owner.org_id(), &domain).await? {
        return Err(AppError::field("domain", "errors.domain_taken"));
    }
    let id = queries::insert(&mut *tx, &owner, &domain, &token)
        .await?
        .ok_or_else(|| AppError::field("domain", "errors.domain_added_already"))?;
    audit(
        &mut *tx,
        owner.org_id(),
        Some((owner.user_id(), owner.name())),
        AuditAction::DomainAdded,
        Some(&domain),
        None,
    )
    .await?;
    let row = queries::one(&mut *tx, &owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(view(row))
}

/// "Verify": looks the record up now. Answers the domain as it is after the look-up
/// (verified, or with what was found instead).
pub async fn verify(state: &AppState, member: &Member, id: i64) -> Result<DomainView, AppError> {
    let owner = owner_only(member)?;
    let row = queries::one(&state.pool, &owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let found = dns::check(&state.settings, &row.domain, &row.token).await;
    let actor = (owner.user_id(), owner.name());
    record(state, &row, found, Some(actor)).await?;
    let row = queries::one(&state.pool, &owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(view(row))
}

/// Writes down what a look-up of `row` found, and audits a change of state. A domain
/// another organization verified first stays unverified here ("taken").
pub async fn record(
    state: &AppState,
    row: &queries::DomainRow,
    found: Result<(), Problem>,
    actor: Option<(i64, &str)>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let found = match found {
        Ok(()) if queries::verified_elsewhere(&mut *tx, row.org_id, &row.domain).await? => {
            Err(Problem::Taken)
        }
        other => other,
    };
    match found {
        Ok(()) => {
            match queries::mark_verified(&mut *tx, row.id).await {
                Ok(()) => {}
                // Another organization verified it in the same moment.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    drop(tx);
                    let mut tx = state.pool.begin().await?;
                    queries::mark_failed(&mut *tx, row.id, Problem::Taken.code(), GRACE_DAYS)
                        .await?;
                    tx.commit().await?;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
            if row.verified_at.is_none() {
                audit(
                    &mut *tx,
                    row.org_id,
                    actor,
                    AuditAction::DomainVerified,
                    Some(&row.domain),
                    None,
                )
                .await?;
            }
        }
        // The DNS did not answer: nothing is known of the record, and a verified domain
        // does not count the look-up toward losing its verification.
        Err(Problem::Unreachable) if row.verified_at.is_some() => {
            queries::mark_unanswered(&mut *tx, row.id, Problem::Unreachable.code()).await?;
        }
        Err(problem) => {
            let unverified =
                queries::mark_failed(&mut *tx, row.id, problem.code(), GRACE_DAYS).await?;
            if unverified {
                audit(
                    &mut *tx,
                    row.org_id,
                    actor,
                    AuditAction::DomainUnverified,
                    Some(&row.domain),
                    Some(problem.code()),
                )
                .await?;
                tell_owners_of_lost_sso_domain(&mut tx, state, row).await?;
            }
        }
    }
    crate::mail::outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// An organization that requires single sign-on lost a verified domain: its people at
/// that domain no longer sign in through the provider. Its OWNERs are mailed.
async fn tell_owners_of_lost_sso_domain(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    row: &queries::DomainRow,
) -> Result<(), AppError> {
    for owner in queries::owners_if_sso_required(&mut *tx, row.org_id).await? {
        let locale = crate::i18n::Locale::from_code(&owner.locale).unwrap_or_default();
        let settings = state.settings.link(&format!(
            "{}/settings#domains",
            crate::access::org_home(&owner.region, &owner.short_name)
        ));
        let mail = crate::mail::templates::sso_domain_lost(
            locale,
            &owner.name,
            &owner.org_name,
            &row.domain,
            &settings,
        );
        crate::mail::outbox::enqueue(&mut *tx, &state.settings.secret_key, &owner.email, &mail)
            .await?;
    }
    Ok(())
}

/// "Remove": the domain leaves the organization (and is free for another to verify).
pub async fn remove(state: &AppState, member: &Member, id: i64) -> Result<(), AppError> {
    let owner = owner_only(member)?;
    let mut tx = state.pool.begin().await?;
    let domain = queries::delete(&mut *tx, &owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit(
        &mut *tx,
        owner.org_id(),
        Some((owner.user_id(), owner.name())),
        AuditAction::DomainRemoved,
        Some(&domain),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

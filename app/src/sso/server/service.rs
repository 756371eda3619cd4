//! Single sign-on's rules. Only OWNERs see and change the set-up; every change is
//! audited. A sign-in through the provider is bound to the browser that started it (a
//! sealed cookie holds its state, nonce and PKCE verifier for ten minutes), and signs in
//! only addresses on the organization's verified domains.

use super::provider::{self, Failure};
use super::queries;
use crate::access::{Member, Owner};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::error::{AppError, FieldError};
use crate::mail::seal::{self, Purpose};
use crate::sso::types::{CALLBACK_PATH, SsoSettings};
use crate::state::AppState;

/// A sign-in through the provider may take this long.
pub(super) const LOGIN_SECONDS: i64 = 10 * 60;

fn owner_only(member: &Member) -> Result<Owner, AppError> {
    member.require_owner("errors.only_owner_sso")
}

pub(super) fn redirect_url(state: &AppState) -> String {
    state.settings.link(CALLBACK_PATH)
}

/// The "Single sign-on" section, for OWNERs (others get `None`).
pub async fn settings(state: &AppState, member: &Member) -> Result<Option<SsoSettings>, AppError> {
    let Some(owner) = member.owner() else {
        return Ok(None);
    };
    let config = queries::config(&state.pool, owner.org_id()).await?;
    Ok(Some(SsoSettings {
        issuer: config.as_ref().map(|c| c.issuer.clone()),
        client_id: config.as_ref().map(|c| c.client_id.clone()),
        sign_in_host: config.as_ref().and_then(|c| c.sign_in_host.clone()),
        required: config.as_ref().is_some_and(|c| c.required),
        redirect_url: redirect_url(state),
        verified_domains: queries::verified_domains(&state.pool, owner.org_id()).await?,
    }))
}

/// What the OWNER typed in the form.
pub struct SsoForm<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Empty: keep the saved one (for the saved issuer and client ID only).
    pub client_secret: &'a str,
    /// Another host than the issuer's for the provider's sign-in page, confirmed by the
    /// OWNER (empty: the issuer's own).
    pub sign_in_host: &'a str,
}

/// A host name as typed: letters, digits, dots and dashes (or empty: none).
fn parse_host(raw: &str) -> Result<Option<String>, AppError> {
    let host = raw.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Ok(None);
    }
    let ok = host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(Some(host))
    } else {
        Err(AppError::field(
            "sign_in_host",
            "errors.sso_sign_in_host_invalid",
        ))
    }
}

/// The provider as Muster may use it: the server asks only the internet (and allowed
/// hosts), the browser is sent only to the issuer's host (or the confirmed one).
pub(super) fn provider<'a>(
    state: &'a AppState,
    issuer: &'a str,
    client_id: &'a str,
    secret: &'a str,
    redirect: &'a str,
    sign_in_host: Option<&'a str>,
) -> provider::Provider<'a> {
    provider::Provider {
        issuer,
        client_id,
        secret,
        redirect,
        sign_in_host,
        allowed_hosts: &state.settings.sso_allowed_hosts,
        http_ok: !state.settings.secure_cookies,
    }
}

/// The provider's trouble as the form shows it: a fixed message for each kind, naming
/// the field to fix. What the provider or the network said goes to the log only.
fn failure(failure: Failure, issuer: &str) -> AppError {
    tracing::info!(detail = failure.detail(), %issuer, "an OpenID provider failed a connection test");
    let (field, key) = match failure {
        Failure::Issuer => ("issuer", "errors.sso_issuer_invalid"),
        Failure::Unreachable(_) => ("issuer", "errors.sso_unreachable"),
        Failure::NotTheInternet(_) => ("issuer", "errors.sso_not_the_internet"),
        Failure::NotAProvider(_) => ("issuer", "errors.sso_not_a_provider"),
        Failure::SignInPage(_) => ("sign_in_host", "errors.sso_sign_in_page"),
        Failure::ClientRefused => ("client_secret", "errors.sso_client_refused"),
        Failure::Refused(_) | Failure::Token(_) => ("form", "errors.sso_provider_refused"),
    };
    AppError::Validation(vec![FieldError::new(field, key).with_arg("issuer", issuer)])
}

/// An issuer as typed: an https address (http only while Muster itself is served over
/// plain http, as in development and tests).
fn parse_issuer(state: &AppState, raw: &str) -> Result<String, AppError> {
    let issuer = raw.trim().to_owned();
    let https = issuer.starts_with("https://");
    let http_allowed = !state.settings.secure_cookies && issuer.starts_with("http://");
    let host = issuer.split("://").nth(1).unwrap_or_default();
    if !(https || http_allowed) || host.is_empty() || issuer.contains(char::is_whitespace) {
        return Err(AppError::field("issuer", "errors.sso_issuer_invalid"));
    }
    Ok(issuer)
}

/// "Test connection" (`save` false) or "Save" (`save` true): asks the provider with what
/// was typed, and saves only what works. An empty secret means the saved one, which is
/// sent only to the saved issuer with the saved client ID. Both are audited.
pub async fn test_or_save(
    state: &AppState,
    member: &Member,
    form: SsoForm<'_>,
    save: bool,
) -> Result<(), AppError> {
    let owner = owner_only(member)?;
    let issuer = parse_issuer(state, form.issuer)?;
    let sign_in_host = parse_host(form.sign_in_host)?;
    let client_id = form.client_id.trim();
    let mut errors = Vec::new();
    if client_id.is_empty() {
        errors.push(FieldError::new(
            "client_id",
            "errors.sso_client_id_required",
        ));
    }
    let saved = queries::config(&state.pool, owner.org_id()).await?;
    let secret = match (form.client_secret.trim(), &saved) {
        ("", Some(saved)) if saved.issuer == issuer && saved.client_id == client_id => {
            seal::open_bytes(
                &state.settings.secret_key,
                Purpose::SsoSecret,
                &saved.client_secret_sealed,
            )
            .and_then(|s| String::from_utf8(s).ok())
            .ok_or_else(|| AppError::internal("an SSO secret that does not open"))?
        }
        ("", _) => {
            errors.push(FieldError::new(
                "client_secret",
                "errors.sso_client_secret_required",
            ));
            String::new()
        }
        (typed, _) => typed.to_owned(),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let redirect = redirect_url(state);
    let asked = provider(
        state,
        &issuer,
        client_id,
        &secret,
        &redirect,
        sign_in_host.as_deref(),
    );
    let outcome = provider::test(&asked).await;
    let detail = format!(
        "{} {issuer}, {client_id}: {}",
        if save { "save" } else { "test" },
        if outcome.is_ok() {
            "accepted"
        } else {
            "failed"
        }
    );
    if !save || outcome.is_err() {
        let mut tx = state.pool.begin().await?;
        record(&mut tx, &owner, &detail).await?;
        tx.commit().await?;
        return outcome.map_err(|f| failure(f, &issuer));
    }
    let sealed = seal::seal_bytes(
        &state.settings.secret_key,
        Purpose::SsoSecret,
        secret.as_bytes(),
    );
    let mut tx = state.pool.begin().await?;
    queries::save(
        &mut *tx,
        &owner,
        &issuer,
        client_id,
        &sealed,
        sign_in_host.as_deref(),
    )
    .await?;
    queries::forget_links(&mut tx, &owner, Some(&issuer)).await?;
    record(&mut tx, &owner, &detail).await?;
    tx.commit().await?;
    provider::forget(&issuer);
    Ok(())
}

async fn record(tx: &mut sqlx::PgConnection, owner: &Owner, detail: &str) -> Result<(), AppError> {
    audit(
        &mut *tx,
        owner.org_id(),
        Some((owner.user_id(), owner.name())),
        AuditAction::SsoChanged,
        None,
        Some(detail),
    )
    .await?;
    Ok(())
}

/// "Require single sign-on" on or off.
pub async fn set_required(
    state: &AppState,
    member: &Member,
    required: bool,
) -> Result<(), AppError> {
    let owner = owner_only(member)?;
    let mut tx = state.pool.begin().await?;
    if !queries::set_required(&mut *tx, &owner, required).await? {
        return Err(AppError::Conflict("errors.sso_not_configured".into()));
    }
    record(
        &mut tx,
        &owner,
        if required { "required" } else { "not required" },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Turn off single sign-on": people sign in with passwords again.
pub async fn remove(state: &AppState, member: &Member) -> Result<(), AppError> {
    let owner = owner_only(member)?;
    let mut tx = state.pool.begin().await?;
    if !queries::remove(&mut *tx, &owner).await? {
        return Err(AppError::Conflict("errors.sso_not_configured".into()));
    }
    queries::forget_links(&mut tx, &owner, None).await?;
    record(&mut tx, &owner, "removed").await?;
    tx.commit().await?;
    Ok(())
}

pub use super::link::{LINK_PATH, LinkPage, confirm_link, link_page, signed_in};
pub use super::sign_in::{Callback, Finished, Outcome, Start, finish, org_for_email, start};

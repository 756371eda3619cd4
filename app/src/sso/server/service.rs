//! Single sign-on's rules. Only OWNERs see and change the set-up; every change is
//! audited. A sign-in through the provider is bound to the browser that started it (a
//! sealed cookie holds its state, nonce and PKCE verifier for ten minutes), and signs in
//! only addresses on the organization's verified domains.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::provider::{self, Failure};
use super::queries;
use crate::access::{Member, org_home};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::auth::server::{password, service as accounts, tokens};
use crate::auth::types::SsoProblem as Problem;
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::joining::server::service as joining;
use crate::mail::seal::{self, Purpose};
use crate::mail::{outbox, templates};
use crate::roles::Role;
use crate::sso::types::{CALLBACK_PATH, SsoSettings};
use crate::state::AppState;

/// A sign-in through the provider may take this long.
const LOGIN_SECONDS: i64 = 10 * 60;

fn owner_only(member: &Member) -> Result<(), AppError> {
    if member.role == Role::Owner {
        Ok(())
    } else {
        Err(AppError::NotPermitted {
            key: "errors.only_owner_sso".into(),
            contacts: Vec::new(),
        })
    }
}

fn redirect_url(state: &AppState) -> String {
    state.settings.link(CALLBACK_PATH)
}

/// The "Single sign-on" section, for OWNERs (others get `None`).
pub async fn settings(state: &AppState, member: &Member) -> Result<Option<SsoSettings>, AppError> {
    if member.role != Role::Owner {
        return Ok(None);
    }
    let config = queries::config(&state.pool, member.org_id).await?;
    Ok(Some(SsoSettings {
        issuer: config.as_ref().map(|c| c.issuer.clone()),
        client_id: config.as_ref().map(|c| c.client_id.clone()),
        required: config.as_ref().is_some_and(|c| c.required),
        redirect_url: redirect_url(state),
        verified_domains: queries::verified_domains(&state.pool, member.org_id).await?,
    }))
}

/// What the OWNER typed in the form.
pub struct SsoForm<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Empty: keep the saved one.
    pub client_secret: &'a str,
}

/// The provider's trouble as the form shows it, naming the field to fix.
fn failure(failure: Failure, issuer: &str) -> AppError {
    let (field, key, detail) = match failure {
        Failure::Issuer => ("issuer", "errors.sso_issuer_invalid", String::new()),
        Failure::Unreachable(detail) => ("issuer", "errors.sso_unreachable", detail),
        Failure::NotAProvider(detail) => ("issuer", "errors.sso_not_a_provider", detail),
        Failure::ClientRefused => ("client_secret", "errors.sso_client_refused", String::new()),
        Failure::Refused(detail) | Failure::Token(detail) => {
            ("form", "errors.sso_provider_refused", detail)
        }
    };
    AppError::Validation(vec![
        FieldError::new(field, key)
            .with_arg("issuer", issuer)
            .with_arg("detail", detail),
    ])
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
/// was typed, and saves only what works. An empty secret means the saved one.
pub async fn test_or_save(
    state: &AppState,
    member: &Member,
    form: SsoForm<'_>,
    save: bool,
) -> Result<(), AppError> {
    owner_only(member)?;
    let issuer = parse_issuer(state, form.issuer)?;
    let client_id = form.client_id.trim();
    let mut errors = Vec::new();
    if client_id.is_empty() {
        errors.push(FieldError::new(
            "client_id",
            "errors.sso_client_id_required",
        ));
    }
    let saved = queries::config(&state.pool, member.org_id).await?;
    let secret = match (form.client_secret.trim(), &saved) {
        ("", Some(saved)) => seal::open_bytes(
            &state.settings.secret_key,
            Purpose::SsoSecret,
            &saved.client_secret_sealed,
        )
        .and_then(|s| String::from_utf8(s).ok())
        .ok_or_else(|| AppError::internal("an SSO secret that does not open"))?,
        ("", None) => {
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
    provider::test(&issuer, client_id, &secret, &redirect_url(state))
        .await
        .map_err(|f| failure(f, &issuer))?;
    if !save {
        return Ok(());
    }
    let sealed = seal::seal_bytes(
        &state.settings.secret_key,
        Purpose::SsoSecret,
        secret.as_bytes(),
    );
    let mut tx = state.pool.begin().await?;
    queries::save(&mut *tx, member.org_id, &issuer, client_id, &sealed).await?;
    record(&mut tx, member, &format!("{issuer}, {client_id}")).await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    tx: &mut sqlx::PgConnection,
    member: &Member,
    detail: &str,
) -> Result<(), AppError> {
    audit(
        &mut *tx,
        member.org_id,
        Some((member.actor.user_id, &member.actor.name)),
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
    owner_only(member)?;
    let mut tx = state.pool.begin().await?;
    if !queries::set_required(&mut *tx, member.org_id, required).await? {
        return Err(AppError::Conflict("errors.sso_not_configured".into()));
    }
    record(
        &mut tx,
        member,
        if required { "required" } else { "not required" },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Turn off single sign-on": people sign in with passwords again.
pub async fn remove(state: &AppState, member: &Member) -> Result<(), AppError> {
    owner_only(member)?;
    let mut tx = state.pool.begin().await?;
    if !queries::remove(&mut *tx, member.org_id).await? {
        return Err(AppError::Conflict("errors.sso_not_configured".into()));
    }
    record(&mut tx, member, "removed").await?;
    tx.commit().await?;
    Ok(())
}

/// Home-realm discovery: the organization whose provider signs in `email`, if any.
pub async fn org_for_email(state: &AppState, email: &str) -> Result<Option<i64>, AppError> {
    let Some((_, domain)) = email.trim().rsplit_once('@') else {
        return Ok(None);
    };
    Ok(queries::org_for_domain(&state.pool, &domain.to_lowercase()).await?)
}

/// What the browser holds while it is at the provider (sealed).
#[derive(Serialize, Deserialize)]
struct Pending {
    org: i64,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    expires: i64,
}

/// A sign-in on its way: where to send the browser, and the cookie value it keeps.
pub struct Start {
    pub url: String,
    pub cookie: String,
}

fn client_secret(state: &AppState, row: &queries::SsoRow) -> Result<String, Problem> {
    seal::open_bytes(
        &state.settings.secret_key,
        Purpose::SsoSecret,
        &row.client_secret_sealed,
    )
    .and_then(|s| String::from_utf8(s).ok())
    .ok_or(Problem::Provider)
}

fn problem(failure: Failure) -> Problem {
    match failure {
        Failure::Unreachable(_) => Problem::Unreachable,
        Failure::Token(detail) => {
            tracing::warn!(%detail, "an ID token did not hold up");
            Problem::Token
        }
        other => {
            tracing::warn!(?other, "the OpenID provider refused a sign-in");
            Problem::Provider
        }
    }
}

/// Starts signing in `email` (if known) through the organization's provider; `next` is
/// where to go afterwards (a path of ours).
pub async fn start(
    state: &AppState,
    org_id: i64,
    email: Option<&str>,
    next: &str,
) -> Result<Start, Problem> {
    let row = queries::config(&state.pool, org_id)
        .await
        .map_err(|_| Problem::Unreachable)?
        .ok_or(Problem::Provider)?;
    let secret = client_secret(state, &row)?;
    let auth = provider::authorize(
        &row.issuer,
        &row.client_id,
        &secret,
        &redirect_url(state),
        email,
    )
    .await
    .map_err(problem)?;
    let pending = Pending {
        org: org_id,
        state: auth.state,
        nonce: auth.nonce,
        verifier: auth.verifier,
        next: if crate::auth::types::is_local_path(next) {
            next.to_owned()
        } else {
            String::new()
        },
        expires: chrono::Utc::now().timestamp() + LOGIN_SECONDS,
    };
    let plain = serde_json::to_vec(&pending).expect("a pending sign-in serialises");
    let sealed = seal::seal_bytes(&state.settings.secret_key, Purpose::SsoLogin, &plain);
    Ok(Start {
        url: auth.url,
        cookie: URL_SAFE_NO_PAD.encode(sealed),
    })
}

fn open_pending(state: &AppState, cookie: &str) -> Option<Pending> {
    let sealed = URL_SAFE_NO_PAD.decode(cookie).ok()?;
    let plain = seal::open_bytes(&state.settings.secret_key, Purpose::SsoLogin, &sealed)?;
    serde_json::from_slice(&plain).ok()
}

/// What the provider sent the browser back with.
pub struct Callback<'a> {
    pub cookie: Option<&'a str>,
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub locale: Locale,
}

/// A finished sign-in: how the person comes in, and where they go.
pub struct Finished {
    pub entry: accounts::Entry,
    pub to: String,
}

/// Finishes a sign-in: the browser that started it, the provider's code and ID token,
/// an address on a verified domain; then the account (found, linked or made) and the
/// membership (just in time).
pub async fn finish(state: &AppState, back: Callback<'_>) -> Result<Finished, Problem> {
    let pending = back
        .cookie
        .and_then(|c| open_pending(state, c))
        .filter(|p| p.expires > chrono::Utc::now().timestamp())
        .ok_or(Problem::State)?;
    // The state the provider echoes must be this browser's (compared as hashes).
    let echoed = back.state.ok_or(Problem::State)?;
    if tokens::hash(echoed) != tokens::hash(&pending.state) {
        return Err(Problem::State);
    }
    if back.error.is_some() {
        return Err(Problem::Provider);
    }
    let code = back.code.ok_or(Problem::Provider)?;
    let row = queries::config(&state.pool, pending.org)
        .await
        .map_err(|_| Problem::Unreachable)?
        .ok_or(Problem::Provider)?;
    let secret = client_secret(state, &row)?;
    let claims = provider::finish(
        &row.issuer,
        &row.client_id,
        &secret,
        &redirect_url(state),
        code,
        &pending.verifier,
        &pending.nonce,
    )
    .await
    .map_err(problem)?;
    let next = pending.next;
    come_in(state, &row, &claims, &next, back.locale)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Problem(problem) => problem,
            Refusal::Failed(err) => {
                tracing::error!(error = %err, "a single sign-on could not be saved");
                Problem::Unreachable
            }
        })
}

/// Why someone the provider vouched for does not come in: a rule (shown on the sign-in
/// page), or a failure of Muster's (logged; "try again").
enum Refusal {
    Problem(Problem),
    Failed(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Refusal::Failed(err)
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(err: sqlx::Error) -> Self {
        Refusal::Failed(err.into())
    }
}

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Self {
        Refusal::Problem(problem)
    }
}

/// The person the provider vouched for comes in: an address on a verified domain, not
/// deactivated; their account (found, linked or made) and membership (just in time: a
/// seat, the audit log, the welcome mail) in one transaction; then a session.
async fn come_in(
    state: &AppState,
    row: &queries::SsoRow,
    claims: &provider::Claims,
    next: &str,
    locale: Locale,
) -> Result<Finished, Refusal> {
    let email = claims.email.clone().ok_or(Problem::Domain)?;
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !queries::verified_domains(&state.pool, row.org_id)
        .await?
        .iter()
        .any(|d| d == domain)
    {
        return Err(Problem::Domain.into());
    }
    let org = queries::org(&state.pool, row.org_id)
        .await?
        .ok_or(Problem::Provider)?;
    if queries::person_status(&state.pool, row.org_id, &email)
        .await?
        .as_deref()
        == Some("inactive")
    {
        return Err(Problem::Deactivated.into());
    }
    let home = org_home(&org.region, &org.short_name);
    let to = if next.is_empty() {
        home.clone()
    } else {
        next.to_owned()
    };
    let name = claims.name.clone().unwrap_or_else(|| local_part(&email));
    let mut tx = state.pool.begin().await?;
    let user_id = account(&mut tx, state, row.org_id, claims, &email, &name, locale).await?;
    if !queries::is_member(&mut *tx, row.org_id, user_id).await? {
        let how = Some("single sign-on");
        match joining::admit(&mut tx, row.org_id, &name, &email, user_id, how).await {
            Err(AppError::Validation(errors))
                if errors.iter().any(|e| e.key == "errors.seats_full") =>
            {
                return Err(Problem::Seats.into());
            }
            other => other?,
        };
        let locale = accounts::account_locale(&mut *tx, &email)
            .await?
            .as_deref()
            .and_then(Locale::from_code)
            .unwrap_or(locale);
        let mail = templates::sso_welcome(locale, &name, &org.name, &state.settings.link(&home));
        outbox::enqueue(&mut *tx, &state.settings.secret_key, &email, &mail).await?;
    }
    let entry = accounts::enter_through_provider(&mut tx, state, user_id, &to, row.org_id).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(Finished { entry, to })
}

fn local_part(email: &str) -> String {
    email.split('@').next().unwrap_or_default().to_owned()
}

/// The account the provider's person signs in: the one linked to their subject, else the
/// one with their address (linked only when the provider verified the address), else a
/// new one (its address proven by the provider on a verified domain; no password).
async fn account(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    org_id: i64,
    claims: &provider::Claims,
    email: &str,
    name: &str,
    locale: Locale,
) -> Result<i64, Refusal> {
    if let Some(user_id) = queries::identity(&mut *tx, org_id, &claims.subject).await? {
        return Ok(user_id);
    }
    if let Some(user) = accounts::find_user_by_email(&mut *tx, email).await? {
        if !claims.email_verified {
            return Err(Problem::Unverified.into());
        }
        queries::link(&mut *tx, org_id, &claims.subject, user.id).await?;
        return Ok(user.id);
    }
    // No password anyone knows: the account signs in through the provider (or sets a
    // password with "Forgot password").
    let mut random = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let unusable = password::hash_password(state, &URL_SAFE_NO_PAD.encode(random)).await?;
    let user_id = accounts::insert_user(&mut *tx, email, name, &unusable.0, locale.code())
        .await?
        .ok_or(Problem::State)?;
    accounts::mark_email_verified(&mut *tx, user_id).await?;
    queries::link(&mut *tx, org_id, &claims.subject, user_id).await?;
    Ok(user_id)
}

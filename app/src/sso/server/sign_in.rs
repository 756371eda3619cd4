//! A sign-in through the organization's provider: home-realm discovery, the start (a
//! sealed cookie with state, nonce and PKCE verifier), the callback, and the account and
//! membership it opens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::link::request_link;
use super::provider::{self, Failure};
use super::queries;
use super::service::{LOGIN_SECONDS, provider as provider_of, redirect_url};
use crate::access::org_home;
use crate::auth::server::{password, service as accounts};
use crate::auth::types::SsoProblem as Problem;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::joining::server::service as joining;
use crate::mail::seal::{self, Purpose};
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

/// Home-realm discovery: the organization whose provider signs in `email`, if any.
pub async fn org_for_email(state: &AppState, email: &str) -> Result<Option<i64>, AppError> {
    let Some((_, domain)) = email.trim().rsplit_once('@') else {
        return Ok(None);
    };
    Ok(queries::org_for_domain(&state.pool, &domain.to_lowercase()).await?)
}

/// What the browser holds while it is at the provider (sealed).
#[derive(Serialize, Deserialize)]
pub(super) struct Pending {
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

pub(super) fn client_secret(state: &AppState, row: &queries::SsoRow) -> Result<String, Problem> {
    seal::open_bytes(
        &state.settings.secret_key,
        Purpose::SsoSecret,
        &row.client_secret_sealed,
    )
    .and_then(|s| String::from_utf8(s).ok())
    .ok_or(Problem::Provider)
}

pub(super) fn problem(failure: Failure) -> Problem {
    match &failure {
        Failure::Unreachable(_) | Failure::NotTheInternet(_) => {
            tracing::warn!(
                detail = failure.detail(),
                "an OpenID provider could not be asked"
            );
            Problem::Unreachable
        }
        Failure::Token(detail) => {
            tracing::warn!(%detail, "an ID token did not hold up");
            Problem::Token
        }
        Failure::SignInPage(page) => {
            tracing::warn!(%page, "an OpenID provider names a sign-in page Muster does not send people to");
            Problem::Provider
        }
        other => {
            tracing::warn!(
                detail = other.detail(),
                "the OpenID provider refused a sign-in"
            );
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
    let redirect = redirect_url(state);
    let auth = provider::authorize(&saved_provider(state, &row, &secret, &redirect), email)
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

pub(super) fn saved_provider<'a>(
    state: &'a AppState,
    row: &'a queries::SsoRow,
    secret: &'a str,
    redirect: &'a str,
) -> provider::Provider<'a> {
    provider_of(
        state,
        &row.issuer,
        &row.client_id,
        secret,
        redirect,
        row.sign_in_host.as_deref(),
    )
}

pub(super) fn open_pending(state: &AppState, cookie: &str) -> Option<Pending> {
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
    /// The account that comes in.
    pub user_id: i64,
    pub email: String,
}

/// How a sign-in through the provider ends well.
pub enum Outcome {
    /// The person comes in.
    Finished(Finished),
    /// An account already has the address: its holder was mailed a link that links the
    /// two, to be opened in this browser, which keeps `browser` (a cookie) until then.
    ConfirmByMail { browser: String },
}

/// Finishes a sign-in: the browser that started it, the provider's code and ID token,
/// an address on a verified domain; then the account (found, linked or made) and the
/// membership (just in time).
pub async fn finish(state: &AppState, back: Callback<'_>) -> Result<Outcome, Problem> {
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
    let redirect = redirect_url(state);
    let claims = provider::finish(
        &saved_provider(state, &row, &secret, &redirect),
        code,
        &pending.verifier,
        &pending.nonce,
    )
    .await
    .map_err(problem)?;
    come_in(state, &row, &claims, &pending.next, back.locale)
        .await
        .map_err(|refusal| refusal.shown("a single sign-on could not be saved"))
}

/// Why someone the provider vouched for does not come in: a rule (shown on the sign-in
/// page), or a failure of Muster's (logged; "try again").
pub(super) enum Refusal {
    Problem(Problem),
    Failed(AppError),
}

impl Refusal {
    /// What the sign-in page shows: the rule, or "try again" for a failure of Muster's,
    /// which is logged as `what`.
    pub(super) fn shown(self, what: &'static str) -> Problem {
        match self {
            Refusal::Problem(problem) => problem,
            Refusal::Failed(err) => {
                tracing::error!(error = %err, "{what}");
                Problem::Unreachable
            }
        }
    }
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

pub(super) fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
}

/// The person the provider vouched for comes in: a verified address (the provider says
/// so) on a verified domain of the organization, not deactivated; their account (the
/// one linked to this issuer's subject, or a new one), and membership (just in time: a
/// seat, the audit log, the welcome mail), in one transaction; then a session. An
/// account that has the address but is not linked is linked only by its holder.
pub(super) async fn come_in(
    state: &AppState,
    row: &queries::SsoRow,
    claims: &provider::Claims,
    next: &str,
    locale: Locale,
) -> Result<Outcome, Refusal> {
    // Nothing is believed of an address the provider did not verify: no account made,
    // none linked, no person record (and its role) claimed.
    if !claims.email_verified {
        return Err(Problem::Unverified.into());
    }
    let email = claims.email.clone().ok_or(Problem::Domain)?;
    let verified = queries::verified_domains(&state.pool, row.org_id).await?;
    let on_verified = |address: &str| verified.iter().any(|d| d == domain_of(address));
    if !on_verified(&email) {
        return Err(Problem::Domain.into());
    }
    // The provider's name goes through the rules of a typed name; one that breaks them
    // is not used (the address's local part is).
    let name = claims
        .name
        .as_deref()
        .and_then(|n| crate::auth::types::PersonName::parse(n).ok())
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| local_part(&email));
    let mut tx = state.pool.begin().await?;
    let linked = queries::identity(&mut *tx, row.org_id, &row.issuer, &claims.subject).await?;
    let user_id = match linked {
        // A link holds only while the account's own address is on a domain the
        // organization still verifies.
        Some(linked) if on_verified(&linked.email) => linked.user_id,
        Some(_) => return Err(Problem::Domain.into()),
        None => match accounts::find_user_by_email(&mut *tx, &email).await? {
            Some(user) => {
                let browser = request_link(&mut tx, state, row, claims, &user, &name, next).await?;
                tx.commit().await?;
                state.outbox_wakeup.notify_one();
                return Ok(Outcome::ConfirmByMail { browser });
            }
            None => new_account(&mut tx, state, row, claims, &email, &name, locale).await?,
        },
    };
    let finished =
        admit_and_enter(tx, state, row.org_id, user_id, &email, &name, next, locale).await?;
    Ok(Outcome::Finished(finished))
}

/// The rest of coming in, for an account the provider may sign in: not deactivated in
/// the organization, a member (just in time, with the welcome mail), a session.
#[allow(clippy::too_many_arguments)]
pub(super) async fn admit_and_enter(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    state: &AppState,
    org_id: i64,
    user_id: i64,
    email: &str,
    name: &str,
    next: &str,
    locale: Locale,
) -> Result<Finished, Refusal> {
    if queries::person_status(&mut *tx, org_id, email)
        .await?
        .as_deref()
        == Some("inactive")
    {
        return Err(Problem::Deactivated.into());
    }
    let org = queries::org(&mut *tx, org_id)
        .await?
        .ok_or(Problem::Provider)?;
    let home = org_home(&org.region, &org.short_name);
    let to = if next.is_empty() {
        home.clone()
    } else {
        next.to_owned()
    };
    if !queries::is_member(&mut *tx, org_id, user_id).await? {
        let how = joining::Joining {
            role: crate::roles::Role::Viewer,
            how: Some("single sign-on"),
        };
        match joining::admit(&mut tx, org_id, name, email, user_id, how).await {
            Err(AppError::Validation(errors))
                if errors.iter().any(|e| e.key == "errors.seats_full") =>
            {
                return Err(Problem::Seats.into());
            }
            other => other?,
        };
        let locale = accounts::account_locale(&mut *tx, email)
            .await?
            .as_deref()
            .and_then(Locale::from_code)
            .unwrap_or(locale);
        let mail = templates::sso_welcome(locale, name, &org.name, &state.settings.link(&home));
        outbox::enqueue(&mut *tx, &state.settings.secret_key, email, &mail).await?;
    }
    let entry = accounts::enter_through_provider(&mut tx, state, user_id, &to, org_id).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(Finished {
        entry,
        to,
        user_id,
        email: email.to_owned(),
    })
}

pub(super) fn local_part(email: &str) -> String {
    email.split('@').next().unwrap_or_default().to_owned()
}

/// A new account for the provider's person (its address proven by the provider, on a
/// verified domain), with no password at all: it signs in through the provider, or sets
/// a password with "Forgot password". No hashing here: a provider cannot hold the
/// database's connections with Argon2 inside a transaction. At most
/// `sso_new_accounts_per_hour` of them per organization.
pub(super) async fn new_account(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    row: &queries::SsoRow,
    claims: &provider::Claims,
    email: &str,
    name: &str,
    locale: Locale,
) -> Result<i64, Refusal> {
    if queries::new_accounts_last_hour(&mut *tx, row.org_id).await?
        >= state.settings.sso_new_accounts_per_hour
    {
        tracing::warn!(
            org_id = row.org_id,
            "an OpenID provider reached its hourly new accounts"
        );
        return Err(Problem::TooMany.into());
    }
    let user_id =
        accounts::insert_user(&mut *tx, email, name, password::NO_PASSWORD, locale.code())
            .await?
            .ok_or(Problem::State)?;
    accounts::mark_email_verified(&mut *tx, user_id).await?;
    queries::link(
        &mut *tx,
        row.org_id,
        &row.issuer,
        &claims.subject,
        user_id,
        true,
    )
    .await?;
    Ok(user_id)
}

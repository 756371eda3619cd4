//! Single sign-on's rules. Only OWNERs see and change the set-up; every change is
//! audited. A sign-in through the provider is bound to the browser that started it (a
//! sealed cookie holds its state, nonce and PKCE verifier for ten minutes), and signs in
//! only addresses on the organization's verified domains.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::provider::{self, Failure};
use super::queries;
use crate::access::{Member, Owner, org_home};
use crate::audit::server::service::record as audit;
use crate::audit::types::AuditAction;
use crate::auth::server::{password, service as accounts, tokens};
use crate::auth::types::SsoProblem as Problem;
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::joining::server::service as joining;
use crate::mail::seal::{self, Purpose};
use crate::mail::{outbox, templates};
use crate::sso::types::{CALLBACK_PATH, SsoSettings};
use crate::state::AppState;

/// A sign-in through the provider may take this long.
const LOGIN_SECONDS: i64 = 10 * 60;

fn owner_only(member: &Member) -> Result<Owner, AppError> {
    member.require_owner("errors.only_owner_sso")
}

fn redirect_url(state: &AppState) -> String {
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
fn provider<'a>(
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

fn saved_provider<'a>(
    state: &'a AppState,
    row: &'a queries::SsoRow,
    secret: &'a str,
    redirect: &'a str,
) -> provider::Provider<'a> {
    provider(
        state,
        &row.issuer,
        &row.client_id,
        secret,
        redirect,
        row.sign_in_host.as_deref(),
    )
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

fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
}

/// The person the provider vouched for comes in: a verified address (the provider says
/// so) on a verified domain of the organization, not deactivated; their account (the
/// one linked to this issuer's subject, or a new one), and membership (just in time: a
/// seat, the audit log, the welcome mail), in one transaction; then a session. An
/// account that has the address but is not linked is linked only by its holder.
async fn come_in(
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
async fn admit_and_enter(
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
        let how = Some("single sign-on");
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

fn local_part(email: &str) -> String {
    email.split('@').next().unwrap_or_default().to_owned()
}

/// A new account for the provider's person (its address proven by the provider, on a
/// verified domain), with no password at all: it signs in through the provider, or sets
/// a password with "Forgot password". No hashing here: a provider cannot hold the
/// database's connections with Argon2 inside a transaction. At most
/// `sso_new_accounts_per_hour` of them per organization.
async fn new_account(
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

/// A mailed link may be opened this long after the provider's sign-in.
const LINK_MINUTES: i32 = 30;

/// An account has the provider's address but was never linked to this provider: its
/// holder gets a mail with a link that links the two, which works only in this browser
/// (it keeps the returned secret in a cookie). Returns that secret.
async fn request_link(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    row: &queries::SsoRow,
    claims: &provider::Claims,
    user: &accounts::UserRow,
    name: &str,
    next: &str,
) -> Result<String, Refusal> {
    let token = tokens::generate();
    let browser = tokens::generate();
    let request = queries::LinkRequest {
        org_id: row.org_id,
        issuer: row.issuer.clone(),
        subject: claims.subject.clone(),
        user_id: user.id,
        name: name.to_owned(),
        next: next.to_owned(),
        browser_hash: browser.hash.clone(),
    };
    queries::request_link(&mut *tx, &token.hash, &request, LINK_MINUTES).await?;
    let org = queries::org(&mut *tx, row.org_id)
        .await?
        .ok_or(Problem::Provider)?;
    let locale = Locale::from_code(&user.locale).unwrap_or_default();
    let link = state
        .settings
        .link(&format!("{LINK_PATH}?token={}", token.plain));
    let mail = templates::sso_link(locale, &user.name, &org.name, &link);
    outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
    Ok(browser.plain)
}

/// Who a session cookie signs in now, if it is open: the account's id and address.
pub async fn signed_in(state: &AppState, session_token: &str) -> Option<(i64, String)> {
    let caller = accounts::identity(state, session_token, false, None)
        .await
        .ok()??;
    let who = caller.identity.principal();
    Some((who.id(), who.email().to_owned()))
}

/// Where the mailed link to link an account to a provider leads.
pub const LINK_PATH: &str = "/sso/link";

/// The page a mailed link opens: which organization asks to link, if the link still
/// works in this browser.
pub struct LinkPage {
    pub org_name: String,
    pub email: String,
}

/// The link request behind a mailed `token`, if it still works in the browser that holds
/// `browser` (read only: opening the page changes nothing).
pub async fn link_page(
    state: &AppState,
    token: &str,
    browser: Option<&str>,
) -> Result<Option<LinkPage>, AppError> {
    let Some(request) = queries::link_request(&state.pool, &tokens::hash(token)).await? else {
        return Ok(None);
    };
    if browser.map(tokens::hash).as_deref() != Some(&request.browser_hash[..]) {
        return Ok(None);
    }
    let org = queries::org(&state.pool, request.org_id).await?;
    let user = accounts::find_user_by_id(&state.pool, request.user_id).await?;
    Ok(org.zip(user).map(|(org, user)| LinkPage {
        org_name: org.name,
        email: user.email,
    }))
}

/// The holder of an account confirms the mailed link in the browser that signed in at
/// the provider: the provider is linked to the account (it is mailed about it), and the
/// person comes in as any sign-in through the provider does. The organization's
/// provider, the domain and the person's status are checked again.
pub async fn confirm_link(
    state: &AppState,
    token: &str,
    browser: Option<&str>,
    locale: Locale,
) -> Result<Finished, Problem> {
    confirm(state, token, browser, locale)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Problem(problem) => problem,
            Refusal::Failed(err) => {
                tracing::error!(error = %err, "a provider link could not be saved");
                Problem::Unreachable
            }
        })
}

async fn confirm(
    state: &AppState,
    token: &str,
    browser: Option<&str>,
    locale: Locale,
) -> Result<Finished, Refusal> {
    let mut tx = state.pool.begin().await?;
    let request = queries::take_link_request(&mut *tx, &tokens::hash(token))
        .await?
        .ok_or(Problem::State)?;
    if browser.map(tokens::hash).as_deref() != Some(&request.browser_hash[..]) {
        return Err(Problem::State.into());
    }
    let row = queries::config(&mut *tx, request.org_id)
        .await?
        .filter(|row| row.issuer == request.issuer)
        .ok_or(Problem::Provider)?;
    let user = accounts::find_user_by_id(&mut *tx, request.user_id)
        .await?
        .ok_or(Problem::State)?;
    let verified = queries::verified_domains(&mut *tx, row.org_id).await?;
    if !verified.iter().any(|d| d == domain_of(&user.email)) {
        return Err(Problem::Domain.into());
    }
    accounts::claim_unconfirmed(&mut tx, &user).await?;
    queries::link(
        &mut *tx,
        row.org_id,
        &row.issuer,
        &request.subject,
        user.id,
        false,
    )
    .await?;
    let org = queries::org(&mut *tx, row.org_id)
        .await?
        .ok_or(Problem::Provider)?;
    let mail_locale = Locale::from_code(&user.locale).unwrap_or(locale);
    let mail = templates::sso_linked(mail_locale, &user.name, &org.name);
    outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
    admit_and_enter(
        tx,
        state,
        row.org_id,
        user.id,
        &user.email,
        &request.name,
        &request.next,
        locale,
    )
    .await
}

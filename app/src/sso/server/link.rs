//! Linking an account that already has the provider's address: only its holder, with
//! the mailed link, in the browser that signed in at the provider.

use super::provider;
use super::queries;
use super::sign_in::{Finished, Refusal, admit_and_enter, domain_of};
use crate::auth::server::service as accounts;
use crate::auth::types::SsoProblem as Problem;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

/// A mailed link may be opened this long after the provider's sign-in.
pub(super) const LINK_MINUTES: i32 = 30;

/// An account has the provider's address but was never linked to this provider: its
/// holder gets a mail with a link that links the two, which works only in this browser
/// (it keeps the returned secret in a cookie). Returns that secret.
pub(super) async fn request_link(
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
        .map_err(|refusal| refusal.shown("a provider link could not be saved"))
}

pub(super) async fn confirm(
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

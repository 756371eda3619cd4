//! Account rules. Each public function says who may call it; none trusts the browser.

use std::net::IpAddr;

use super::throttle::{self, Kind, Scope};
use super::{device, password, queries, second_factor, tokens};
use crate::access::{Identity, Principal};
use crate::auth::types::{
    EmailAddress, LinkState, NewPassword, SessionView, SignUpForm, browser_name,
};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::notifications::types::PendingInvitation;
use crate::state::AppState;

pub const VERIFY_PURPOSE: &str = "verify_email";
pub const RESET_PURPOSE: &str = "reset_password";
/// A verification link works for 24 hours, a reset link for one hour.
pub const VERIFY_MINUTES: i64 = 24 * 60;
pub const RESET_MINUTES: i64 = 60;

fn locale_of(code: &str) -> Locale {
    Locale::from_code(code).unwrap_or_default()
}

/// Creates an unverified account and queues its verification mail, atomically.
/// Anyone may call it. The answer is the same whether or not the address has an
/// account (no probing): an existing account's owner gets a mail saying so instead,
/// with the way to sign in or reset the password. Mail to one address, and from one
/// client, is limited.
pub async fn sign_up(
    state: &AppState,
    locale: Locale,
    client: Option<IpAddr>,
    name: &str,
    email: &str,
    password: &str,
) -> Result<(), AppError> {
    let form = SignUpForm::parse(name, email, password)?;
    limit_mail(state, client, form.email.as_str()).await?;
    let hash = password::hash_password(state, form.password.expose()).await?;

    // Hashed either way: a taken address answers no faster than a free one.
    let mut tx = state.pool.begin().await?;
    let existing = queries::find_user_by_email(&mut *tx, form.email.as_str()).await?;
    let created = match existing {
        Some(_) => None,
        None => {
            queries::insert_user(
                &mut *tx,
                form.email.as_str(),
                form.name.as_str(),
                &hash.0,
                locale.code(),
            )
            .await?
        }
    };
    match created {
        Some(user_id) => {
            queue_verification(
                &mut tx,
                state,
                locale,
                user_id,
                form.name.as_str(),
                form.email.as_str(),
            )
            .await?
        }
        None => {
            // A sign-up racing this one may have taken the address since: look again.
            drop(tx);
            tx = state.pool.begin().await?;
            let Some(user) = queries::find_user_by_email(&mut *tx, form.email.as_str()).await?
            else {
                return Err(AppError::internal("account vanished during sign-up"));
            };
            let mail = templates::account_exists(
                locale_of(&user.locale),
                &user.name,
                &state.settings.link("/signin"),
                &state.settings.link("/forgot-password"),
            );
            outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
        }
    }
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// Counts one mail to `recipient` requested by `client`; refuses (429) past the limits.
pub async fn limit_mail(
    state: &AppState,
    client: Option<IpAddr>,
    recipient: &str,
) -> Result<(), AppError> {
    let settings = &state.settings;
    let mut scopes = vec![Scope::new(
        format!("mail-to:{recipient}"),
        settings.max_mails_per_recipient,
    )];
    if let Some(ip) = client {
        scopes.push(Scope::new(
            format!("mail-from:{ip}"),
            settings.max_mails_per_client,
        ));
    }
    // Mail tickets are never forgiven: every mail counts.
    let _ticket = throttle::take(&state.pool, Kind::Mail, &scopes, MAIL_WINDOW_MINUTES).await?;
    Ok(())
}

/// The window of the mail limits.
pub const MAIL_WINDOW_MINUTES: i64 = 60;

/// Checks `password` for the account at `email`, throttled per account and per client
/// (decided and counted atomically, before hashing). `Ok(None)`: no such account or the
/// wrong password, counted as a failure; an unknown address takes as long as a known one.
pub async fn check_password(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<Option<queries::UserRow>, AppError> {
    let scopes = password_scopes(state, client, email);
    check_account_within(state, &scopes, email, password).await
}

/// `check_password` under the given limits.
async fn check_account_within(
    state: &AppState,
    scopes: &[Scope],
    email: &str,
    password: &str,
) -> Result<Option<queries::UserRow>, AppError> {
    let user = queries::find_user_by_email(&state.pool, email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = check_within(state, scopes, password, stored, true).await?;
    Ok(user.filter(|_| ok))
}

/// The limits of a password guess at `email`: per account and per client address.
fn password_scopes(state: &AppState, client: Option<IpAddr>, email: &str) -> Vec<Scope> {
    let settings = &state.settings;
    let mut scopes = vec![Scope::new(
        throttle::account_scope(email),
        settings.max_failures_per_account,
    )];
    if let Some(ip) = client {
        scopes.push(Scope::new(
            throttle::address_scope(ip),
            settings.max_failures_per_address,
        ));
    }
    scopes
}

/// Checks `password` against `stored` (a hash kept for `email`), under the same limits
/// as signing in to that address: at most the limit of parallel or successive wrong
/// guesses is ever evaluated.
pub async fn check_stored_password(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: &str,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let scopes = password_scopes(state, client, email);
    check_within(state, &scopes, password, stored, true).await
}

/// Checks `password` against `stored` once every scope has room for one more attempt.
/// A right password gives its attempt back when `forgive_if_right`.
async fn check_within(
    state: &AppState,
    scopes: &[Scope],
    password: &str,
    stored: Option<String>,
    forgive_if_right: bool,
) -> Result<bool, AppError> {
    let settings = &state.settings;
    let ticket = throttle::take(
        &state.pool,
        Kind::Password,
        scopes,
        settings.throttle_window_minutes,
    )
    .await?;
    let ok = match password::verify_password(state, password, stored).await {
        Ok(ok) => ok,
        Err(err) => {
            // Not evaluated (busy, or a fault): the attempt does not count.
            ticket.forgive(&state.pool).await?;
            return Err(err);
        }
    };
    if ok && forgive_if_right {
        ticket.forgive(&state.pool).await?;
    }
    Ok(ok)
}

pub(crate) async fn queue_verification(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    locale: Locale,
    user_id: i64,
    name: &str,
    email: &str,
) -> Result<(), AppError> {
    let token = tokens::generate();
    queries::insert_email_token(
        &mut *tx,
        &token.hash,
        user_id,
        VERIFY_PURPOSE,
        VERIFY_MINUTES,
    )
    .await?;
    let link = state
        .settings
        .link(&format!("/verify-email?token={}", token.plain));
    outbox::enqueue(
        &mut *tx,
        &state.settings.secret_key,
        email,
        &templates::verify_email(locale, name, &link),
    )
    .await?;
    Ok(())
}

pub struct SignedIn {
    pub session_token: String,
    pub user: Principal,
    /// The known-device cookie for this browser and account (see [`device`]), when the
    /// sign-in was by password.
    pub device: Option<String>,
}

/// Where a sign-in stands once the password (or a reset link) was right.
pub enum SignInStep {
    Done(SignedIn),
    /// The person has a second factor: the value of the sign-in step cookie, which the
    /// second-factor page finishes with a code ([`complete_sign_in`]).
    SecondFactor {
        challenge: String,
    },
    /// An organization of the person requires them to sign in through its own provider:
    /// on to it (`to`, the start of that sign-in), however right the password was.
    Provider {
        to: String,
    },
}

/// How long the step between password and second factor lasts.
pub const CHALLENGE_MINUTES: i32 = 10;

impl SignedIn {
    fn new(session_token: String, user: queries::UserRow) -> SignedIn {
        SignedIn {
            device: None,
            session_token,
            user: Principal::new(user.id, user.name, user.email, locale_of(&user.locale)),
        }
    }
}

/// Checks the credentials and opens a new session. Anyone may call it; failures are
/// throttled per account and per client address, and an unknown email, a wrong password
/// and an address not yet confirmed get the same answer (and count alike), so signing up
/// and then in tells a stranger nothing about which addresses have accounts. The person
/// who really signed up gets a new confirmation link by mail instead.
///
/// A browser that signed in to this account before (`device`, its known-device cookie
/// of the account's current epoch) has a limit of its own instead, under a ceiling that
/// all the account's known browsers share: guesses from elsewhere never lock the person
/// out of their own browsers, and collecting cookies buys no guesses.
pub async fn sign_in(
    state: &AppState,
    client: Option<IpAddr>,
    device: Option<&str>,
    email: &str,
    password: &str,
    next: &str,
) -> Result<SignInStep, AppError> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    if password.is_empty() {
        return Err(AppError::field("password", "errors.password_required"));
    }
    let settings = &state.settings;
    let now = chrono::Utc::now().timestamp();
    let user = queries::find_user_by_email(&state.pool, email.as_str()).await?;
    let known = match (&user, device) {
        (Some(user), Some(cookie)) => device::read(&settings.secret_key, cookie, now)
            .filter(|d| d.is_of(user.id, user.device_epoch)),
        _ => None,
    };
    let scopes = match &known {
        None => password_scopes(state, client, email.as_str()),
        Some(known) => vec![
            Scope::new(known.scope(), settings.max_failures_per_account),
            Scope::new(
                device::ceiling_scope(known.user_id),
                settings.max_failures_per_known_devices,
            ),
        ],
    };
    let verified = user.as_ref().is_some_and(|u| u.email_verified_at.is_some());
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let right = check_within(state, &scopes, password, stored, verified).await?;
    let Some(user) = user.filter(|_| right) else {
        return Err(AppError::field("form", "errors.bad_credentials"));
    };

    if !verified {
        // Right password, address not confirmed: the same answer as a wrong one. The
        // mail goes to the address, so only its holder learns more; past the mail limit
        // no new link is sent, and the answer is still the same. In the same time, too:
        // the mail is queued after the answer, so its work cannot tell the two apart.
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(err) = verify_again(&state, client, &user).await {
                tracing::error!(error = %err, "a verification mail could not be queued");
            }
        });
        return Err(AppError::field("form", "errors.bad_credentials"));
    }

    queries::clear_failures(&state.pool, &throttle::account_scope(&user.email)).await?;
    queries::mark_password_sign_in(&state.pool, user.id).await?;
    if queries::sso_required_somewhere(&state.pool, user.id).await? {
        let mut to = format!(
            "{}?email={}",
            crate::auth::types::SSO_START_PATH,
            crate::url::encode(&user.email)
        );
        if crate::auth::types::is_local_path(next) && next != "/" {
            to.push_str(&format!("&next={}", crate::url::encode(next)));
        }
        return Ok(SignInStep::Provider { to });
    }
    if second_factor::required_at_sign_in(state, user.id).await? {
        let challenge = begin_challenge(&state.pool, user.id, next).await?;
        return Ok(SignInStep::SecondFactor { challenge });
    }
    let session_token = open_session(&state.pool, state.settings.session_days, user.id).await?;
    let device = match known {
        Some(_) => device.map(str::to_owned),
        None => Some(device::issue(
            &settings.secret_key,
            user.id,
            user.device_epoch,
            now,
        )),
    };
    Ok(SignInStep::Done(SignedIn {
        device,
        ..SignedIn::new(session_token, user)
    }))
}

/// A new verification link for an account whose address is not confirmed yet, within
/// the mail limits (past them, nothing is sent).
async fn verify_again(
    state: &AppState,
    client: Option<IpAddr>,
    user: &queries::UserRow,
) -> Result<(), AppError> {
    if limit_mail(state, client, &user.email).await.is_err() {
        return Ok(());
    }
    let mut tx = state.pool.begin().await?;
    queue_verification(
        &mut tx,
        state,
        locale_of(&user.locale),
        user.id,
        &user.name,
        &user.email,
    )
    .await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// The step between a right password and the second factor (single use, short-lived).
async fn begin_challenge(
    db: impl sqlx::PgExecutor<'_>,
    user_id: i64,
    next: &str,
) -> Result<String, AppError> {
    let token = tokens::generate();
    let next = if crate::auth::types::is_local_path(next) {
        next
    } else {
        "/"
    };
    queries::insert_challenge(db, &token.hash, user_id, CHALLENGE_MINUTES, next).await?;
    Ok(token.plain)
}

/// Finishes a sign-in with a code from the person's authenticator app or a recovery
/// code: opens a session that has passed a second factor. Returns it and where to go.
/// Wrong codes are limited per account, like passwords.
pub async fn complete_sign_in(
    state: &AppState,
    challenge: &str,
    device: Option<&str>,
    code: &str,
) -> Result<(SignedIn, String), AppError> {
    let hash = tokens::hash(challenge);
    let expired = || AppError::Gone("errors.sign_in_step_expired".into());
    let step = queries::find_challenge(&state.pool, &hash)
        .await?
        .ok_or_else(expired)?;
    second_factor::check(state, step.user_id, code).await?;
    let mut tx = state.pool.begin().await?;
    if !queries::take_challenge(&mut *tx, &hash).await? {
        return Err(expired());
    }
    let signed_in = open_after_second_factor(state, tx, step.user_id, device).await?;
    if let Some(org_id) = step.sso_org_id {
        queries::mark_session_sso(&state.pool, &tokens::hash(&signed_in.session_token), org_id)
            .await?;
    }
    Ok((signed_in, step.next))
}

/// Opens, in `tx` (committed here), a session of `user_id` that has passed a second
/// factor, and the known-device cookie for this browser.
pub(super) async fn open_after_second_factor(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    user_id: i64,
    device: Option<&str>,
) -> Result<SignedIn, AppError> {
    let user = queries::find_user_by_id(&mut *tx, user_id)
        .await?
        .filter(|u| u.email_verified_at.is_some())
        .ok_or_else(|| AppError::Gone("errors.sign_in_step_expired".into()))?;
    let token = tokens::generate();
    queries::insert_session(
        &mut *tx,
        &token.hash,
        user.id,
        state.settings.session_days,
        true,
    )
    .await?;
    tx.commit().await?;
    let now = chrono::Utc::now().timestamp();
    let known = device
        .and_then(|cookie| device::read(&state.settings.secret_key, cookie, now))
        .is_some_and(|d| d.is_of(user.id, user.device_epoch));
    let device = match known {
        true => device.map(str::to_owned),
        false => Some(device::issue(
            &state.settings.secret_key,
            user.id,
            user.device_epoch,
            now,
        )),
    };
    Ok(SignedIn {
        device,
        ..SignedIn::new(token.plain, user)
    })
}

/// What other features read and write about accounts. The rest of `queries` (sessions,
/// tokens, failures) is this feature's own.
pub use super::queries::{
    UserRow, find_user_by_email, find_user_by_id, insert_user, locale_of as account_locale,
    mark_email_verified,
};

/// Opens a session for `user_id` (its identity already proven) that lasts `days` at most
/// (`Settings::session_days`); returns the cookie value.
///
/// Such a session does not sign in a person who has a second factor: they pass it at
/// sign-in, which opens theirs with [`open_session_after_second_factor`].
pub async fn open_session(
    db: impl sqlx::PgExecutor<'_>,
    days: i64,
    user_id: i64,
) -> Result<String, AppError> {
    let token = tokens::generate();
    queries::insert_session(db, &token.hash, user_id, days, false).await?;
    Ok(token.plain)
}

/// How a person whose address a link just proved (an accepted invitation, a confirmed
/// join) comes in: with a session, or, when they have a second factor, by the sign-in
/// step that asks for it first and then goes on to `next`.
pub enum Entry {
    Session(String),
    SecondFactor { challenge: String },
}

/// `enter`, for a person who came through the organization `org_id`'s own provider: the
/// session (now, or after the second factor) counts as opened through it.
pub async fn enter_through_provider(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: i64,
    next: &str,
    org_id: i64,
) -> Result<Entry, AppError> {
    let entry = enter(&mut *tx, state, user_id, next).await?;
    match &entry {
        Entry::Session(token) => {
            queries::mark_session_sso(&mut *tx, &tokens::hash(token), org_id).await?
        }
        Entry::SecondFactor { challenge } => {
            queries::mark_challenge_sso(&mut *tx, &tokens::hash(challenge), org_id).await?
        }
    }
    Ok(entry)
}

pub async fn enter(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: i64,
    next: &str,
) -> Result<Entry, AppError> {
    if let Some(challenge) = second_factor_first(tx, user_id, next).await? {
        return Ok(Entry::SecondFactor { challenge });
    }
    let token = open_session(&mut *tx, state.settings.session_days, user_id).await?;
    Ok(Entry::Session(token))
}

/// For a person who has a second factor, the sign-in step that asks for it before `next`:
/// a mailed link proves the address, never the factor.
async fn second_factor_first(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    next: &str,
) -> Result<Option<String>, AppError> {
    if !queries::has_second_factor(&mut *tx, user_id).await? {
        return Ok(None);
    }
    Ok(Some(begin_challenge(&mut *tx, user_id, next).await?))
}

/// Ends the session behind `session_token`, if any.
pub async fn sign_out(state: &AppState, session_token: &str) -> Result<(), AppError> {
    queries::delete_session(&state.pool, &tokens::hash(session_token)).await?;
    Ok(())
}

/// Where a request came from, as a session records it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub user_agent: Option<String>,
    pub address: Option<IpAddr>,
}

/// Who is calling, as a request learns it from its session cookie.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    /// On page loads only: the invitations waiting for the person, which the shell shows
    /// (read in the same round trip). Services never see it.
    pub shell_pending: Option<Vec<PendingInvitation>>,
}

/// The identity behind a session cookie value, if the session is still open (neither
/// expired nor idle too long); for a page load (`for_page`) with what the shell shows of
/// the person's waiting invitations. A use is recorded (`seen`) at most once a minute,
/// after the answer, so requests do not wait for a write.
pub async fn identity(
    state: &AppState,
    session_token: &str,
    for_page: bool,
    seen: Option<Seen>,
) -> Result<Option<Caller>, AppError> {
    let hash = tokens::hash(session_token);
    let idle = idle_minutes(state);
    let Some(row) = queries::identity(&state.pool, &hash, for_page, idle).await? else {
        return Ok(None);
    };
    if row.stale
        && let Some(seen) = seen
    {
        let pool = state.pool.clone();
        tokio::spawn(async move {
            // A client that names no browser is recorded as such (""), once.
            let agent: String = seen
                .user_agent
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            let agent = Some(agent);
            let address = seen.address.map(|a| a.to_string());
            if let Err(err) =
                queries::touch_session(&pool, &hash, agent.as_deref(), address.as_deref()).await
            {
                tracing::warn!(%err, "could not record a session's use");
            }
        });
    }
    let principal = Principal::new(row.id, row.name, row.email, locale_of(&row.locale));
    let orgs = row.orgs.0.into_iter().map(Into::into).collect();
    Ok(Some(Caller {
        identity: Identity::from_session(principal, orgs, row.session_id, row.second_factor),
        shell_pending: row.pending.map(|p| {
            p.0.into_iter()
                .map(crate::notifications::server::pending::pending_view)
                .collect()
        }),
    }))
}

fn idle_minutes(state: &AppState) -> i32 {
    state
        .settings
        .session_idle_minutes
        .clamp(1, i32::MAX as i64) as i32
}

/// Whether the session behind `session_token` is still open (one indexed lookup).
pub async fn session_open(state: &AppState, session_token: &str) -> Result<bool, AppError> {
    Ok(queries::session_exists(
        &state.pool,
        &tokens::hash(session_token),
        idle_minutes(state),
    )
    .await?)
}

/// The signed-in person's open sessions (the Sessions page). Only their own.
pub async fn sessions(state: &AppState, me: &Identity) -> Result<Vec<SessionView>, AppError> {
    let rows =
        queries::list_sessions(&state.pool, me.principal().id(), idle_minutes(state)).await?;
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(rows
        .into_iter()
        .map(|r| SessionView {
            id: r.id,
            browser: r
                .user_agent
                .as_deref()
                .map(browser_name)
                .unwrap_or_default(),
            address: r.client_address.unwrap_or_default(),
            started: when(r.created_at),
            last_seen: when(r.last_seen_at),
            current: r.id == me.session_id(),
        })
        .collect())
}

/// "Sign out" on one of the person's own sessions: it ends at once, with its bell
/// streams. Someone else's session id is "not found".
pub async fn end_session(state: &AppState, me: &Identity, id: i64) -> Result<(), AppError> {
    if !queries::delete_session_by_id(&state.pool, me.principal().id(), id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// "Sign out everywhere else": every other session ends, and every browser but this one
/// stops being a known device (their cookies could have been copied); this browser gets
/// a known-device cookie of the new epoch. Returns it.
pub async fn end_other_sessions(
    state: &AppState,
    me: &Identity,
    session_token: &str,
) -> Result<String, AppError> {
    let mut tx = state.pool.begin().await?;
    queries::delete_other_sessions(&mut *tx, me.principal().id(), &tokens::hash(session_token))
        .await?;
    queries::bump_device_epoch(&mut *tx, me.principal().id()).await?;
    let user = queries::find_user_by_id(&mut *tx, me.principal().id())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    tx.commit().await?;
    Ok(device::issue(
        &state.settings.secret_key,
        user.id,
        user.device_epoch,
        chrono::Utc::now().timestamp(),
    ))
}

/// What an emailed link is worth right now, without using it.
pub async fn link_state(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<LinkState, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), purpose).await?;
    Ok(classify(row.as_ref()))
}

fn classify(row: Option<&queries::TokenRow>) -> LinkState {
    match row {
        None => LinkState::Unknown,
        Some(r) if r.used_at.is_some() => LinkState::Used,
        Some(r) if r.expires_at <= chrono::Utc::now() => LinkState::Expired,
        Some(_) => LinkState::Valid,
    }
}

fn link_error(state: LinkState) -> AppError {
    match state {
        LinkState::Used => AppError::Gone("errors.link_used".into()),
        LinkState::Expired => AppError::Gone("errors.link_expired".into()),
        _ => AppError::Gone("errors.link_unknown".into()),
    }
}

/// Marks the account behind a verification link as verified and signs it in. The link
/// alone is not enough: the password chosen at sign-up must be given too, so an account
/// someone else opened with this address (and a password of theirs) never becomes the
/// address owner's account. The owner takes such an address over with "forgot password".
pub async fn verify_email(
    state: &AppState,
    client: Option<IpAddr>,
    token: &str,
    password: &str,
) -> Result<SignedIn, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), VERIFY_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    if password.is_empty() {
        return Err(AppError::field("password", "errors.password_required"));
    }
    let owner = queries::find_user_by_id(&state.pool, row.user_id)
        .await?
        .ok_or_else(|| link_error(LinkState::Unknown))?;
    let Some(user) = check_password(state, client, &owner.email, password)
        .await?
        .filter(|u| u.id == row.user_id)
    else {
        return Err(AppError::field("password", "errors.verify_wrong_password"));
    };
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), VERIFY_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, VERIFY_PURPOSE).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    let session_token = open_session(&mut *tx, state.settings.session_days, row.user_id).await?;
    tx.commit().await?;
    Ok(SignedIn::new(session_token, user))
}

/// Emails a reset link if the address has an account. Anyone may call it; the answer
/// is the same either way, so it reveals nothing.
///
/// Reset links have a budget of their own per address, which no other mail (sign-ups'
/// "you already have an account", confirmations, join requests) spends. Every reset mail
/// carries a link that works for the hour the budget counts, so a stranger who spends it
/// only fills the person's inbox with working links. A browser that is a known device of
/// the account (`device`) has a budget of its own that strangers cannot touch.
pub async fn request_password_reset(
    state: &AppState,
    client: Option<IpAddr>,
    device: Option<&str>,
    email: &str,
) -> Result<(), AppError> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let settings = &state.settings;
    let now = chrono::Utc::now().timestamp();
    // Only a cookie this server issued leads to a lookup, so the answer's timing tells
    // nobody else anything about the address.
    let mut known = None;
    if let Some(device) = device.and_then(|c| device::read(&settings.secret_key, c, now))
        && let Some(user) = queries::find_user_by_id(&state.pool, device.user_id).await?
        && user.email == email.as_str()
        && device.is_of(user.id, user.device_epoch)
    {
        known = Some(device);
    }
    let scopes = match known {
        Some(device) => vec![Scope::new(
            device.mail_scope(),
            settings.max_mails_per_recipient,
        )],
        None => {
            // Counted for unknown addresses too, so the limit says nothing about accounts.
            let mut scopes = vec![Scope::new(
                format!("reset-to:{}", email.as_str()),
                settings.max_mails_per_recipient,
            )];
            if let Some(ip) = client {
                scopes.push(Scope::new(
                    format!("mail-from:{ip}"),
                    settings.max_mails_per_client,
                ));
            }
            scopes
        }
    };
    let _ticket = throttle::take(&state.pool, Kind::Mail, &scopes, MAIL_WINDOW_MINUTES).await?;
    // The answer leaves before the lookup: a known address answers no slower than an
    // unknown one.
    let state = state.clone();
    let email = email.into_inner();
    tokio::spawn(async move {
        if let Err(err) = queue_reset(&state, &email).await {
            tracing::error!(%err, "could not queue a password reset");
        }
    });
    Ok(())
}

async fn queue_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let Some(user) = queries::find_user_by_email(&state.pool, email).await? else {
        return Ok(());
    };
    let token = tokens::generate();
    let mut tx = state.pool.begin().await?;
    queries::insert_email_token(&mut *tx, &token.hash, user.id, RESET_PURPOSE, RESET_MINUTES)
        .await?;
    let link = state
        .settings
        .link(&format!("/reset-password?token={}", token.plain));
    let mail = templates::reset_password(locale_of(&user.locale), &user.name, &link);
    outbox::enqueue(&mut *tx, &state.settings.secret_key, &user.email, &mail).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// The factors a reset link's account gained since its last sign-in with the password,
/// for the reset page to offer removing them (none for a link that does not work).
pub async fn factors_to_review(
    state: &AppState,
    token: &str,
) -> Result<Vec<crate::auth::types::NewFactor>, AppError> {
    let row = queries::find_email_token(&state.pool, &tokens::hash(token), RESET_PURPOSE).await?;
    let Some(row) = row.filter(|r| classify(Some(r)) == LinkState::Valid) else {
        return Ok(Vec::new());
    };
    let user_id = row.user_id;
    Ok(
        queries::factors_since_password_sign_in(&state.pool, user_id)
            .await?
            .into_iter()
            .map(|f| crate::auth::types::NewFactor {
                passkey: f.kind == "passkey",
                name: f.name,
                added: f.added_at.to_rfc3339(),
            })
            .collect(),
    )
}

/// Sets a new password from a reset link and signs the person in, ending every other
/// session, API key of theirs, known device and sign-in lockout of the account. Since the
/// link proves the address, the email counts as verified. This is the rightful owner's
/// way in that always works: no failed-password limit applies to it. Anyone holding the
/// link may. The link is checked before the new password is hashed, so forged links cost
/// one indexed lookup each, never a hash.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
    remove_new_factors: bool,
) -> Result<SignInStep, AppError> {
    let new_password =
        NewPassword::parse("password", new_password).map_err(|e| AppError::Validation(vec![e]))?;
    let link = link_state(state, token, RESET_PURPOSE).await?;
    if link != LinkState::Valid {
        return Err(link_error(link));
    }
    let hash = password::hash_password(state, new_password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    let row = queries::lock_email_token(&mut *tx, &tokens::hash(token), RESET_PURPOSE).await?;
    let link = classify(row.as_ref());
    let Some(row) = row.filter(|_| link == LinkState::Valid) else {
        return Err(link_error(link));
    };
    queries::consume_email_tokens(&mut *tx, row.user_id, RESET_PURPOSE).await?;
    // Whoever asked for a verification link before the reset cannot use it afterwards.
    queries::consume_email_tokens(&mut *tx, row.user_id, VERIFY_PURPOSE).await?;
    queries::set_password_hash(&mut *tx, row.user_id, &hash.0).await?;
    queries::mark_email_verified(&mut *tx, row.user_id).await?;
    // Whoever got in may have added a factor to keep a way back: the holder, who proves
    // the address now, removes those added since their last sign-in with the password.
    if remove_new_factors {
        queries::delete_factors_since_password_sign_in(&mut tx, row.user_id).await?;
    }
    queries::delete_user_sessions(&mut *tx, row.user_id).await?;
    queries::bump_device_epoch(&mut *tx, row.user_id).await?;
    crate::api_keys::server::service::revoke_all_made_by(&mut tx, row.user_id).await?;
    let user = queries::find_user_by_id(&mut *tx, row.user_id)
        .await?
        .ok_or_else(|| link_error(LinkState::Unknown))?;
    queries::clear_failures(&mut *tx, &throttle::account_scope(&user.email)).await?;
    queries::clear_failures(&mut *tx, &device::ceiling_scope(user.id)).await?;
    if let Some(challenge) = second_factor_first(&mut tx, row.user_id, "/?reset=1").await? {
        tx.commit().await?;
        return Ok(SignInStep::SecondFactor { challenge });
    }
    let session_token = open_session(&mut *tx, state.settings.session_days, row.user_id).await?;
    // Deleting the sessions notifies their open bell streams, which then end.
    tx.commit().await?;
    // This browser is the account's first known device of the new epoch.
    let cookie = device::issue(
        &state.settings.secret_key,
        user.id,
        user.device_epoch,
        chrono::Utc::now().timestamp(),
    );
    Ok(SignInStep::Done(SignedIn {
        device: Some(cookie),
        ..SignedIn::new(session_token, user)
    }))
}

/// Remembers the signed-in person's language.
pub async fn set_locale(
    state: &AppState,
    user: &Principal,
    locale: Locale,
) -> Result<(), AppError> {
    queries::set_locale(&state.pool, user.id(), locale.code()).await?;
    Ok(())
}

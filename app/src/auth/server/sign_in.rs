//! Signing up and signing in: passwords under their limits, the step that asks for a
//! second factor, and the session it opens.

use std::net::IpAddr;

use super::links::{VERIFY_MINUTES, VERIFY_PURPOSE};
use super::service::locale_of;
use super::sessions::open_session;
use super::throttle::{self, Kind, Scope};
use super::{device, password, queries, second_factor};
use crate::access::Principal;
use crate::auth::types::{EmailAddress, SignUpForm};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::tokens;

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
pub(super) async fn check_account_within(
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
pub(super) fn password_scopes(state: &AppState, client: Option<IpAddr>, email: &str) -> Vec<Scope> {
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
pub(super) async fn check_within(
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
    pub(super) fn new(session_token: String, user: queries::UserRow) -> SignedIn {
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
pub(super) async fn verify_again(
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
pub(super) async fn begin_challenge(
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
    second_factor::check(state, step.user_id, code, second_factor::Budget::SignIn).await?;
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

//! A second factor: an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step either side) and ten recovery codes.
//!
//! - The app's secret is sealed at rest (`mail::seal`, a key of its own).
//! - A code works once: the time step of the last accepted code is kept, and only a
//!   later step is accepted (atomically, so two parallel uses of one code cannot both win).
//! - Recovery codes are random, shown once, stored as SHA-256 and each used once.
//! - Wrong codes are limited like passwords, per account, decided and counted before the
//!   code is checked ([`throttle`]): parallel guesses evaluate at most the limit.
//! - Only the person changes their factors. Someone who lost every factor and every code
//!   is helped by the operator's `server second-factor-reset` command (audited, and the
//!   person is told by mail). A password reset does not remove a factor.

use std::fmt::Write;

use base64::Engine;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use super::proof::{self, FactorChange};
use super::queries;
use super::throttle::{self, Kind, Scope};
use crate::access::Identity;
use crate::auth::types::{SecurityView, TotpEnrolment};
use crate::error::AppError;
use crate::mail::outbox;
use crate::mail::seal::{self, Purpose};
use crate::state::AppState;
use crate::tokens;

/// How many recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "Muster";

fn totp(secret: Vec<u8>) -> Result<TOTP, AppError> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, secret).map_err(AppError::internal)
}

fn now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

/// The time step `code` belongs to, within one step of now, if it is right.
fn matching_step(secret: Vec<u8>, code: &str, now: u64) -> Result<Option<i64>, AppError> {
    let totp = totp(secret)?;
    let current = now / STEP_SECONDS;
    Ok([current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            // Constant time: the comparison says nothing about how much was right.
            expected.len() == code.len()
                && expected
                    .bytes()
                    .zip(code.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
        .map(|step| step as i64))
}

/// A code as typed: spaces and dashes do not count, letters are not case-sensitive.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn wrong_code() -> AppError {
    AppError::field("code", "errors.second_factor_wrong")
}

fn secret_of(state: &AppState, row: &queries::TotpRow) -> Result<Vec<u8>, AppError> {
    seal::open_bytes(
        &state.settings.secret_key,
        Purpose::Totp,
        &row.secret_sealed,
    )
    .ok_or_else(|| AppError::internal("a TOTP secret does not open under this key"))
}

/// What the Security page shows of the app and the recovery codes.
pub async fn status(state: &AppState, me: &Identity) -> Result<SecurityView, AppError> {
    let user = me.principal().id();
    let row = queries::totp_factor(&state.pool, user).await?;
    let enrolment = match &row {
        Some(row) if row.confirmed_at.is_none() => {
            let secret = secret_of(state, row)?;
            Some(enrolment(me.principal().email(), secret))
        }
        _ => None,
    };
    Ok(SecurityView {
        totp: row.as_ref().is_some_and(|r| r.confirmed_at.is_some()),
        enrolment,
        recovery_codes_left: queries::recovery_codes_left(&state.pool, user).await?,
        session_passed: me.second_factor(),
        // The caller knows the session (see `passkeys::security_view`).
        proven: false,
        has_password: true,
        // The caller adds the passkeys (`passkeys` composes this module, not the reverse).
        passkeys: Vec::new(),
        passkeys_at: None,
    })
}

/// The secret as text and as a QR code of its `otpauth://` URI.
fn enrolment(email: &str, secret: Vec<u8>) -> TotpEnrolment {
    let Secret::Encoded(text) = Secret::Raw(secret).to_encoded() else {
        unreachable!("to_encoded encodes");
    };
    let uri = format!(
        "otpauth://totp/{ISSUER}:{}?secret={text}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        percent(email)
    );
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    // The secret in groups of four, as authenticator apps show it.
    let mut grouped = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    TotpEnrolment {
        secret: grouped,
        uri,
        qr_svg_base64: base64::engine::general_purpose::STANDARD.encode(qr_svg),
    }
}

fn percent(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// "Set up an authenticator app": a new secret, not in force until a code confirms it.
/// Needs a recent proof (see `proof`).
pub async fn start_totp(
    state: &AppState,
    me: &Identity,
    session_token: &str,
) -> Result<(), AppError> {
    proof::require_recent(state, session_token).await?;
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = seal::seal_bytes(&state.settings.secret_key, Purpose::Totp, &secret);
    if !queries::start_totp(&state.pool, me.principal().id(), &sealed).await? {
        return Err(AppError::Conflict("errors.second_factor_already_on".into()));
    }
    Ok(())
}

/// The first code from the app turns it on: this session counts as having passed it, and
/// the person gets ten recovery codes (returned, to be shown once), and a mail. Needs a
/// recent proof.
pub async fn confirm_totp(
    state: &AppState,
    me: &Identity,
    session_token: &str,
    code: &str,
) -> Result<Vec<String>, AppError> {
    proof::require_recent(state, session_token).await?;
    let user = me.principal().id();
    let row = queries::totp_factor(&state.pool, user)
        .await?
        .filter(|r| r.confirmed_at.is_none())
        .ok_or_else(|| AppError::Conflict("errors.second_factor_not_started".into()))?;
    let secret = secret_of(state, &row)?;
    let ticket = take_attempt(state, user, Budget::Security).await?;
    let code = normalize(code);
    let Some(step) = matching_step(secret, &code, now())? else {
        return Err(wrong_code());
    };
    let mut tx = state.pool.begin().await?;
    if !queries::use_totp_step(&mut *tx, user, step, true).await? {
        return Err(wrong_code());
    }
    let codes = new_recovery_codes(&mut tx, user).await?;
    queries::mark_session_second_factor(&mut *tx, &tokens::hash(session_token)).await?;
    proof::tell(&mut tx, state, me, FactorChange::AppOn).await?;
    outbox::commit_and_send(tx, state).await?;
    ticket.forgive(&state.pool).await?;
    Ok(codes)
}

/// "Turn off", with a current code (or a recovery code). The recovery codes stay while
/// a passkey does.
pub async fn turn_off(state: &AppState, me: &Identity, code: &str) -> Result<(), AppError> {
    check(state, me.principal().id(), code, Budget::Security).await?;
    let mut tx = state.pool.begin().await?;
    queries::delete_totp(&mut tx, me.principal().id()).await?;
    queries::drop_codes_without_factor(&mut tx, me.principal().id()).await?;
    proof::tell(&mut tx, state, me, FactorChange::AppOff).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// New recovery codes (the old ones stop working), with a current code.
pub async fn new_codes(
    state: &AppState,
    me: &Identity,
    code: &str,
) -> Result<Vec<String>, AppError> {
    check(state, me.principal().id(), code, Budget::Security).await?;
    let mut tx = state.pool.begin().await?;
    let codes = new_recovery_codes(&mut tx, me.principal().id()).await?;
    proof::tell(&mut tx, state, me, FactorChange::NewCodes).await?;
    outbox::commit_and_send(tx, state).await?;
    Ok(codes)
}

pub(super) async fn new_recovery_codes(
    tx: &mut sqlx::PgConnection,
    user: i64,
) -> Result<Vec<String>, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let plain: String = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        hashes.push(tokens::hash(&plain));
        codes.push(format!("{}-{}", &plain[..5], &plain[5..]));
    }
    queries::replace_recovery_codes(tx, user, &hashes).await?;
    Ok(codes)
}

/// Where a code is typed: each place has a budget of wrong codes of its own, so that
/// someone guessing on the Security page of an open session cannot use up the budget the
/// person needs to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// The sign-in step after the password (or a provider).
    SignIn,
    /// The Security page: setting an app up, turning it off, new recovery codes.
    Security,
}

/// One attempt at a code of `user`'s, counted before it is checked.
async fn take_attempt(
    state: &AppState,
    user: i64,
    budget: Budget,
) -> Result<throttle::Ticket, AppError> {
    let name = match budget {
        Budget::SignIn => format!("second-factor:{user}"),
        Budget::Security => format!("second-factor-settings:{user}"),
    };
    let scope = Scope::new(name, state.settings.max_failures_per_account);
    throttle::take(
        &state.pool,
        Kind::Password,
        &[scope],
        state.settings.throttle_window_minutes,
    )
    .await
}

/// Checks a code from the app, or a recovery code, and uses it up. Limited like
/// passwords, per `budget`; a right code gives its attempt back.
pub async fn check(
    state: &AppState,
    user: i64,
    code: &str,
    budget: Budget,
) -> Result<(), AppError> {
    let code = normalize(code);
    if code.is_empty() {
        return Err(AppError::field(
            "code",
            "errors.second_factor_code_required",
        ));
    }
    let ticket = take_attempt(state, user, budget).await?;
    let right = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        match queries::totp_factor(&state.pool, user)
            .await?
            .filter(|r| r.confirmed_at.is_some())
        {
            Some(row) => match matching_step(secret_of(state, &row)?, &code, now())? {
                Some(step) => queries::use_totp_step(&state.pool, user, step, false).await?,
                None => false,
            },
            None => false,
        }
    } else {
        queries::use_recovery_code(&state.pool, user, &tokens::hash(&code)).await?
    };
    if !right {
        return Err(wrong_code());
    }
    ticket.forgive(&state.pool).await?;
    Ok(())
}

/// Whether `user` must pass a second factor to sign in.
pub async fn required_at_sign_in(state: &AppState, user: i64) -> Result<bool, AppError> {
    Ok(queries::has_second_factor(&state.pool, user).await?)
}

/// The operator's help for someone who lost every factor and every code (`server
/// second-factor-reset --email ...`): removes them, ends every session, known device,
/// API key and sign-in step waiting for a factor (whoever held the lost factor may have
/// made keys or be half-way in), records it in the audit log of each organization the person belongs to, and tells
/// the person by mail, in one transaction. False if the address has no account.
pub async fn operator_reset(
    pool: &sqlx::PgPool,
    key: &crate::state::SecretKey,
    base_url: &str,
    email: &str,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    // Addresses are stored as typed at sign-up, lower-cased.
    let email = email.trim().to_lowercase();
    let Some(user) = queries::find_user_by_email(&mut *tx, &email).await? else {
        return Ok(false);
    };
    queries::delete_second_factors(&mut tx, user.id).await?;
    queries::delete_user_sessions(&mut *tx, user.id).await?;
    queries::delete_user_challenges(&mut *tx, user.id).await?;
    crate::api_keys::server::service::revoke_all_made_by(&mut tx, user.id).await?;
    queries::bump_device_epoch(&mut *tx, user.id).await?;
    for org_id in queries::member_org_ids(&mut *tx, user.id).await? {
        crate::audit::server::service::record(
            &mut *tx,
            org_id,
            None,
            crate::audit::types::AuditAction::SecondFactorReset,
            Some(&user.email),
            None,
        )
        .await?;
    }
    let locale = crate::i18n::Locale::from_code(&user.locale).unwrap_or_default();
    let mail = crate::mail::templates::second_factor_reset(
        locale,
        &user.name,
        &format!("{base_url}/signin"),
    );
    crate::mail::outbox::enqueue(&mut *tx, key, &user.email, &mail).await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let secret = b"12345678901234567890".to_vec();
        // RFC 6238's SHA-1 test vector: 59 s gives 94287082 (8 digits), so 287082.
        let t = totp(secret.clone()).unwrap();
        assert_eq!(t.generate(59), "287082");
        let now = 59;
        assert_eq!(
            matching_step(secret.clone(), "287082", now).unwrap(),
            Some(1)
        );
        let next = t.generate(89);
        assert_eq!(matching_step(secret.clone(), &next, now).unwrap(), Some(2));
        let later = t.generate(120);
        assert_eq!(matching_step(secret.clone(), &later, now).unwrap(), None);
        assert_eq!(matching_step(secret, "000000", now).unwrap(), None);
    }

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(normalize(" 287 082 "), "287082");
        assert_eq!(normalize("AbCde-FGhjk"), "abcdefghjk");
    }
}

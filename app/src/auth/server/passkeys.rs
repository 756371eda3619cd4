//! Passkeys (WebAuthn, by webauthn-rs): a second factor, and a sign-in without a password.
//!
//! - A passkey asks its holder to unlock it (user verification is required), so a sign-in
//!   with one has passed a second factor.
//! - Each ceremony has two requests: its state is kept in the database between them
//!   (single use, [`CEREMONY_MINUTES`]), found by the hash of a random token the page
//!   holds, and bound to the person it was begun for.
//! - Except a sign-in without a password, which anyone may start on any page view: its
//!   state is sealed into the token the page holds (expiring), so starting one writes
//!   nothing. Only a valid answer records its token, which makes it single use.
//! - Passkeys carry a random handle per account, never the account id.
//! - A browser refuses passkeys on a bare IP address: a server whose base URL is a
//!   loopback address (`./muster run`'s 127.0.0.1) has them at `localhost` instead.

use rand::RngCore;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::proof::FactorChange;
use super::queries;
use super::service::{self, SignedIn};
use crate::access::Identity;
use crate::auth::types::{PasskeyCeremony, PasskeyView, SecurityView};
use crate::error::AppError;
use crate::mail::seal::{self, Purpose};
use crate::state::AppState;
use crate::tokens;

/// How long a page has to answer a ceremony.
pub const CEREMONY_MINUTES: i32 = 5;
/// The longest name a passkey can be given.
pub const NAME_MAX: usize = 60;

const REGISTER: &str = "register";
const SECOND_FACTOR: &str = "second_factor";

/// This server as a WebAuthn relying party, from its base URL.
fn relying_party(state: &AppState) -> Result<Webauthn, AppError> {
    let origin =
        origin(state).ok_or_else(|| AppError::Conflict("errors.passkey_no_domain".into()))?;
    let origin = Url::parse(&origin).map_err(AppError::internal)?;
    let rp_id = origin.domain().unwrap_or_default().to_owned();
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name("Muster").build())
        .map_err(AppError::internal)
}

/// Where passkeys work: the base URL's origin, with `localhost` for a loopback address;
/// `None` on any other IP address.
pub fn origin(state: &AppState) -> Option<String> {
    let mut url = Url::parse(&state.settings.base_url).ok()?;
    if url.domain().is_none() {
        let loopback = url
            .host_str()
            .is_some_and(|h| h == "127.0.0.1" || h == "[::1]");
        if !loopback {
            return None;
        }
        url.set_host(Some("localhost")).ok()?;
    }
    Some(url.origin().ascii_serialization())
}

fn failed() -> AppError {
    AppError::field("form", "errors.passkey_failed")
}

fn expired() -> AppError {
    AppError::Gone("errors.passkey_expired".into())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value).map_err(AppError::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(AppError::internal)
}

/// Keeps a ceremony's state until its answer; the token goes to the page.
async fn begin<S: serde::Serialize, O: serde::Serialize>(
    state: &AppState,
    user_id: Option<i64>,
    kind: &str,
    ceremony: &S,
    options: &O,
) -> Result<PasskeyCeremony, AppError> {
    let token = tokens::generate();
    queries::insert_ceremony(
        &state.pool,
        &token.hash,
        user_id,
        kind,
        &to_json(ceremony)?,
        CEREMONY_MINUTES,
    )
    .await?;
    Ok(PasskeyCeremony {
        ceremony: token.plain,
        options: serde_json::to_string(options).map_err(AppError::internal)?,
    })
}

/// What the Security page shows: the app and recovery codes, and the passkeys.
pub async fn security_view(
    state: &AppState,
    me: &Identity,
    session_token: &str,
) -> Result<SecurityView, AppError> {
    let mut view = super::second_factor::status(state, me).await?;
    view.proven = super::proof::is_recent(state, session_token).await?;
    view.has_password = queries::find_user_by_id(&state.pool, me.principal().id())
        .await?
        .is_some_and(|u| u.password_hash != super::password::NO_PASSWORD);
    view.passkeys = list(state, me.principal().id()).await?;
    view.passkeys_at = origin(state);
    Ok(view)
}

/// The person's passkeys, for the Security page.
async fn list(state: &AppState, user_id: i64) -> Result<Vec<PasskeyView>, AppError> {
    Ok(queries::passkeys_of(&state.pool, user_id)
        .await?
        .into_iter()
        .map(|row| PasskeyView {
            id: row.id,
            name: row.name,
            created: row.created_at.to_rfc3339(),
            last_used: row.last_used_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

/// The person's passkeys as webauthn-rs reads them.
async fn passkeys_of(state: &AppState, user_id: i64) -> Result<Vec<Passkey>, AppError> {
    queries::passkeys_of(&state.pool, user_id)
        .await?
        .into_iter()
        .map(|row| from_json(row.passkey))
        .collect()
}

/// "Add a passkey": the options for `navigator.credentials.create`. A passkey the
/// person already has is excluded (the authenticator says so rather than make another).
pub async fn start_registration(
    state: &AppState,
    me: &Identity,
    session_token: &str,
) -> Result<PasskeyCeremony, AppError> {
    super::proof::require_recent(state, session_token).await?;
    let rp = relying_party(state)?;
    let user = me.principal();
    let mut fresh = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let handle = queries::passkey_handle(&state.pool, user.id(), &fresh).await?;
    let handle = Uuid::from_slice(&handle).map_err(AppError::internal)?;
    let existing = passkeys_of(state, user.id())
        .await?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, registration): (CreationChallengeResponse, PasskeyRegistration) = rp
        .start_passkey_registration(handle, user.email(), user.name(), Some(existing))
        .map_err(AppError::internal)?;
    // A discoverable credential where the authenticator can keep one: it is what lets the
    // browser offer the passkey at sign-in without an address typed first.
    let mut options = to_json(&options)?;
    options["publicKey"]["authenticatorSelection"]["residentKey"] = "preferred".into();
    begin(state, Some(user.id()), REGISTER, &registration, &options).await
}

/// A passkey's name as given: trimmed, at most [`NAME_MAX`] characters, no control
/// characters; empty gives "Passkey".
fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.chars().count() > NAME_MAX {
        return Err(AppError::field("name", "errors.passkey_name_long"));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field("name", "errors.passkey_name_control"));
    }
    Ok(if name.is_empty() {
        "Passkey".to_owned()
    } else {
        name.to_owned()
    })
}

/// The browser's answer to [`start_registration`]: the passkey is the person's. This
/// session has passed a second factor (the passkey was unlocked to be made). With no
/// recovery codes yet, the person gets ten (returned, to be shown once).
pub async fn finish_registration(
    state: &AppState,
    me: &Identity,
    session_token: &str,
    ceremony: &str,
    credential: &str,
    name: &str,
) -> Result<Vec<String>, AppError> {
    super::proof::require_recent(state, session_token).await?;
    let name = clean_name(name)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| failed())?;
    let user = me.principal().id();
    let row = queries::take_ceremony(&state.pool, &tokens::hash(ceremony), REGISTER)
        .await?
        .filter(|row| row.user_id == Some(user))
        .ok_or_else(expired)?;
    let registration: PasskeyRegistration = from_json(row.state)?;
    let passkey = relying_party(state)?
        .finish_passkey_registration(&credential, &registration)
        .map_err(|_| failed())?;
    let mut tx = state.pool.begin().await?;
    if !queries::insert_passkey(
        &mut *tx,
        user,
        passkey.cred_id().as_ref(),
        &name,
        &to_json(&passkey)?,
    )
    .await?
    {
        return Err(AppError::field("form", "errors.passkey_taken"));
    }
    let codes = match queries::recovery_codes_left(&mut *tx, user).await? {
        0 => super::second_factor::new_recovery_codes(&mut tx, user).await?,
        _ => Vec::new(),
    };
    queries::mark_session_second_factor(&mut *tx, &tokens::hash(session_token)).await?;
    super::proof::tell(&mut tx, state, me, FactorChange::PasskeyAdded(&name)).await?;
    crate::mail::outbox::commit_and_send(tx, state).await?;
    Ok(codes)
}

/// Removes one of the person's passkeys (the recovery codes go with the last factor).
/// Needs a recent proof; the person is mailed.
pub async fn remove(
    state: &AppState,
    me: &Identity,
    session_token: &str,
    id: i64,
) -> Result<(), AppError> {
    super::proof::require_recent(state, session_token).await?;
    let mut tx = state.pool.begin().await?;
    let Some(name) = queries::delete_passkey(&mut tx, me.principal().id(), id).await? else {
        return Err(AppError::NotFound);
    };
    queries::drop_codes_without_factor(&mut tx, me.principal().id()).await?;
    super::proof::tell(&mut tx, state, me, FactorChange::PasskeyRemoved(&name)).await?;
    crate::mail::outbox::commit_and_send(tx, state).await?;
    Ok(())
}

/// The options for `navigator.credentials.get`: with `challenge` (the sign-in step after
/// a right password), for that person's passkeys; without, for any passkey the browser
/// offers (conditional UI, or the "Sign in with a passkey" button).
pub async fn start_sign_in(
    state: &AppState,
    challenge: Option<&str>,
) -> Result<PasskeyCeremony, AppError> {
    let rp = relying_party(state)?;
    match challenge {
        Some(challenge) => {
            let step = queries::find_challenge(&state.pool, &tokens::hash(challenge))
                .await?
                .ok_or_else(|| AppError::Gone("errors.sign_in_step_expired".into()))?;
            let passkeys = passkeys_of(state, step.user_id).await?;
            if passkeys.is_empty() {
                return Err(AppError::field("form", "errors.passkey_none"));
            }
            let (options, authentication): (_, PasskeyAuthentication) = rp
                .start_passkey_authentication(&passkeys)
                .map_err(AppError::internal)?;
            begin(
                state,
                Some(step.user_id),
                SECOND_FACTOR,
                &authentication,
                &options,
            )
            .await
        }
        None => {
            let (options, authentication): (_, DiscoverableAuthentication) = rp
                .start_discoverable_authentication()
                .map_err(AppError::internal)?;
            let until = chrono::Utc::now().timestamp() + i64::from(CEREMONY_MINUTES) * 60;
            let sealed = seal::seal_bytes(
                &state.settings.secret_key,
                Purpose::PasskeySignIn,
                &serde_json::to_vec(&(until, &authentication)).map_err(AppError::internal)?,
            );
            Ok(PasskeyCeremony {
                ceremony: URL_SAFE_NO_PAD.encode(sealed),
                options: serde_json::to_string(&options).map_err(AppError::internal)?,
            })
        }
    }
}

/// The state a passwordless sign-in's token holds, if this server sealed it and it has
/// not expired.
fn unseal_sign_in(state: &AppState, ceremony: &str) -> Option<DiscoverableAuthentication> {
    let sealed = URL_SAFE_NO_PAD.decode(ceremony).ok()?;
    let plain = seal::open_bytes(&state.settings.secret_key, Purpose::PasskeySignIn, &sealed)?;
    let (until, authentication): (i64, DiscoverableAuthentication) =
        serde_json::from_slice(&plain).ok()?;
    (until > chrono::Utc::now().timestamp()).then_some(authentication)
}

/// The browser's answer to [`start_sign_in`]: opens a session that has passed a second
/// factor. Returns it and where to go (the sign-in step's destination, or "/").
pub async fn finish_sign_in(
    state: &AppState,
    challenge: Option<&str>,
    device: Option<&str>,
    ceremony: &str,
    credential: &str,
) -> Result<(SignedIn, String), AppError> {
    let credential: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| failed())?;
    let rp = relying_party(state)?;
    let hash = tokens::hash(ceremony);
    let (next, passkey_id, user_id, mut passkey, result) = match challenge {
        Some(challenge) => {
            let row = queries::take_ceremony(&state.pool, &hash, SECOND_FACTOR)
                .await?
                .ok_or_else(expired)?;
            let step = queries::find_challenge(&state.pool, &tokens::hash(challenge))
                .await?
                .filter(|step| row.user_id == Some(step.user_id))
                .ok_or_else(expired)?;
            let stored =
                queries::passkey_by_credential(&state.pool, credential.get_credential_id())
                    .await?
                    .filter(|p| p.user_id == step.user_id)
                    .ok_or_else(failed)?;
            let authentication: PasskeyAuthentication = from_json(row.state)?;
            let result = rp
                .finish_passkey_authentication(&credential, &authentication)
                .map_err(|_| failed())?;
            let passkey: Passkey = from_json(stored.passkey)?;
            (
                Some((challenge, step.next, step.sso_org_id)),
                stored.id,
                step.user_id,
                passkey,
                result,
            )
        }
        None => {
            let authentication = unseal_sign_in(state, ceremony).ok_or_else(expired)?;
            let (handle, credential_id) = rp
                .identify_discoverable_authentication(&credential)
                .map_err(|_| failed())?;
            let owner = queries::user_by_passkey_handle(&state.pool, handle.as_bytes()).await?;
            let stored = queries::passkey_by_credential(&state.pool, credential_id)
                .await?
                .filter(|p| Some(p.user_id) == owner)
                .ok_or_else(failed)?;
            let passkey: Passkey = from_json(stored.passkey)?;
            let result = rp
                .finish_discoverable_authentication_v2(&credential, authentication, &passkey)
                .map_err(|_| failed())?;
            (None, stored.id, stored.user_id, passkey, result)
        }
    };
    let moved = passkey.update_credential(&result) == Some(true);
    let mut tx = state.pool.begin().await?;
    if let Some((challenge, _, _)) = &next
        && !queries::take_challenge(&mut *tx, &tokens::hash(challenge)).await?
    {
        return Err(expired());
    }
    // A passwordless sign-in's token works once: its answer is recorded until it expires.
    if next.is_none()
        && !queries::record_sign_in_ceremony(&mut *tx, &hash, user_id, CEREMONY_MINUTES).await?
    {
        return Err(expired());
    }
    let stored_now = if moved {
        Some(to_json(&passkey)?)
    } else {
        None
    };
    queries::passkey_used(&mut *tx, passkey_id, stored_now.as_ref()).await?;
    let signed_in = service::open_after_second_factor(state, tx, user_id, device).await?;
    // A sign-in that came through an organization's provider keeps that mark, whichever
    // factor finished it.
    if let Some((_, _, Some(org_id))) = &next {
        queries::mark_session_sso(
            &state.pool,
            &tokens::hash(&signed_in.session_token),
            *org_id,
        )
        .await?;
    }
    let next = next
        .map(|(_, next, _)| next)
        .unwrap_or_else(|| "/".to_owned());
    Ok((signed_in, next))
}

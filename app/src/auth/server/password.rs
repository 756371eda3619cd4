//! Argon2id hashing, run on the blocking pool with bounded concurrency and a bounded
//! queue, so a burst of sign-ins cannot starve the async threads or exhaust memory, and a
//! flood is told "busy" at once rather than making everyone wait.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;
use crate::state::AppState;

/// A stored password hash (PHC string). Not `Serialize`: it never leaves the server.
pub struct PasswordHashString(pub String);

fn argon2(memory_kib: u32) -> Argon2<'static> {
    // OWASP: Argon2id, m >= 19 MiB, t = 2, p = 1.
    let params = Params::new(memory_kib.max(19_456), 2, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Runs `job` with the configured hasher on the blocking pool, holding one of the
/// limited hashing slots.
async fn with_hasher<T: Send + 'static>(
    state: &AppState,
    job: impl FnOnce(Argon2<'static>) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _slot = state.hashing.enter().await?;
    let memory = state.settings.argon2_memory_kib;
    tokio::task::spawn_blocking(move || job(argon2(memory)))
        .await
        .map_err(AppError::internal)?
}

pub async fn hash_password(
    state: &AppState,
    password: &str,
) -> Result<PasswordHashString, AppError> {
    let password = password.to_owned();
    with_hasher(state, move |hasher| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHashString(h.to_string()))
            .map_err(AppError::internal)
    })
    .await
}

/// Verifies `password` against `stored`. With no stored hash (unknown account) a dummy
/// hash is checked anyway, so both cases take the same time.
pub async fn verify_password(
    state: &AppState,
    password: &str,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let password = password.to_owned();
    with_hasher(state, move |hasher| {
        let (stored, real) = match stored {
            Some(s) if s != NO_PASSWORD => (s, true),
            // A fixed, valid Argon2id hash of a random string nobody knows: an account
            // without a password takes as long to refuse as a wrong password.
            _ => (UNKNOWN_ACCOUNT_HASH.to_owned(), false),
        };
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        let ok = hasher.verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(real && ok)
    })
    .await
}

/// What an account without a password stores instead of a hash (one made by an
/// organization's provider): no password verifies against it, and making it costs nothing.
pub const NO_PASSWORD: &str = "!no-password";

const UNKNOWN_ACCOUNT_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WmwdrnR6Yd0YkTq7zv2Sl3uDXk0XHfWbWeX2SeHqHl0";

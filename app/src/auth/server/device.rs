//! Known devices: a browser that has signed in to an account carries proof of it (a
//! cookie, in the manner of OWASP's "device cookies"), and its password attempts for that
//! account are limited on their own rather than with everyone else's. Someone guessing a
//! person's password from anywhere else can make new browsers wait, never the browsers
//! the person already uses; and a reset link works whatever the limits say.
//!
//! The cookie is `<nonce>.<mac>`: a random nonce and an HMAC (under `MUSTER_SECRET_KEY`)
//! binding it to the account's address. Nothing is stored; a forged or copied-to-another-
//! account cookie does not verify and counts as an unknown browser.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::state::SecretKey;

fn mac(secret: &SecretKey, email: &str, nonce: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(b"muster known device v1\0");
    mac.update(email.as_bytes());
    mac.update(b"\0");
    mac.update(nonce.as_bytes());
    mac
}

/// A new cookie value for a browser that just signed in to `email`.
pub fn issue(secret: &SecretKey, email: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = URL_SAFE_NO_PAD.encode(bytes);
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, email, &nonce).finalize().into_bytes());
    format!("{nonce}.{tag}")
}

/// The device's nonce if `cookie` was issued for `email` under this key.
pub fn verify(secret: &SecretKey, email: &str, cookie: &str) -> Option<String> {
    let (nonce, tag) = cookie.split_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(secret, email, nonce).verify_slice(&tag).ok()?;
    Some(nonce.to_owned())
}

/// The throttle scope of one known device's attempts at one account.
pub fn scope(email: &str, nonce: &str) -> String {
    format!("device:{email}:{nonce}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_verifies_only_for_its_account_and_key() {
        let key = SecretKey(vec![7; 32]);
        let cookie = issue(&key, "ann@example.test");
        let nonce = verify(&key, "ann@example.test", &cookie).expect("its own cookie");
        assert!(cookie.starts_with(&nonce));
        assert_eq!(verify(&key, "bob@example.test", &cookie), None);
        assert_eq!(
            verify(&SecretKey(vec![8; 32]), "ann@example.test", &cookie),
            None
        );
        let forged = format!("{nonce}.{}", "A".repeat(43));
        assert_eq!(verify(&key, "ann@example.test", &forged), None);
        assert_eq!(verify(&key, "ann@example.test", "garbage"), None);
        assert_ne!(
            issue(&key, "ann@example.test"),
            cookie,
            "a fresh nonce each time"
        );
    }
}

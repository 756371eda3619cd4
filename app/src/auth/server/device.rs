//! Known devices: a browser that has signed in to an account carries proof of it (a
//! cookie, in the manner of OWASP's "device cookies"), and its password attempts for that
//! account are limited on their own rather than with everyone else's. Someone guessing a
//! person's password from anywhere else can make new browsers wait, never the browsers
//! the person already uses; and a reset link works whatever the limits say.
//!
//! The cookie is `<account id>.<epoch>.<issued at>.<nonce>.<mac>`: an HMAC (under
//! `MUSTER_SECRET_KEY`) binds a random nonce to the account, to the account's device epoch
//! and to the time it was issued. Nothing is stored per cookie. It counts as known only
//! - for the account it was issued for (a forged or copied-to-another-account cookie does
//!   not verify);
//! - while the account's epoch is unchanged: a password reset and "sign out everywhere
//!   else" raise it, so cookies minted with a stolen password die with it;
//! - for [`MAX_AGE_DAYS`] after it was issued (checked here, whatever the browser keeps).
//!
//! Known devices have a limit each, and all of an account's known devices together have
//! a ceiling ([`ceiling_scope`]), so collecting cookies buys no extra guesses.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::state::SecretKey;

/// A known device stays known this long after the sign-in that issued its cookie.
pub const MAX_AGE_DAYS: i64 = 365;

/// What a cookie says, once its MAC checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_id: i64,
    pub epoch: i32,
    pub nonce: String,
}

fn mac(secret: &SecretKey, user_id: i64, epoch: i32, issued: i64, nonce: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(b"muster known device v2\0");
    mac.update(format!("{user_id}.{epoch}.{issued}.{nonce}").as_bytes());
    mac
}

/// A new cookie value for a browser that just signed in to the account `user_id`, whose
/// device epoch is `epoch`, at `now` (Unix seconds).
pub fn issue(secret: &SecretKey, user_id: i64, epoch: i32, now: i64) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = URL_SAFE_NO_PAD.encode(bytes);
    let tag = URL_SAFE_NO_PAD.encode(
        mac(secret, user_id, epoch, now, &nonce)
            .finalize()
            .into_bytes(),
    );
    format!("{user_id}.{epoch}.{now}.{nonce}.{tag}")
}

/// What `cookie` says if this server issued it less than [`MAX_AGE_DAYS`] before `now`.
/// Whether it is still the account's epoch is for the caller to check ([`Device::is_of`]).
pub fn read(secret: &SecretKey, cookie: &str, now: i64) -> Option<Device> {
    let mut parts = cookie.split('.');
    let user_id: i64 = parts.next()?.parse().ok()?;
    let epoch: i32 = parts.next()?.parse().ok()?;
    let issued: i64 = parts.next()?.parse().ok()?;
    let nonce = parts.next()?;
    let tag = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    if parts.next().is_some() {
        return None;
    }
    mac(secret, user_id, epoch, issued, nonce)
        .verify_slice(&tag)
        .ok()?;
    let age = now - issued;
    if !(0..=MAX_AGE_DAYS * 86_400).contains(&age) {
        return None;
    }
    Some(Device {
        user_id,
        epoch,
        nonce: nonce.to_owned(),
    })
}

impl Device {
    /// Whether this is a current known device of the account `user_id` (epoch `epoch`).
    pub fn is_of(&self, user_id: i64, epoch: i32) -> bool {
        self.user_id == user_id && self.epoch == epoch
    }

    /// The throttle scope of this device's attempts at its account.
    pub fn scope(&self) -> String {
        format!("device:{}:{}", self.user_id, self.nonce)
    }

    /// The throttle scope of the mails (password resets) this device asks for.
    pub fn mail_scope(&self) -> String {
        format!("device-mail:{}:{}", self.user_id, self.nonce)
    }
}

/// The throttle scope all of an account's known devices share.
pub fn ceiling_scope(user_id: i64) -> String {
    format!("devices:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_device_cookie_verifies_only_for_its_account_epoch_key_and_age() {
        let key = SecretKey(vec![7; 32]);
        let cookie = issue(&key, 42, 3, NOW);
        let device = read(&key, &cookie, NOW + 60).expect("its own cookie");
        assert!(device.is_of(42, 3));
        assert!(!device.is_of(43, 3), "another account");
        assert!(!device.is_of(42, 4), "after a reset");
        assert!(cookie.contains(&device.nonce));
        assert_eq!(
            read(&SecretKey(vec![8; 32]), &cookie, NOW),
            None,
            "another key"
        );
        // Changing any part breaks the MAC.
        let moved = cookie.replacen("42.", "43.", 1);
        assert_eq!(read(&key, &moved, NOW), None, "moved to another account");
        let renewed = cookie.replacen(".3.", ".4.", 1);
        assert_eq!(read(&key, &renewed, NOW), None, "moved to a later epoch");
        let younger = cookie.replacen(&NOW.to_string(), &(NOW + 86_400).to_string(), 1);
        assert_eq!(read(&key, &younger, NOW + 86_400), None, "made younger");
        // Too old, or from the future.
        let year = MAX_AGE_DAYS * 86_400;
        assert!(read(&key, &cookie, NOW + year).is_some());
        assert_eq!(read(&key, &cookie, NOW + year + 1), None, "expired");
        assert_eq!(read(&key, &cookie, NOW - 1), None, "not issued yet");
        assert_eq!(read(&key, "garbage", NOW), None);
        assert_eq!(read(&key, &format!("{cookie}.x"), NOW), None);
        assert_ne!(issue(&key, 42, 3, NOW), cookie, "a fresh nonce each time");
    }
}

//! Mail bodies carry live links (activation, invitation, reset, confirmation), whose
//! tokens the database otherwise keeps only as hashes. In the outbox a body is therefore
//! sealed (XChaCha20-Poly1305, under a key derived from `MUSTER_SECRET_KEY`) and erased
//! once the mail is delivered or given up on: a copy of the database yields no live token.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::state::SecretKey;

const NONCE_LEN: usize = 24;

/// What a sealed value is for: each purpose has a key of its own.
#[derive(Clone, Copy)]
pub enum Purpose {
    /// Mail bodies in the outbox.
    Outbox,
    /// Authenticator-app (TOTP) secrets.
    Totp,
    /// A passwordless passkey sign-in's state, which the page holds between its two
    /// requests (so that starting one writes nothing).
    PasskeySignIn,
    /// Organizations' OpenID client secrets.
    SsoSecret,
    /// A sign-in through an OpenID provider, which the browser holds while it is away.
    SsoLogin,
}

fn cipher(secret: &SecretKey, purpose: Purpose) -> XChaCha20Poly1305 {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(match purpose {
        Purpose::Outbox => b"muster outbox seal v1".as_slice(),
        Purpose::Totp => b"muster totp seal v1".as_slice(),
        Purpose::PasskeySignIn => b"muster passkey sign-in seal v1".as_slice(),
        Purpose::SsoSecret => b"muster sso client secret seal v1".as_slice(),
        Purpose::SsoLogin => b"muster sso sign-in seal v1".as_slice(),
    });
    XChaCha20Poly1305::new(&mac.finalize().into_bytes())
}

/// Seals `plain` for `purpose` (nonce, then ciphertext).
pub fn seal_bytes(secret: &SecretKey, purpose: Purpose, plain: &[u8]) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher(secret, purpose)
        .encrypt(&nonce, plain)
        .expect("sealing cannot fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

/// What `seal_bytes` sealed, or `None` if it was not sealed under this key and purpose
/// (or was changed).
pub fn open_bytes(secret: &SecretKey, purpose: Purpose, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher(secret, purpose)
        .decrypt(XNonce::from_slice(nonce), body)
        .ok()
}

/// Seals a text and an HTML body into one opaque value (nonce, then ciphertext).
pub fn seal(secret: &SecretKey, text: &str, html: &str) -> Vec<u8> {
    let mut plain = Vec::with_capacity(4 + text.len() + html.len());
    plain.extend_from_slice(&(text.len() as u32).to_be_bytes());
    plain.extend_from_slice(text.as_bytes());
    plain.extend_from_slice(html.as_bytes());
    seal_bytes(secret, Purpose::Outbox, &plain)
}

/// The text and HTML bodies, or `None` if the value was not sealed under this key (or
/// was changed).
pub fn open(secret: &SecretKey, sealed: &[u8]) -> Option<(String, String)> {
    let plain = open_bytes(secret, Purpose::Outbox, sealed)?;
    let (len, rest) = plain.split_at_checked(4)?;
    let text_len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    let (text, html) = rest.split_at_checked(text_len)?;
    Some((
        String::from_utf8(text.to_vec()).ok()?,
        String::from_utf8(html.to_vec()).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bodies_open_only_with_their_key_and_hide_their_links() {
        let key = SecretKey(b"a key of at least thirty-two bytes!!".to_vec());
        let sealed = seal(&key, "link: https://x.test/r?token=SECRET", "<a>SECRET</a>");
        assert!(!sealed.windows(6).any(|w| w == b"SECRET"));
        assert_eq!(
            open(&key, &sealed),
            Some((
                "link: https://x.test/r?token=SECRET".to_owned(),
                "<a>SECRET</a>".to_owned()
            ))
        );
        let other = SecretKey(b"another key of at least thirty-two bytes".to_vec());
        assert_eq!(open(&other, &sealed), None);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &tampered), None);
        assert_ne!(
            seal(&key, "a", "b"),
            seal(&key, "a", "b"),
            "a fresh nonce each time"
        );
    }
}

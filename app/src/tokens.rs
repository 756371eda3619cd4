//! Random secrets for sessions and emailed links. Only their SHA-256 hash is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated secret: the plain value goes to the person, the hash to the database.
pub struct NewToken {
    pub plain: String,
    pub hash: Vec<u8>,
}

/// 256 random bits from the operating system, base64url-encoded.
pub fn generate() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&plain);
    NewToken { plain, hash }
}

pub fn hash(plain: &str) -> Vec<u8> {
    Sha256::digest(plain.as_bytes()).to_vec()
}

/// Whether a presented secret is the configured one. Their hashes are compared, so the
/// time taken says nothing about how much of the secret was right.
pub fn same_secret(presented: &str, configured: &str) -> bool {
    hash(presented) == hash(configured)
}

/// A short random id (64 bits, 16 hex digits) naming one request in logs and on pages.
pub fn short_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plain, b.plain);
        assert_eq!(a.plain.len(), 43, "256 bits in base64url");
        assert_eq!(a.hash, hash(&a.plain));
        assert_ne!(a.hash, a.plain.as_bytes());
    }
}

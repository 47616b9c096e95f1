//! SessionIds, their hashes, public session ids, session_key encryption and password hashing.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The 32-byte key that encrypts WeChat session_keys at rest.
#[derive(Clone)]
pub struct DataKey(pub(crate) [u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl DataKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DataKey(bytes)
    }

    /// Parses 32 bytes written in base64 (standard or URL-safe, padding optional).
    pub fn from_base64(text: &str) -> Result<Self, InvalidDataKey> {
        let t = text.trim();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ];
        // Every decoded buffer, the right length or not, is wiped when dropped.
        let bytes = zeroize::Zeroizing::new(
            engines
                .iter()
                .find_map(|e| e.decode(t).ok())
                .or_else(|| {
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(t)
                        .ok()
                })
                .or_else(|| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(t)
                        .ok()
                })
                .ok_or_else(|| InvalidDataKey("the data key is not valid base64".into()))?,
        );
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            InvalidDataKey(format!(
                "the data key must be 32 bytes (base64 of 32 random bytes), got {} bytes; make one with `head -c32 /dev/urandom | base64`",
                bytes.len()
            ))
        })?;
        Ok(DataKey(arr))
    }

    /// A fresh random key (for `wxlogin demo` and tests).
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut k);
        DataKey(k)
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// A data key that is not base64 of 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDataKey(pub String);

/// The bearer token a mini program holds: 32 bytes (256 bits) from the OS CSPRNG, base64url.
/// It carries no meaning; only its SHA-256 is stored.
#[derive(Clone, Debug)]
pub struct SessionToken(Secret);

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SessionToken(Secret::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// A token as received from a client or pasted by an operator (surrounding blanks and a
    /// `Bearer ` prefix are forgiven).
    pub fn from_raw(raw: &str) -> Self {
        let t = raw.trim();
        let t = t.strip_prefix("Bearer ").unwrap_or(t).trim();
        SessionToken(Secret::new(t))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.expose().as_bytes()).into())
    }
}

/// SHA-256 of a SessionId: what the database keeps and looks up.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({}…)", &hex::encode(self.0)[..8])
    }
}

/// A public, non-secret session id for operators and logs: `ses_` and 20 hex digits.
pub fn new_public_id() -> String {
    let mut b = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("ses_{}", hex::encode(b))
}

const ENVELOPE_V1: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the stored session_key cannot be decrypted: wrong data key, or the row was tampered with"
    )]
    Decrypt,
    #[error("the stored session_key has an unknown format")]
    Format,
    #[error("password hashing failed")]
    Hash,
}

/// Encrypts a WeChat session_key with AES-256-GCM. The envelope is
/// `version(1) || nonce(12) || ciphertext+tag`; the session's public id is the associated data,
/// so a ciphertext copied onto another row does not decrypt.
pub fn encrypt_session_key(key: &DataKey, public_id: &str, session_key: &Secret) -> Vec<u8> {
    let cipher = Aes256Gcm::new_from_slice(&key.0).expect("32-byte key");
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: session_key.expose().as_bytes(),
                aad: public_id.as_bytes(),
            },
        )
        .expect("AES-GCM encryption does not fail for in-memory buffers");
    let mut out = Vec::with_capacity(1 + 12 + ct.len());
    out.push(ENVELOPE_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

pub fn decrypt_session_key(
    key: &DataKey,
    public_id: &str,
    envelope: &[u8],
) -> Result<Secret, CryptoError> {
    if envelope.len() < 1 + 12 + 16 || envelope[0] != ENVELOPE_V1 {
        return Err(CryptoError::Format);
    }
    let cipher = Aes256Gcm::new_from_slice(&key.0).expect("32-byte key");
    let pt = cipher
        .decrypt(
            Nonce::from_slice(&envelope[1..13]),
            Payload {
                msg: &envelope[13..],
                aad: public_id.as_bytes(),
            },
        )
        .map_err(|_| CryptoError::Decrypt)?;
    String::from_utf8(pt)
        .map(Secret::new)
        .map_err(|_| CryptoError::Format)
}

/// Argon2id with the crate's defaults (OWASP's recommended m=19 MiB, t=2, p=1), as a PHC string.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::Hash)
}

/// Checks `password` against a PHC string; a malformed hash verifies nothing.
pub fn verify_password(phc: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the username does not exist, so that a wrong username and a
/// wrong password take the same time.
pub fn dummy_password_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("wxlogin-timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_key_must_be_32_bytes() {
        assert!(DataKey::from_base64("c2hvcnQ=").is_err());
        let k = DataKey::generate();
        let back = DataKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(back.0, k.0);
        assert_eq!(format!("{k:?}"), "DataKey([redacted])");
    }

    #[test]
    fn session_tokens_have_256_bits_and_differ() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(a.expose())
                .unwrap()
                .len(),
            32
        );
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn session_key_round_trips_and_is_bound_to_its_row() {
        let key = DataKey::generate();
        let sk = Secret::new("tiihtNczf5v6AKRyjwEUhQ==");
        let env = encrypt_session_key(&key, "ses_1", &sk);
        assert!(!env.windows(8).any(|w| w == &sk.expose().as_bytes()[..8]));
        assert_eq!(
            decrypt_session_key(&key, "ses_1", &env).unwrap().expose(),
            sk.expose()
        );
        assert!(decrypt_session_key(&key, "ses_2", &env).is_err());
        assert!(decrypt_session_key(&DataKey::generate(), "ses_1", &env).is_err());
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "x"));
    }
}

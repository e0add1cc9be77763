//! Passwords (argon2id) and session tokens (random, stored only as their SHA-256).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use motcua_domain::Password;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("không lấy được số ngẫu nhiên từ hệ điều hành: {0}")]
    Random(String),
    #[error("không băm được mật khẩu: {0}")]
    Hash(String),
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(b)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// argon2id (m = 19 MiB, t = 2, p = 1) in PHC string form.
pub fn hash_password(password: &Password) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks a password against a stored hash. A malformed hash never matches.
pub fn verify_password(candidate: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|h| Argon2::default().verify_password(candidate.as_bytes(), &h).is_ok())
}

/// A hash of a password nobody has, made once.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let username = motcua_domain::Username::parse("khong.ton.tai").ok()?;
            let password = Password::parse("Mat-khau-gia-0000", &username).ok()?;
            hash_password(&password).ok()
        })
        .as_deref()
}

/// Spends the same work as a real check, for unknown usernames, so response time does not
/// tell which usernames exist.
pub fn verify_against_dummy(candidate: &str) {
    match dummy_hash() {
        Some(h) => {
            let _ = verify_password(candidate, h);
        }
        None => tracing::error!("no dummy password hash: login timing may reveal usernames"),
    }
}

/// A new session token (256 random bits, hex) and the hash under which it is stored.
pub fn new_session_token() -> Result<(String, String), AuthError> {
    let token = hex(&random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let u = motcua_domain::Username::parse("a.b").unwrap();
        let p = Password::parse("Quang-Ninh-2025", &u).unwrap();
        let h1 = hash_password(&p).unwrap();
        let h2 = hash_password(&p).unwrap();
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "salted");
        assert!(verify_password("Quang-Ninh-2025", &h1));
        assert!(!verify_password("quang-ninh-2025", &h1));
        assert!(!verify_password("Quang-Ninh-2025", "not a hash"));
    }

    #[test]
    fn dummy_hash_exists_so_unknown_users_cost_the_same() {
        let h = dummy_hash().expect("the dummy password satisfies the policy");
        assert!(h.starts_with("$argon2id$"));
        assert!(!verify_password("anything", h));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (t1, h1) = new_session_token().unwrap();
        let (t2, _) = new_session_token().unwrap();
        assert_eq!(t1.len(), 64);
        assert_ne!(t1, t2);
        assert_eq!(h1, token_hash(&t1));
        assert_ne!(h1, t1);
    }
}

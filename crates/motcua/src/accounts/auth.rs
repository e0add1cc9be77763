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

/// Slows password guessing, by username and by the address asking (see
/// [`crate::throttle::ClientKey`]). After [`LoginGuard::MAX_FAILURES`] wrong passwords for one
/// username from one address within [`LoginGuard::WINDOW`], that username is refused from that
/// address — right password or not — until [`LoginGuard::LOCK`] has passed; the owner signing
/// in from elsewhere is not, so knowing an officer's username no longer locks them out. A
/// username is locked everywhere only after [`LoginGuard::MAX_USERNAME_FAILURES`] failures from
/// all addresses together, which one address alone cannot reach (it is locked sooner, below).
/// Unknown usernames are counted the same way, so the answer never tells whether an account
/// exists. One address trying many usernames (a password spray) is locked after its own number
/// of failures; a success does not wipe an address's count, so one known password cannot
/// reset it. Kept in memory (a restart forgets it); at most [`LoginGuard::MAX_KEYS`] keys of
/// each kind are tracked, stale ones dropped first.
pub struct LoginGuard {
    users: Failures<(String, crate::throttle::ClientKey)>,
    usernames: Failures<String>,
    addresses: Option<Failures<crate::throttle::ClientKey>>,
}

/// Why a sign-in is refused before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Too many wrong passwords for this username.
    Username(std::time::Duration),
    /// Too many wrong passwords from this address.
    Address(std::time::Duration),
}

struct Failures<K> {
    max: u32,
    map: std::sync::Mutex<std::collections::HashMap<K, Attempts>>,
}

#[derive(Clone, Copy)]
struct Attempts {
    failures: u32,
    first: std::time::Instant,
    locked_until: Option<std::time::Instant>,
}

impl<K: std::hash::Hash + Eq> Failures<K> {
    fn new(max: u32) -> Self {
        Self { max, map: Default::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<K, Attempts>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn locked(&self, key: &K, now: std::time::Instant) -> Option<std::time::Duration> {
        let until = self.lock().get(key)?.locked_until?;
        (until > now).then(|| until - now)
    }

    fn failed(&self, key: K, now: std::time::Instant) {
        let mut map = self.lock();
        if map.len() >= LoginGuard::MAX_KEYS {
            map.retain(|_, a| {
                now.duration_since(a.first) < LoginGuard::WINDOW || a.locked_until.is_some_and(|u| u > now)
            });
            if map.len() >= LoginGuard::MAX_KEYS {
                map.clear();
            }
        }
        let a = map.entry(key).or_insert(Attempts { failures: 0, first: now, locked_until: None });
        if now.duration_since(a.first) >= LoginGuard::WINDOW || a.locked_until.is_some_and(|u| u <= now) {
            *a = Attempts { failures: 0, first: now, locked_until: None };
        }
        a.failures += 1;
        if a.failures >= self.max {
            a.locked_until = Some(now + LoginGuard::LOCK);
        }
    }

    fn forget(&self, key: &K) {
        self.lock().remove(key);
    }
}

impl Default for LoginGuard {
    fn default() -> Self {
        Self::new(Self::MAX_ADDRESS_FAILURES)
    }
}

impl LoginGuard {
    pub const MAX_FAILURES: u32 = 5;
    /// Wrong passwords for one username from all addresses within the window before it is
    /// locked everywhere: a guessing campaign spread over many addresses.
    pub const MAX_USERNAME_FAILURES: u32 = 100;
    /// Wrong passwords from one address within the window, by default.
    pub const MAX_ADDRESS_FAILURES: u32 = crate::throttle::Limits::SIGN_IN_FAILURES;
    pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    pub const LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);
    pub const MAX_KEYS: usize = 100_000;

    /// `address_failures`: how many wrong passwords one address may make within the window
    /// (0: addresses are not counted).
    pub fn new(address_failures: u32) -> Self {
        Self {
            users: Failures::new(Self::MAX_FAILURES),
            usernames: Failures::new(Self::MAX_USERNAME_FAILURES),
            addresses: (address_failures > 0).then(|| Failures::new(address_failures)),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase().chars().take(64).collect()
    }

    /// Whether the username or the address must still wait, and how long.
    pub fn locked(
        &self,
        username: &str,
        client: crate::throttle::ClientKey,
        now: std::time::Instant,
    ) -> Option<Locked> {
        let key = Self::key(username);
        if let Some(w) = self.usernames.locked(&key, now).or_else(|| self.users.locked(&(key, client), now)) {
            return Some(Locked::Username(w));
        }
        self.addresses.as_ref()?.locked(&client, now).map(Locked::Address)
    }

    pub fn failed(&self, username: &str, client: crate::throttle::ClientKey, now: std::time::Instant) {
        let key = Self::key(username);
        self.users.failed((key.clone(), client), now);
        self.usernames.failed(key, now);
        if let Some(a) = &self.addresses {
            a.failed(client, now);
        }
    }

    /// The password was right: that username's counts start afresh (not the address's).
    pub fn succeeded(&self, username: &str, client: crate::throttle::ClientKey) {
        let key = Self::key(username);
        self.users.forget(&(key.clone(), client));
        self.usernames.forget(&key);
    }
}

#[cfg(test)]
mod guard_tests {
    use super::{Locked, LoginGuard};
    use crate::throttle::ClientKey;
    use std::time::{Duration, Instant};

    fn ip(n: u8) -> ClientKey {
        ClientKey::of(std::net::IpAddr::from([203, 0, 113, n]))
    }

    #[test]
    fn five_failures_lock_a_username_for_a_quarter_hour() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        for i in 0..4 {
            g.failed("Stp.MotCua ", ip(1), t0 + Duration::from_secs(i));
            assert_eq!(g.locked("stp.motcua", ip(1), t0 + Duration::from_secs(i)), None);
        }
        g.failed("stp.motcua", ip(2), t0 + Duration::from_secs(10));
        assert_eq!(g.locked("stp.motcua", ip(1), t0 + Duration::from_secs(10)), None, "four from here, one from there");
        g.failed("stp.motcua", ip(1), t0 + Duration::from_secs(10));
        let left = g.locked("stp.motcua", ip(1), t0 + Duration::from_secs(10));
        assert_eq!(left, Some(Locked::Username(LoginGuard::LOCK)), "from the address that guessed");
        assert_eq!(
            g.locked("stp.motcua", ip(3), t0 + Duration::from_secs(10)),
            None,
            "the owner elsewhere can still sign in: a known username is not a lock-out"
        );
        assert_eq!(g.locked("another", ip(1), t0), None, "other usernames are not affected");
        let after = t0 + Duration::from_secs(10) + LoginGuard::LOCK;
        assert_eq!(g.locked("stp.motcua", ip(1), after), None, "the lock ends");
        g.failed("stp.motcua", ip(1), after);
        assert_eq!(g.locked("stp.motcua", ip(1), after), None, "and counting starts again");
    }

    #[test]
    fn failures_spread_out_or_followed_by_success_do_not_lock() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        for i in 0..10u64 {
            g.failed("a", ip(1), t0 + LoginGuard::WINDOW * u32::try_from(i).unwrap());
        }
        assert_eq!(g.locked("a", ip(1), t0 + LoginGuard::WINDOW * 10), None);
        for _ in 0..4 {
            g.failed("b", ip(1), t0);
        }
        g.succeeded("b", ip(1));
        g.failed("b", ip(1), t0);
        assert_eq!(g.locked("b", ip(1), t0), None);
    }

    #[test]
    fn a_campaign_over_many_addresses_locks_the_username_everywhere() {
        let g = LoginGuard::new(0);
        let t0 = Instant::now();
        for i in 0..LoginGuard::MAX_USERNAME_FAILURES {
            let from = ClientKey::of(std::net::IpAddr::from([198, 51, (i / 200) as u8, (i % 200) as u8]));
            assert_eq!(g.locked("halong.lanhdao", from, t0), None, "failure {i}");
            g.failed("halong.lanhdao", from, t0);
        }
        assert_eq!(g.locked("halong.lanhdao", ip(77), t0), Some(Locked::Username(LoginGuard::LOCK)));
        g.succeeded("halong.lanhdao", ip(77));
        assert_eq!(g.locked("halong.lanhdao", ip(77), t0), None, "a right password starts the count afresh");
    }

    #[test]
    fn one_address_spraying_many_usernames_is_locked() {
        let g = LoginGuard::new(30);
        let t0 = Instant::now();
        for i in 0..29 {
            g.failed(&format!("user{i}"), ip(9), t0);
            // A success in between does not wipe the address's count.
            g.succeeded("stp.motcua", ip(9));
        }
        assert_eq!(g.locked("new.user", ip(9), t0), None);
        g.failed("user29", ip(9), t0);
        assert_eq!(g.locked("new.user", ip(9), t0), Some(Locked::Address(LoginGuard::LOCK)));
        assert_eq!(g.locked("new.user", ip(10), t0), None, "other addresses are not affected");
        assert_eq!(g.locked("new.user", ip(9), t0 + LoginGuard::LOCK), None, "the lock ends");
        let off = LoginGuard::new(0);
        for i in 0..100 {
            off.failed(&format!("user{i}"), ip(9), t0);
        }
        assert_eq!(off.locked("new.user", ip(9), t0), None, "0 turns the address count off");
    }
}

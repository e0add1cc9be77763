//! Wrong passwords counted per username and address, to slow guessing.
//!
//! After [`LoginGuard::MAX_FAILURES`] wrong passwords for one username from one address within
//! [`LoginGuard::WINDOW`], that username is refused from that address — right password or not
//! — until [`LoginGuard::LOCK`] has passed; the owner signing in from elsewhere is not, so
//! knowing an officer's username no longer locks them out. A username is locked everywhere
//! only after [`LoginGuard::MAX_USERNAME_FAILURES`] failures from all addresses together,
//! which one address alone cannot reach (it is locked sooner, below). Unknown usernames are
//! counted the same way, so the answer never tells whether an account exists. One address
//! trying many usernames (a password spray) is locked after its own number of failures; a
//! success does not wipe an address's count, so one known password cannot reset it.
//!
//! One server counts in memory (a restart forgets; at most [`LoginGuard::MAX_KEYS`] keys are
//! tracked, stale ones dropped first). On PostgreSQL, which several servers may share, the
//! counts are kept in the database ([`motcua_store::limits::LimitStore`]), so a guesser
//! spreading attempts over the servers behind a load balancer meets the same limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use motcua_store::StoreError;
use motcua_store::limits::{FailureRule, LimitStore};

use crate::throttle::{ClientKey, limit_key};

/// Counts wrong passwords (see the module's documentation).
pub struct LoginGuard {
    address_failures: u32,
    tally: Tally,
}

enum Tally {
    Memory(Mutex<HashMap<String, Attempts>>),
    Shared(Arc<dyn LimitStore>),
}

/// Why a sign-in is refused before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Too many wrong passwords for this username.
    Username(Duration),
    /// Too many wrong passwords from this address.
    Address(Duration),
}

#[derive(Clone, Copy)]
struct Attempts {
    failures: u32,
    first_ms: i64,
    locked_until_ms: Option<i64>,
}

/// The keys one attempt counts under, with their rules: the username from this address, the
/// username from anywhere, and the address (when addresses are counted).
struct Keys {
    user: String,
    username: String,
    address: Option<String>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    pub const LOCK: Duration = Duration::from_secs(15 * 60);
    /// Keys tracked in memory at most (of the three kinds together).
    pub const MAX_KEYS: usize = 300_000;

    /// Counting in this process. `address_failures`: how many wrong passwords one address may
    /// make within the window (0: addresses are not counted).
    pub fn new(address_failures: u32) -> Self {
        Self { address_failures, tally: Tally::Memory(Mutex::default()) }
    }

    /// Counting in `store`, which every server sharing the database counts in.
    pub fn shared(address_failures: u32, store: Arc<dyn LimitStore>) -> Self {
        Self { address_failures, tally: Tally::Shared(store) }
    }

    fn rule(max: u32) -> FailureRule {
        FailureRule { max, window_ms: millis(Self::WINDOW), lock_ms: millis(Self::LOCK) }
    }

    fn keys(&self, username: &str, client: ClientKey) -> Keys {
        let name: String = username.trim().to_lowercase().chars().take(64).collect();
        let ip = client.ip().to_string();
        Keys {
            user: limit_key("sign_in_user", &[&name, &ip]),
            username: limit_key("sign_in_username", &[&name]),
            address: (self.address_failures > 0).then(|| limit_key("sign_in_address", &[&ip])),
        }
    }

    /// Whether the username or the address must still wait, and how long, at `now_ms`
    /// (milliseconds since 1970).
    pub async fn locked(&self, username: &str, client: ClientKey, now_ms: i64) -> Result<Option<Locked>, StoreError> {
        let k = self.keys(username, client);
        let mut keys = vec![k.username.as_str(), k.user.as_str()];
        keys.extend(k.address.as_deref());
        let left: Vec<Option<i64>> = match &self.tally {
            Tally::Memory(map) => {
                let map = lock(map);
                keys.iter()
                    .map(|key| {
                        map.get(*key).and_then(|a| a.locked_until_ms).filter(|u| *u > now_ms).map(|u| u - now_ms)
                    })
                    .collect()
            }
            Tally::Shared(store) => store.locked_for(&keys, now_ms).await?,
        };
        let wait = |ms: i64| Duration::from_millis(ms.max(0).unsigned_abs());
        Ok(match left.as_slice() {
            [Some(w), ..] | [None, Some(w), ..] => Some(Locked::Username(wait(*w))),
            [None, None, Some(w)] => Some(Locked::Address(wait(*w))),
            _ => None,
        })
    }

    /// Counts a wrong password at `now_ms`.
    pub async fn failed(&self, username: &str, client: ClientKey, now_ms: i64) -> Result<(), StoreError> {
        let k = self.keys(username, client);
        let mut counts =
            vec![(k.user, Self::rule(Self::MAX_FAILURES)), (k.username, Self::rule(Self::MAX_USERNAME_FAILURES))];
        counts.extend(k.address.map(|a| (a, Self::rule(self.address_failures))));
        match &self.tally {
            Tally::Memory(map) => {
                let mut map = lock(map);
                for (key, rule) in counts {
                    count(&mut map, key, rule, now_ms);
                }
            }
            Tally::Shared(store) => {
                for (key, rule) in counts {
                    store.count_failure(&key, rule, now_ms).await?;
                }
            }
        }
        Ok(())
    }

    /// The password was right: that username's counts start afresh (not the address's).
    pub async fn succeeded(&self, username: &str, client: ClientKey) -> Result<(), StoreError> {
        let k = self.keys(username, client);
        match &self.tally {
            Tally::Memory(map) => {
                let mut map = lock(map);
                map.remove(&k.user);
                map.remove(&k.username);
            }
            Tally::Shared(store) => store.forget_failures(&[&k.user, &k.username]).await?,
        }
        Ok(())
    }
}

fn lock(map: &Mutex<HashMap<String, Attempts>>) -> MutexGuard<'_, HashMap<String, Attempts>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One wrong password against `key`, as the database counts it (`sql_limits.rs`): afresh once
/// the window or the lock has passed; reaching the maximum locks from now.
fn count(map: &mut HashMap<String, Attempts>, key: String, rule: FailureRule, now_ms: i64) {
    let stale = |a: &Attempts| a.first_ms <= now_ms - rule.window_ms && a.locked_until_ms.is_none_or(|u| u <= now_ms);
    if map.len() >= LoginGuard::MAX_KEYS {
        map.retain(|_, a| !stale(a));
        if map.len() >= LoginGuard::MAX_KEYS {
            map.clear();
        }
    }
    let a = map.entry(key).or_insert(Attempts { failures: 0, first_ms: now_ms, locked_until_ms: None });
    if a.first_ms <= now_ms - rule.window_ms || a.locked_until_ms.is_some_and(|u| u <= now_ms) {
        *a = Attempts { failures: 0, first_ms: now_ms, locked_until_ms: None };
    }
    a.failures += 1;
    if a.failures >= rule.max {
        a.locked_until_ms = Some(now_ms + rule.lock_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::{Locked, LoginGuard};
    use crate::throttle::ClientKey;
    use std::time::Duration;

    const T0: i64 = 1_800_000_000_000;

    fn ip(n: u8) -> ClientKey {
        ClientKey::of(std::net::IpAddr::from([203, 0, 113, n]))
    }

    fn at(d: Duration) -> i64 {
        T0 + super::millis(d)
    }

    #[tokio::test]
    async fn five_failures_lock_a_username_for_a_quarter_hour() {
        let g = LoginGuard::default();
        for i in 0..4 {
            g.failed("Stp.MotCua ", ip(1), at(Duration::from_secs(i))).await.unwrap();
            assert_eq!(g.locked("stp.motcua", ip(1), at(Duration::from_secs(i))).await.unwrap(), None);
        }
        let t = at(Duration::from_secs(10));
        g.failed("stp.motcua", ip(2), t).await.unwrap();
        assert_eq!(g.locked("stp.motcua", ip(1), t).await.unwrap(), None, "four from here, one from there");
        g.failed("stp.motcua", ip(1), t).await.unwrap();
        let left = g.locked("stp.motcua", ip(1), t).await.unwrap();
        assert_eq!(left, Some(Locked::Username(LoginGuard::LOCK)), "from the address that guessed");
        assert_eq!(
            g.locked("stp.motcua", ip(3), t).await.unwrap(),
            None,
            "the owner elsewhere can still sign in: a known username is not a lock-out"
        );
        assert_eq!(g.locked("another", ip(1), T0).await.unwrap(), None, "other usernames are not affected");
        let after = t + super::millis(LoginGuard::LOCK);
        assert_eq!(g.locked("stp.motcua", ip(1), after).await.unwrap(), None, "the lock ends");
        g.failed("stp.motcua", ip(1), after).await.unwrap();
        assert_eq!(g.locked("stp.motcua", ip(1), after).await.unwrap(), None, "and counting starts again");
    }

    #[tokio::test]
    async fn failures_spread_out_or_followed_by_success_do_not_lock() {
        let g = LoginGuard::default();
        for i in 0..10u32 {
            g.failed("a", ip(1), at(LoginGuard::WINDOW * i)).await.unwrap();
        }
        assert_eq!(g.locked("a", ip(1), at(LoginGuard::WINDOW * 10)).await.unwrap(), None);
        for _ in 0..4 {
            g.failed("b", ip(1), T0).await.unwrap();
        }
        g.succeeded("b", ip(1)).await.unwrap();
        g.failed("b", ip(1), T0).await.unwrap();
        assert_eq!(g.locked("b", ip(1), T0).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_campaign_over_many_addresses_locks_the_username_everywhere() {
        let g = LoginGuard::new(0);
        for i in 0..LoginGuard::MAX_USERNAME_FAILURES {
            let from = ClientKey::of(std::net::IpAddr::from([198, 51, (i / 200) as u8, (i % 200) as u8]));
            assert_eq!(g.locked("halong.lanhdao", from, T0).await.unwrap(), None, "failure {i}");
            g.failed("halong.lanhdao", from, T0).await.unwrap();
        }
        assert_eq!(g.locked("halong.lanhdao", ip(77), T0).await.unwrap(), Some(Locked::Username(LoginGuard::LOCK)));
        g.succeeded("halong.lanhdao", ip(77)).await.unwrap();
        assert_eq!(
            g.locked("halong.lanhdao", ip(77), T0).await.unwrap(),
            None,
            "a right password starts the count afresh"
        );
    }

    #[tokio::test]
    async fn one_address_spraying_many_usernames_is_locked() {
        let g = LoginGuard::new(30);
        for i in 0..29 {
            g.failed(&format!("user{i}"), ip(9), T0).await.unwrap();
            // A success in between does not wipe the address's count.
            g.succeeded("stp.motcua", ip(9)).await.unwrap();
        }
        assert_eq!(g.locked("new.user", ip(9), T0).await.unwrap(), None);
        g.failed("user29", ip(9), T0).await.unwrap();
        assert_eq!(g.locked("new.user", ip(9), T0).await.unwrap(), Some(Locked::Address(LoginGuard::LOCK)));
        assert_eq!(g.locked("new.user", ip(10), T0).await.unwrap(), None, "other addresses are not affected");
        assert_eq!(g.locked("new.user", ip(9), at(LoginGuard::LOCK)).await.unwrap(), None, "the lock ends");
        let off = LoginGuard::new(0);
        for i in 0..100 {
            off.failed(&format!("user{i}"), ip(9), T0).await.unwrap();
        }
        assert_eq!(off.locked("new.user", ip(9), T0).await.unwrap(), None, "0 turns the address count off");
    }
}

//! Quotas per address and wrong-password counts kept in the database, so that every server
//! on one PostgreSQL database counts against the same limits (`crates/motcua/src/throttle.rs`
//! and `accounts/lockout.rs` decide when to use them; SQLite's one server counts in memory).
//! Keys are opaque strings the caller chooses (hashes); times are milliseconds since 1970 by
//! the caller's clock.

use async_trait::async_trait;

use crate::Result;

/// A quota: `burst` requests at once, then one every `interval_ms` (the generic cell rate
/// algorithm, as the in-memory limiter counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRule {
    pub burst: u32,
    pub interval_ms: i64,
}

impl QuotaRule {
    /// `n` a minute, as a burst of `n` then one every 60/`n` seconds.
    pub fn per_minute(n: std::num::NonZeroU32) -> Self {
        Self { burst: n.get(), interval_ms: (60_000 / i64::from(n.get())).max(1) }
    }
}

/// When wrong passwords lock a key: `max` within `window_ms` lock it for `lock_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRule {
    pub max: u32,
    pub window_ms: i64,
    pub lock_ms: i64,
}

#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Takes one request from `key`'s quota at `now_ms`: `None` when it may pass, or how many
    /// milliseconds until it could. One statement: servers asking at once are counted in turn.
    async fn take_quota(&self, key: &str, rule: QuotaRule, now_ms: i64) -> Result<Option<i64>>;
    /// Counts one wrong password against `key`; the count starts afresh once its window or its
    /// lock has passed, and reaching `rule.max` locks the key from `now_ms`.
    async fn count_failure(&self, key: &str, rule: FailureRule, now_ms: i64) -> Result<()>;
    /// For each of `keys`, in order, how many milliseconds it stays locked (`None`: it is not).
    async fn locked_for(&self, keys: &[&str], now_ms: i64) -> Result<Vec<Option<i64>>>;
    /// Forgets the wrong passwords of `keys` (a right password was given).
    async fn forget_failures(&self, keys: &[&str]) -> Result<()>;
    /// Drops quotas refilled by `now_ms` and counts older than `window_ms` that lock nothing
    /// (they would start afresh anyway); how many rows went.
    async fn sweep_limits(&self, now_ms: i64, window_ms: i64) -> Result<u64>;
}

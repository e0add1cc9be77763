//! Per-address limits on what anyone may do without signing in: looking dossiers,
//! bookings and signed results up by their codes (which would otherwise let one address
//! walk through every code), and the anonymous writes (bookings, queue tickets, kiosk codes,
//! registrations) that one address could otherwise repeat until a day's slots or tickets
//! are gone. Wrong passwords are counted apart, by `LoginGuard` in `accounts/lockout.rs`.
//!
//! Which routes are limited is one table, [`LIMITED`]; a request over its quota gets 429
//! `rate_limited` with `Retry-After`, as JSON under `/api/` and as a page elsewhere. The
//! address is the TCP peer's, or — when the peer is a proxy named in
//! [`Limits::trusted_proxies`] — the nearest address in `X-Forwarded-For` that is not one of
//! them. IPv6 addresses count by their /64 network, which one subscriber usually holds whole.
//!
//! One server counts in memory. On PostgreSQL, where several servers may share the database
//! behind one load balancer, every request is also counted in the database
//! ([`motcua_store::limits::LimitStore`], one statement on an unlogged table), so the quota
//! holds in total, not once per server; the memory count stays in front of it, so a flood a
//! server already refuses costs the database nothing.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use motcua_store::limits::{LimitStore, QuotaRule};
use sha2::{Digest, Sha256};

/// Who is asking, as far as limits go: an IPv4 address, or the /64 network of an IPv6 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Self(IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
                }
            },
        }
    }

    /// What the key stands for (an address, or a /64 network).
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    /// Set for every routed request by [`middleware`]; a router without it (none is built so)
    /// would put every caller under one key, never let them all through.
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientKey>().copied().unwrap_or(ClientKey(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// What a limited route costs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Finding something by a code anyone might guess.
    Lookup,
    /// Taking something scarce, or sending a message, without signing in.
    PublicWrite,
}

/// Every limited route: method, route as declared, class. The method stands for its kind: a
/// row with `GET` limits every reading method on the route (`HEAD`, which axum answers on
/// every GET route, and `OPTIONS`), a row with `POST` every writing one, so no spelling of a
/// request escapes its quota. Routes not listed are not limited by address (signed-in work is bounded by roles and sessions; sign-in by `LoginGuard` in `accounts/lockout.rs`).
pub const LIMITED: &[(Method, &str, Class)] = &[
    (Method::GET, "/api/v1/track/{code}", Class::Lookup),
    (Method::GET, "/tra-cuu", Class::Lookup),
    (Method::GET, "/kiosk/{centre}/tra-cuu", Class::Lookup),
    (Method::GET, "/api/v1/appointments/{code}", Class::Lookup),
    (Method::POST, "/lich-hen/tra-cuu", Class::Lookup),
    (Method::GET, "/api/v1/verify/{number}", Class::Lookup),
    (Method::GET, "/xac-minh", Class::Lookup),
    (Method::GET, "/xac-minh/{number}", Class::Lookup),
    (Method::POST, "/api/v1/appointments", Class::PublicWrite),
    (Method::POST, "/api/v1/appointments/{code}/reschedule", Class::PublicWrite),
    (Method::POST, "/api/v1/appointments/{code}/cancel", Class::PublicWrite),
    (Method::POST, "/lich-hen/diem/{point}", Class::PublicWrite),
    (Method::POST, "/lich-hen/doi", Class::PublicWrite),
    (Method::POST, "/lich-hen/huy", Class::PublicWrite),
    (Method::POST, "/api/v1/queue/{centre}/tickets", Class::PublicWrite),
    (Method::POST, "/kiosk/{centre}/so", Class::PublicWrite),
    (Method::POST, "/api/v1/kiosk/code", Class::PublicWrite),
    (Method::POST, "/kiosk/{centre}/cua-toi", Class::PublicWrite),
    (Method::POST, "/api/v1/kiosk/session", Class::PublicWrite),
    (Method::POST, "/kiosk/{centre}/xac-thuc", Class::PublicWrite),
    (Method::POST, "/api/v1/accounts", Class::PublicWrite),
    (Method::POST, "/api/v1/accounts/confirm", Class::PublicWrite),
    (Method::POST, "/dang-ky", Class::PublicWrite),
    (Method::POST, "/dang-ky/xac-nhan", Class::PublicWrite),
    (Method::POST, "/api/v1/auth/password-reset", Class::PublicWrite),
    (Method::POST, "/api/v1/auth/password-reset/confirm", Class::PublicWrite),
    (Method::POST, "/quen-mat-khau", Class::PublicWrite),
    (Method::POST, "/quen-mat-khau/dat-lai", Class::PublicWrite),
    // Each start keeps a request to the identity provider for ten minutes.
    (Method::GET, "/dang-nhap/vneid", Class::PublicWrite),
    (Method::GET, "/dang-nhap/vneid/ve", Class::Lookup),
    (Method::POST, "/dang-nhap/vneid/lien-ket", Class::PublicWrite),
    // A kiosk's phone sign-in asks the provider for a device code and keeps it. (Its polls
    // are not limited: every kiosk of a centre shares one address, and a poll without a live
    // ticket costs one lookup by hash.)
    (Method::POST, "/kiosk/{centre}/vneid", Class::PublicWrite),
];

/// The class of a request, if its route is limited (see [`LIMITED`] for how methods match).
pub fn class_of(method: &Method, route: &str) -> Option<Class> {
    let reads = |m: &Method| matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS);
    LIMITED.iter().find(|(m, r, _)| *r == route && reads(m) == reads(method)).map(|(_, _, c)| *c)
}

/// The quotas, per address (0: no limit of that kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Lookups by code per minute (as a burst, then one every 60/N seconds).
    pub lookups_per_minute: u32,
    /// Anonymous writes per minute (likewise).
    pub public_writes_per_minute: u32,
    /// Wrong passwords per quarter of an hour (`LoginGuard::WINDOW` in `accounts/lockout.rs`) before the
    /// address is locked.
    pub sign_in_failures: u32,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lookups_per_minute: Self::LOOKUPS_PER_MINUTE,
            public_writes_per_minute: Self::PUBLIC_WRITES_PER_MINUTE,
            sign_in_failures: Self::SIGN_IN_FAILURES,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Limits {
    /// One a second: far above one person's tracking, far below walking through codes.
    pub const LOOKUPS_PER_MINUTE: u32 = 60;
    /// One every two seconds: a centre's kiosks behind one address at the morning rush
    /// issue fewer tickets than that.
    pub const PUBLIC_WRITES_PER_MINUTE: u32 = 30;
    /// Wrong passwords from one address within the window, by default (a commune office
    /// behind one address has many officers; a spray tries many usernames).
    pub const SIGN_IN_FAILURES: u32 = 30;

    /// No limit by address at all (load tests from one machine).
    pub fn off() -> Self {
        Self { lookups_per_minute: 0, public_writes_per_minute: 0, sign_in_failures: 0, trusted_proxies: Vec::new() }
    }
}

/// The limiters of one server, and the database's count when servers share one.
pub struct Throttle {
    lookups: ClassQuota,
    writes: ClassQuota,
    shared: Option<std::sync::Arc<dyn LimitStore>>,
    trusted: Vec<IpAddr>,
}

/// One class's quota (none when its limit is 0): counted in this process, and the same rule
/// as the database counts it, under the class's name.
struct ClassQuota {
    here: Option<DefaultKeyedRateLimiter<ClientKey>>,
    rule: Option<QuotaRule>,
    name: &'static str,
}

impl ClassQuota {
    fn per_minute(n: u32, name: &'static str) -> Self {
        let n = NonZeroU32::new(n);
        Self { here: n.map(|n| RateLimiter::keyed(Quota::per_minute(n))), rule: n.map(QuotaRule::per_minute), name }
    }
}

/// The key a count is kept under in the database: a hash of what it counts (an address, a
/// username), so the table holds neither.
pub(crate) fn limit_key(kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for p in parts {
        h.update([0x1f]);
        h.update(p.as_bytes());
    }
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since 1970 now (the clock counts in the database are kept by).
pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Throttle {
    /// Counting in this process only (one server).
    pub fn new(limits: &Limits) -> Self {
        Self {
            lookups: ClassQuota::per_minute(limits.lookups_per_minute, "lookup"),
            writes: ClassQuota::per_minute(limits.public_writes_per_minute, "public_write"),
            shared: None,
            trusted: limits.trusted_proxies.clone(),
        }
    }

    /// Counting in `store` too, which every server sharing the database counts in.
    pub fn shared(limits: &Limits, store: std::sync::Arc<dyn LimitStore>) -> Self {
        Self { shared: Some(store), ..Self::new(limits) }
    }

    /// The key of the caller: the peer, or the client a trusted proxy forwarded for.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientKey {
        ClientKey::of(forwarded_client(peer, headers, &self.trusted))
    }

    /// Counts one request; the wait before the next when over the quota. Should the
    /// database's count fail, this server's own still holds (and the failure is logged).
    pub async fn check(&self, class: Class, key: ClientKey) -> Result<(), Duration> {
        let quota = match class {
            Class::Lookup => &self.lookups,
            Class::PublicWrite => &self.writes,
        };
        if let Some(l) = &quota.here {
            l.check_key(&key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))?;
        }
        let (Some(store), Some(rule)) = (&self.shared, quota.rule) else { return Ok(()) };
        let ip = key.ip().to_string();
        match store.take_quota(&limit_key(quota.name, &[&ip]), rule, now_ms()).await {
            Ok(None) => Ok(()),
            Ok(Some(wait_ms)) => Err(Duration::from_millis(wait_ms.max(0).unsigned_abs())),
            Err(e) => {
                tracing::warn!(error = %e, "shared quota not counted");
                Ok(())
            }
        }
    }

    /// Drops the keys whose quota has refilled (they would start afresh anyway), here and in
    /// the database's counts, with wrong passwords older than `failure_window`.
    pub async fn forget_idle(&self, failure_window: Duration) {
        for l in [&self.lookups.here, &self.writes.here].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(store) = &self.shared {
            let window = i64::try_from(failure_window.as_millis()).unwrap_or(i64::MAX);
            if let Err(e) = store.sweep_limits(now_ms(), window).await {
                tracing::warn!(error = %e, "shared quotas not swept");
            }
        }
    }
}

/// Live event streams held open per address: each holds a connection for as long as the
/// page is open, so one address opening thousands would starve everyone else.
pub struct StreamSlots {
    max: usize,
    open: std::sync::Mutex<std::collections::HashMap<ClientKey, usize>>,
}

/// One open stream; its place is given back when the stream (and so this) is dropped.
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    key: ClientKey,
}

impl StreamSlots {
    /// At most `max` streams per address (0: no limit).
    pub fn new(max: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self { max, open: Default::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<ClientKey, usize>> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for one more stream from `key`, if it has one left.
    pub fn open(self: &std::sync::Arc<Self>, key: ClientKey) -> Option<StreamSlot> {
        let mut open = self.lock();
        let n = open.entry(key).or_insert(0);
        if self.max > 0 && *n >= self.max {
            return None;
        }
        *n += 1;
        Some(StreamSlot { slots: self.clone(), key })
    }

    /// Streams open from `key` now.
    pub fn held(&self, key: ClientKey) -> usize {
        self.lock().get(&key).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// `X-Forwarded-For` read right to left: each trusted proxy vouches for the hop before it, so
/// the first address that is not a trusted proxy is the client's. Anything unreadable stops
/// the walk at the last address vouched for.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| ClientKey::of(*t) == ClientKey::of(*ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        let h = headers(&["198.51.100.7, 203.0.113.9"]);
        assert_eq!(forwarded_client(ip("192.0.2.1"), &h, &trusted), ip("192.0.2.1"), "an untrusted peer is the client");
        assert_eq!(forwarded_client(proxy, &h, &trusted), ip("203.0.113.9"), "the hop the proxy saw, not a forged one");
        let chain = headers(&["198.51.100.7", "203.0.113.9, 10.0.0.3"]);
        assert_eq!(forwarded_client(proxy, &chain, &trusted), ip("203.0.113.9"), "through two proxies");
        assert_eq!(forwarded_client(proxy, &headers(&[]), &trusted), proxy, "no header: the proxy itself");
        assert_eq!(forwarded_client(proxy, &headers(&["203.0.113.9, bogus"]), &trusted), proxy, "unreadable hop");
        assert_eq!(forwarded_client(proxy, &headers(&["[2001:db8::1]:4711"]), &trusted), ip("2001:db8::1"));
        assert_eq!(forwarded_client(proxy, &headers(&["203.0.113.9:80"]), &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn ipv6_counts_by_its_64_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(ClientKey::of(ip("2001:db8:1:2:aaaa::1")), ClientKey::of(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(ClientKey::of(ip("2001:db8:1:2::1")), ClientKey::of(ip("2001:db8:1:3::1")));
        assert_eq!(ClientKey::of(ip("::ffff:203.0.113.9")), ClientKey::of(ip("203.0.113.9")));
        assert_ne!(ClientKey::of(ip("203.0.113.9")), ClientKey::of(ip("203.0.113.10")));
    }

    #[tokio::test]
    async fn a_quota_is_a_burst_then_refused_with_a_wait_per_address() {
        let t = Throttle::new(&Limits { lookups_per_minute: 3, public_writes_per_minute: 0, ..Limits::default() });
        let a = ClientKey::of(ip("203.0.113.1"));
        let b = ClientKey::of(ip("203.0.113.2"));
        for _ in 0..3 {
            assert_eq!(t.check(Class::Lookup, a).await, Ok(()));
        }
        let wait = t.check(Class::Lookup, a).await.expect_err("the fourth in a minute");
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "one per 20 s refills: {wait:?}");
        assert_eq!(t.check(Class::Lookup, b).await, Ok(()), "another address has its own quota");
        for _ in 0..100 {
            assert_eq!(t.check(Class::PublicWrite, a).await, Ok(()), "0 is no limit");
        }
    }

    #[test]
    fn database_keys_name_neither_address_nor_kind_in_clear() {
        let k = limit_key("lookup", &["203.0.113.1"]);
        assert_eq!(k.len(), 32);
        assert!(!k.contains("203") && !k.contains("lookup"));
        assert_ne!(k, limit_key("public_write", &["203.0.113.1"]), "each kind its own count");
        assert_ne!(limit_key("u", &["ab", "c"]), limit_key("u", &["a", "bc"]), "parts are separated");
    }

    #[test]
    fn stream_slots_are_counted_per_address_and_given_back() {
        let slots = StreamSlots::new(2);
        let a = ClientKey::of(ip("203.0.113.1"));
        let first = slots.open(a).expect("one");
        let _second = slots.open(a).expect("two");
        assert!(slots.open(a).is_none(), "the third from one address");
        assert!(slots.open(ClientKey::of(ip("203.0.113.2"))).is_some(), "another address");
        drop(first);
        assert_eq!(slots.held(a), 1);
        assert!(slots.open(a).is_some(), "a closed stream gives its place back");
    }

    #[test]
    fn the_table_names_each_route_once() {
        for (i, (m, r, _)) in LIMITED.iter().enumerate() {
            assert!(!LIMITED[..i].iter().any(|(m2, r2, _)| m2 == m && r2 == r), "{m} {r} twice");
        }
        assert_eq!(class_of(&Method::GET, "/api/v1/track/{code}"), Some(Class::Lookup));
        assert_eq!(class_of(&Method::HEAD, "/api/v1/track/{code}"), Some(Class::Lookup), "HEAD is a GET");
        assert_eq!(class_of(&Method::POST, "/api/v1/track/{code}"), None);
        assert_eq!(class_of(&Method::PUT, "/api/v1/appointments/{code}/cancel"), Some(Class::PublicWrite));
        assert_eq!(class_of(&Method::GET, "/lich-hen/diem/{point}"), None, "the form page is not the booking");
    }
}

//! Quotas and wrong-password counts kept in the database (`LimitStore`), on both engines:
//! the arithmetic of a burst and its refill, locks and their ends, and many requests at once
//! from several servers taking exactly the quota.

use std::sync::Arc;

use motcua_store::Store;
use motcua_store::limits::{FailureRule, QuotaRule};
use motcua_store::testing::{Engine, TestDb};

const T0: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;

pub async fn quotas_pass_a_burst_then_refill(s: Arc<dyn Store>) {
    let rule = QuotaRule::per_minute(std::num::NonZeroU32::new(3).unwrap());
    assert_eq!(rule, QuotaRule { burst: 3, interval_ms: 20_000 });
    for i in 0..3 {
        assert_eq!(s.take_quota("a", rule, T0 + i).await.unwrap(), None, "request {i} of the burst");
    }
    let wait = s.take_quota("a", rule, T0 + 3).await.unwrap().expect("the fourth at once is refused");
    assert!((19_990..=20_000).contains(&wait), "one refills in 20 s: {wait}");
    assert_eq!(s.take_quota("a", rule, T0 + 10_000).await.unwrap(), Some(10_000), "a refusal takes nothing");
    assert_eq!(s.take_quota("b", rule, T0 + 3).await.unwrap(), None, "another key has its own quota");
    assert_eq!(s.take_quota("a", rule, T0 + 20_000).await.unwrap(), None, "refilled by one");
    assert!(s.take_quota("a", rule, T0 + 20_001).await.unwrap().is_some(), "and only one");
    assert_eq!(s.take_quota("a", rule, T0 + 10 * MINUTE).await.unwrap(), None, "idle long: a burst again");
    for i in 1..3 {
        assert_eq!(s.take_quota("a", rule, T0 + 10 * MINUTE + i).await.unwrap(), None);
    }
    assert!(s.take_quota("a", rule, T0 + 10 * MINUTE + 3).await.unwrap().is_some());
}

pub async fn failures_lock_at_their_maximum_and_start_afresh(s: Arc<dyn Store>) {
    let rule = FailureRule { max: 3, window_ms: 15 * MINUTE, lock_ms: 15 * MINUTE };
    let keys = ["user", "address"];
    for i in 0..2 {
        s.count_failure("user", rule, T0 + i).await.unwrap();
    }
    assert_eq!(s.locked_for(&keys, T0 + 2).await.unwrap(), vec![None, None], "two of three");
    s.count_failure("user", rule, T0 + 1000).await.unwrap();
    assert_eq!(s.locked_for(&keys, T0 + 1000).await.unwrap(), vec![Some(15 * MINUTE), None], "the third locks");
    assert_eq!(s.locked_for(&keys, T0 + 1000 + 15 * MINUTE).await.unwrap(), vec![None, None], "until the lock ends");
    s.count_failure("user", rule, T0 + 1000 + 15 * MINUTE).await.unwrap();
    assert_eq!(
        s.locked_for(&["user"], T0 + 1000 + 15 * MINUTE).await.unwrap(),
        vec![None],
        "a fresh count after a lock"
    );

    // Spread out over more than the window: never locked.
    for i in 0..6 {
        s.count_failure("slow", rule, T0 + i * 8 * MINUTE).await.unwrap();
        assert_eq!(s.locked_for(&["slow"], T0 + i * 8 * MINUTE).await.unwrap(), vec![None], "failure {i}");
    }
    // A right password forgets the count.
    s.count_failure("user2", rule, T0).await.unwrap();
    s.count_failure("user2", rule, T0).await.unwrap();
    s.forget_failures(&["user2", "nobody"]).await.unwrap();
    s.count_failure("user2", rule, T0).await.unwrap();
    assert_eq!(s.locked_for(&["user2"], T0).await.unwrap(), vec![None]);
    assert_eq!(s.locked_for(&[], T0).await.unwrap(), Vec::<Option<i64>>::new());

    // The sweep drops what would start afresh and keeps what still counts.
    s.take_quota("old", QuotaRule { burst: 1, interval_ms: 1000 }, T0).await.unwrap();
    let swept = s.sweep_limits(T0 + 60 * MINUTE, 15 * MINUTE).await.unwrap();
    assert!(swept >= 4, "refilled quotas and old counts go: {swept}");
    s.count_failure("recent", rule, T0 + 60 * MINUTE).await.unwrap();
    s.count_failure("recent", rule, T0 + 60 * MINUTE).await.unwrap();
    assert_eq!(s.sweep_limits(T0 + 61 * MINUTE, 15 * MINUTE).await.unwrap(), 0);
    s.count_failure("recent", rule, T0 + 61 * MINUTE).await.unwrap();
    assert!(s.locked_for(&["recent"], T0 + 61 * MINUTE).await.unwrap()[0].is_some(), "the kept count went on");
}

/// Many requests at once through several connections (on PostgreSQL, two pools: two servers)
/// take exactly the burst, and as many wrong passwords at once lock exactly as counted.
async fn many_at_once_take_exactly_the_quota(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else { return };
    let other = match engine {
        Engine::Postgres => motcua_store::connect(&db.url, &motcua_store::ConnectOptions::default()).await.unwrap(),
        Engine::Sqlite => db.store.clone(),
    };
    let rule = QuotaRule { burst: 10, interval_ms: MINUTE };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = if i % 2 == 0 { db.store.clone() } else { other.clone() };
        tasks.spawn(async move { s.take_quota("shared", rule, T0).await.unwrap().is_none() });
    }
    let passed = tasks.join_all().await.into_iter().filter(|p| *p).count();
    assert_eq!(passed, 10, "the burst, not a burst per server");

    let fail = FailureRule { max: 25, window_ms: 15 * MINUTE, lock_ms: 15 * MINUTE };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let s = if i % 2 == 0 { db.store.clone() } else { other.clone() };
        tasks.spawn(async move { s.count_failure("spray", fail, T0).await.unwrap() });
    }
    tasks.join_all().await;
    assert_eq!(other.locked_for(&["spray"], T0).await.unwrap(), vec![None], "24 of 25: every one counted, none twice");
    db.store.count_failure("spray", fail, T0).await.unwrap();
    assert!(other.locked_for(&["spray"], T0).await.unwrap()[0].is_some(), "the 25th locks, seen by the other server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_many_at_once_take_exactly_the_quota() {
    many_at_once_take_exactly_the_quota(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_many_at_once_take_exactly_the_quota() {
    many_at_once_take_exactly_the_quota(Engine::Postgres).await;
}

//! Several servers on one PostgreSQL database, as behind a load balancer (issue 21): live
//! pages connected to one server follow changes made on another (`app/events.rs`, PostgreSQL
//! `LISTEN`/`NOTIFY`). Shared quotas are tested in `limits.rs`, background work taken once in
//! the store's conformance suite and `documents.rs`.

use std::time::{Duration, Instant};

use crate::common::{TestApp, json};
use motcua_store::testing::Engine;
use serde_json::json;

/// Reads server-sent events from `r` until one contains `needle`, for at most `within`; the
/// text read.
async fn until(r: &mut reqwest::Response, needle: &str, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = String::new();
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("{needle} not seen within {within:?}: {seen}"))
            .expect("stream")
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_ticket_called_on_one_server_reaches_a_display_on_another_within_a_second() {
    let Some(one) = TestApp::spawn(Engine::Postgres).await else { return };
    let two = one.beside(|_| {}).await;
    let centre = one.org_of("halong.motcua").await;

    let mut display = two.client.get(two.url(&format!("/api/v1/queue/{centre}/events"))).send().await.unwrap();
    assert_eq!(display.status(), 200);
    until(&mut display, "event: board", Duration::from_secs(10)).await;
    // The listening connection of server two is up before the first change (a display opened
    // while a server starts would get the board as it is, as here).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let r = one.client.post(one.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": "A"})).send();
    let (s, ticket) = json(r.await.unwrap()).await;
    assert_eq!(s, 201, "{ticket}");
    let label = ticket["label"].as_str().expect("label").to_owned();
    until(&mut display, "\"waiting\":1", Duration::from_secs(1)).await;

    let officer = one.token("halong.motcua").await;
    let started = Instant::now();
    let (s, v) =
        json(one.post_json(&format!("/api/v1/queue/{centre}/counters/1/next"), &officer, json!({})).await).await;
    assert_eq!((s, v["ticket"]["label"].as_str()), (200, Some(label.as_str())), "{v}");
    let seen = until(&mut display, "\"called\":[{", Duration::from_secs(1)).await;
    let took = started.elapsed();
    assert!(seen.contains(&label), "{seen}");
    assert!(took < Duration::from_secs(1), "the call reached the other server's display in {took:?}");

    // The operations centre's live refresh on server two follows a submission on server one.
    let mut figures = two.client.get(two.url("/api/v1/stats/events")).send().await.unwrap();
    assert_eq!(figures.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let citizen = one.token("congdan").await;
    one.submit_online(&citizen).await;
    until(&mut figures, "event: change", Duration::from_secs(3)).await;
}

/// Without a shared database nothing is relayed, and nothing breaks: a SQLite server's
/// display follows its own changes (see `service.rs`); here, the relay of a SQLite server
/// stops at once and its events stay local.
#[tokio::test]
async fn sqlite_events_stay_in_their_server() {
    let db = motcua_store::testing::TestDb::new(Engine::Sqlite).await.unwrap();
    let events = std::sync::Arc::new(motcua::app::events::Events::new());
    let store: std::sync::Arc<dyn motcua_store::events::EventStore> = db.store.clone();
    tokio::time::timeout(Duration::from_secs(5), events.clone().run(store)).await.expect("returns at once");
    let mut rx = events.queue_changes();
    events.queue_changed("000.00.37.H22");
    assert_eq!(rx.try_recv().unwrap(), "000.00.37.H22");
}

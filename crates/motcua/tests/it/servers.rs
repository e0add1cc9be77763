//! Several servers on one PostgreSQL database, as behind a load balancer (issue 21): live
//! pages connected to one server follow changes made on another (`app/events.rs`, PostgreSQL
//! `LISTEN`/`NOTIFY`); what a Prometheus scraper reads at `/metrics` (`server/metrics.rs`). Shared quotas are tested in `limits.rs`, background work taken once in
//! the store's conformance suite and `documents.rs`.

use std::time::{Duration, Instant};

use crate::common::{TestApp, json, read_events_until};
use motcua_store::testing::Engine;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_ticket_called_on_one_server_reaches_a_display_on_another_within_a_second() {
    let Some(one) = TestApp::spawn(Engine::Postgres).await else { return };
    let two = one.beside(|_| {}).await;
    let centre = one.org_of("halong.motcua").await;

    let mut display = two.client.get(two.url(&format!("/api/v1/queue/{centre}/events"))).send().await.unwrap();
    assert_eq!(display.status(), 200);
    read_events_until(&mut display, "event: board", Duration::from_secs(10)).await;
    // The listening connection of server two is up before the first change (a display opened
    // while a server starts would get the board as it is, as here).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let r = one.client.post(one.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": "A"})).send();
    let (s, ticket) = json(r.await.unwrap()).await;
    assert_eq!(s, 201, "{ticket}");
    let label = ticket["label"].as_str().expect("label").to_owned();
    read_events_until(&mut display, "\"waiting\":1", Duration::from_secs(1)).await;

    let officer = one.token("halong.motcua").await;
    let started = Instant::now();
    let (s, v) =
        json(one.post_json(&format!("/api/v1/queue/{centre}/counters/1/next"), &officer, json!({})).await).await;
    assert_eq!((s, v["ticket"]["label"].as_str()), (200, Some(label.as_str())), "{v}");
    let seen = read_events_until(&mut display, "\"called\":[{", Duration::from_secs(1)).await;
    let took = started.elapsed();
    assert!(seen.contains(&label), "{seen}");
    assert!(took < Duration::from_secs(1), "the call reached the other server's display in {took:?}");

    // The operations centre's live refresh on server two follows a submission on server one.
    let mut figures = two.client.get(two.url("/api/v1/stats/events")).send().await.unwrap();
    assert_eq!(figures.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let citizen = one.token("congdan").await;
    one.submit_online(&citizen).await;
    read_events_until(&mut figures, "event: change", Duration::from_secs(3)).await;
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

const SCRAPER: &str = "ma-doc-so-lieu-thu-nghiem";

/// The value of the first sample of `series` (name and labels as written) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
}

async fn metrics_count_routes_and_read_backlogs(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |s| s.metrics_token = Some(motcua::app::Secret(SCRAPER.into()))).await
    else {
        return;
    };
    let scrape = || app.client.get(app.url("/metrics")).bearer_auth(SCRAPER).send();
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    crate::common::assert_error(r, 401, "unauthenticated").await;
    let r = app.client.get(app.url("/metrics")).bearer_auth("doan-mo").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let officer = app.token("halong.motcua").await;
    let r = app.client.get(app.url("/metrics")).bearer_auth(&officer).send().await.unwrap();
    assert_eq!(r.status(), 401, "a session is not the scraper's token");

    let before = scrape().await.unwrap().text().await.unwrap();
    let series = r#"motcua_http_requests_total{method="GET",route="/api/v1/procedures",status="200"}"#;
    let counted = sample(&before, series).unwrap_or(0.0);
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/procedures?limit=1").await.status(), 200);
    }
    // A random path adds no series of its own.
    assert_eq!(app.get("/api/v1/khong-co-duong-nay-8f3a").await.status(), 404);
    let centre = app.org_of("halong.motcua").await;
    let r = app.client.post(app.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": "A"})).send();
    assert_eq!(r.await.unwrap().status(), 201);

    let r = scrape().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    // Other servers in this test process share the recorder: counts only grow by ours.
    assert!(sample(&text, series).unwrap() >= counted + 3.0, "{text}");
    assert!(!text.contains("khong-co-duong-nay"), "no series per unknown path");
    assert!(
        text.contains(
            r#"motcua_http_request_duration_seconds_bucket{method="GET",route="/api/v1/procedures",le="0.05"}"#
        )
    );
    assert!(sample(&text, "motcua_db_pool_connections").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, "motcua_notifications_waiting").is_some());
    assert!(sample(&text, "motcua_documents_outbox_waiting").is_some());
    assert_eq!(sample(&text, &format!("motcua_queue_tickets_waiting{{centre=\"{centre}\"}}")), Some(1.0), "{text}");

    // Without a token configured there is no /metrics at all.
    let Some(plain) = TestApp::spawn(engine).await else { return };
    let r = plain.client.get(plain.url("/metrics")).bearer_auth(SCRAPER).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_metrics_count_routes_and_read_backlogs() {
    metrics_count_routes_and_read_backlogs(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_metrics_count_routes_and_read_backlogs() {
    metrics_count_routes_and_read_backlogs(Engine::Postgres).await;
}

/// `NOTIFY` reaches every listener of the database: two deployments kept apart by schema in
/// one database (as each test here is) hear only their own changes.
#[tokio::test]
async fn postgres_deployments_in_other_schemas_do_not_hear_each_other() {
    let Some(ours) = motcua_store::testing::TestDb::new(Engine::Postgres).await else { return };
    let Some(theirs) = motcua_store::testing::TestDb::new(Engine::Postgres).await else { return };
    let mut listener = ours.store.listen().await.unwrap().expect("PostgreSQL listens");
    let mut other = theirs.store.listen().await.unwrap().expect("PostgreSQL listens");
    theirs.store.notify("cua-ho").await.unwrap();
    ours.store.notify("cua-minh").await.unwrap();
    let wait = Duration::from_secs(2);
    let first = tokio::time::timeout(wait, listener.next()).await.unwrap().unwrap();
    assert_eq!(first.as_deref(), Some("cua-minh"), "ours, not theirs");
    let first = tokio::time::timeout(wait, other.next()).await.unwrap().unwrap();
    assert_eq!(first.as_deref(), Some("cua-ho"), "theirs, not ours");
    let more = tokio::time::timeout(Duration::from_millis(300), listener.next()).await;
    assert!(more.is_err(), "nothing else reached us: {more:?}");
}

/// A stream of changes (a busy desk) goes to the other servers in a few notifications, not one
/// per change: 200 changes a couple of milliseconds apart reach a listening server as about
/// one notification per 50 ms pause, not 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_stream_of_changes_goes_out_in_few_notifications() {
    let Some(db) = motcua_store::testing::TestDb::new(Engine::Postgres).await else { return };
    let store: std::sync::Arc<dyn motcua_store::events::EventStore> = db.store.clone();
    let mut listener = store.listen().await.unwrap().expect("PostgreSQL listens");
    let events = std::sync::Arc::new(motcua::app::events::Events::new());
    let relay = tokio::spawn(events.clone().run(store.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    for _ in 0..200 {
        events.dossiers_changed();
        tokio::time::sleep(Duration::from_micros(1500)).await;
    }
    let pauses = (started.elapsed().as_millis() / 50) as usize;
    let mut received = 0;
    while let Ok(Ok(Some(payload))) = tokio::time::timeout(Duration::from_millis(500), listener.next()).await {
        assert!(payload.lines().skip(1).all(|l| l == "d"), "{payload}");
        received += 1;
    }
    relay.abort();
    assert!(
        (1..=pauses + 3).contains(&received) && received < 50,
        "{received} notifications for 200 changes over {pauses} pauses of 50 ms"
    );
}

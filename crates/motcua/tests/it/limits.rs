//! Per-address quotas (`crates/motcua/src/throttle.rs`) over real HTTP: lookups by code and
//! anonymous writes past their quota get 429 with Retry-After (JSON on the API, a page on the
//! web), a forged X-Forwarded-For changes nothing unless the peer is a trusted proxy, one
//! address spraying passwords over many usernames is locked, nothing refused is written, and
//! every route of the table is one the server has.

use crate::common;

use common::{TestApp, assert_error, json};
use motcua::throttle::Limits;
use motcua_store::testing::Engine;
use reqwest::Method;
use serde_json::json;

fn tight(trusted: Vec<std::net::IpAddr>) -> Limits {
    Limits { lookups_per_minute: 3, public_writes_per_minute: 2, sign_in_failures: 4, trusted_proxies: trusted }
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds")
}

async fn track(app: &TestApp, code: &str, forwarded_for: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/track/{code}")))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("track")
}

async fn quotas_refuse_with_retry_after(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |s| s.limits = tight(Vec::new())).await else { return };
    let code = submit_one(&app).await;

    // Three lookups a minute; a different forged X-Forwarded-For each time changes nothing,
    // since the peer is not a trusted proxy.
    for i in 0..3 {
        let r = track(&app, &code, &format!("198.51.100.{i}")).await;
        assert_eq!(r.status(), 200, "lookup {i}");
    }
    let r = track(&app, &code, "198.51.100.99").await;
    let wait = retry_after(&r);
    assert!((1..=20).contains(&wait), "one lookup per 20 s refills: {wait}");
    let message = assert_error(r, 429, "rate_limited").await;
    assert!(message.contains("thử lại sau"), "{message}");

    // The web page of the same kind shares the quota and answers with a page.
    let r = app.client.get(app.url(&format!("/tra-cuu?ma={code}"))).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Vui lòng chờ một chút") && page.contains("giây"), "{page}");
    let r = app.client.get(app.url(&format!("/tra-cuu?ma={code}&lang=en"))).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Too many requests from your address"));

    // Other routes are not limited by address.
    for _ in 0..10 {
        assert_eq!(app.get("/api/v1/procedures?limit=1").await.status(), 200);
    }

    // Anonymous writes: two tickets, the third is refused and not issued.
    let centre = app.org_of("halong.motcua").await;
    let take =
        || app.client.post(app.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": "A"})).send();
    let (s, first) = json(take().await.unwrap()).await;
    assert_eq!(s, 201, "{first}");
    let (s, second) = json(take().await.unwrap()).await;
    assert_eq!(s, 201, "{second}");
    assert_error(take().await.unwrap(), 429, "rate_limited").await;
    let (_, board) = json(app.get(&format!("/api/v1/queue/{centre}")).await).await;
    let issued: i64 = board["services"].as_array().unwrap().iter().map(|s| s["issued"].as_i64().unwrap_or(0)).sum();
    assert_eq!(issued, 2, "the refused ticket was not issued: {board}");

    // The documented answer.
    let (_, doc) = json(app.get("/api/v1/openapi.json").await).await;
    assert!(doc["paths"]["/api/v1/track/{code}"]["get"]["responses"]["429"].is_object());
    assert!(doc["paths"]["/api/v1/queue/{centre}/tickets"]["post"]["responses"]["429"].is_object());
    assert!(doc["paths"]["/api/v1/procedures"]["get"]["responses"]["429"].is_null());
}

async fn submit_one(app: &TestApp) -> String {
    let token = app.token("congdan").await;
    let v = app.submit_online(&token).await;
    v["code"].as_str().expect("code").to_owned()
}

async fn a_trusted_proxy_forwards_each_client_its_own_quota(engine: Engine) {
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let Some(app) = TestApp::spawn_with(engine, |s| s.limits = tight(vec![loopback])).await else { return };
    let code = submit_one(&app).await;
    for _ in 0..3 {
        assert_eq!(track(&app, &code, "198.51.100.1").await.status(), 200);
    }
    assert_eq!(track(&app, &code, "198.51.100.1").await.status(), 429, "that client's quota is spent");
    // A client forging a hop before the one the proxy saw is still itself.
    assert_eq!(track(&app, &code, "203.0.113.5, 198.51.100.1").await.status(), 429);
    assert_eq!(track(&app, &code, "198.51.100.2").await.status(), 200, "another client behind the proxy");

    // A password spray from one client behind the proxy locks that client, not the accounts.
    let login = |user: &'static str, password: &'static str, from: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"username": user, "password": password}))
            .send()
    };
    for user in ["halong.motcua", "tienyen.motcua", "khong.co.ai", "halong.chuyenvien"] {
        assert_eq!(login(user, "SaiMatKhau@1", "198.51.100.1").await.unwrap().status(), 401);
    }
    assert_eq!(login("congdan", common::PASSWORD, "198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(login("congdan", common::PASSWORD, "198.51.100.2").await.unwrap().status(), 200);
}

async fn one_address_spraying_passwords_is_locked(engine: Engine) {
    let Some(app) = TestApp::spawn_with(engine, |s| s.limits = tight(Vec::new())).await else { return };
    for user in ["halong.motcua", "tienyen.motcua", "khong.co.ai", "halong.chuyenvien"] {
        assert_error(app.login(user, "SaiMatKhau@1").await, 401, "invalid_credentials").await;
    }
    // The right password of a fifth account, from the same address, waits too.
    let message = assert_error(app.login("congdan", common::PASSWORD).await, 429, "too_many_attempts").await;
    assert!(message.contains("địa chỉ") && message.contains("phút"), "{message}");
    // The web sign-in shares the count.
    let b = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    let csrf = &html[at..at + 64];
    let r = b
        .post(app.url("/dang-nhap"))
        .form(&[("csrf", csrf), ("username", "congdan"), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("từ địa chỉ của bạn"));
    // Creating an account from that address still signs it in: never an account made and
    // answered 429.
    let token = common::register(&app, "nguoimoi.dangky", "001190099999").await;
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);
}

/// Every row of the table is a live route: with a quota of one, the second request to it
/// (each row from its own address, behind a trusted proxy) is refused — a row whose route
/// were misspelt would never be — and HEAD counts and is refused as GET is.
async fn every_listed_route_is_limited(engine: Engine) {
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let limits = Limits { lookups_per_minute: 1, public_writes_per_minute: 1, ..tight(vec![loopback]) };
    let Some(app) = TestApp::spawn_with(engine, |s| s.limits = limits).await else { return };
    assert!(motcua::throttle::LIMITED.len() >= 20);
    for (i, (method, route, _)) in motcua::throttle::LIMITED.iter().enumerate() {
        let path = route
            .replace("{code}", "H22-000000-0000")
            .replace("{centre}", "000.00.37.H22")
            .replace("{number}", "KQ1")
            .replace("{point}", "halong-dat-dai");
        let from = format!("198.51.100.{}", i + 1);
        let send = |method: Method| {
            app.client.request(method, app.url(&path)).header("x-forwarded-for", &from).json(&json!({})).send()
        };
        // A read is tried first as HEAD (axum answers it on every GET route): it must spend
        // the same quota, and be refused like the GET once the quota is spent.
        let (first_method, again) = if *method == Method::GET {
            (Method::HEAD, vec![Method::GET, Method::HEAD])
        } else {
            (method.clone(), vec![method.clone()])
        };
        let first = send(first_method.clone()).await.unwrap().status();
        assert_ne!(first, 429, "{first_method} {route}: the first is let through");
        for m in again {
            let refused = send(m.clone()).await.unwrap();
            assert_eq!(refused.status(), 429, "{m} {route}: refused once the quota is spent");
            assert!(refused.headers().contains_key("retry-after"), "{m} {route}");
        }
    }
}

/// Two servers on one PostgreSQL database, as behind a load balancer: lookups, anonymous
/// writes and wrong passwords sent to them in turn count once in total, not once per server.
/// (With each server counting alone, every request below would pass.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_servers_sharing_a_database_share_the_limits() {
    let Some(one) = TestApp::spawn_with(Engine::Postgres, |s| s.limits = tight(Vec::new())).await else { return };
    let two = one.beside(|s| s.limits = tight(Vec::new())).await;
    let code = submit_one(&one).await;
    let track_on = |base: &str| one.client.get(format!("{base}/api/v1/track/{code}")).send();
    for (i, base) in [&one.base, &two.base, &one.base].into_iter().enumerate() {
        assert_eq!(track_on(base).await.unwrap().status(), 200, "lookup {i}");
    }
    for base in [&two.base, &one.base] {
        let r = track_on(base).await.unwrap();
        assert!(retry_after(&r) >= 1);
        assert_error(r, 429, "rate_limited").await;
    }

    let centre = one.org_of("halong.motcua").await;
    let ticket = |base: &str| {
        one.client.post(format!("{base}/api/v1/queue/{centre}/tickets")).json(&json!({"letter": "A"})).send()
    };
    assert_eq!(ticket(&one.base).await.unwrap().status(), 201);
    assert_eq!(ticket(&two.base).await.unwrap().status(), 201);
    assert_error(ticket(&two.base).await.unwrap(), 429, "rate_limited").await;
    assert_error(ticket(&one.base).await.unwrap(), 429, "rate_limited").await;

    // Four wrong passwords, two on each server, reach this address's limit of four: the
    // right password then waits on both.
    let login = |base: &str, user: &str, password: &str| {
        one.client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
    };
    for (i, base) in [&one.base, &two.base, &one.base, &two.base].into_iter().enumerate() {
        let r = login(base, "halong.chuyenvien", "SaiMatKhau@1").await.unwrap();
        assert_eq!(r.status(), 401, "wrong password {i}");
    }
    for base in [&one.base, &two.base] {
        let message =
            assert_error(login(base, "halong.chuyenvien", common::PASSWORD).await.unwrap(), 429, "too_many_attempts")
                .await;
        assert!(message.contains("phút"), "{message}");
    }
}

/// Each test here sets its own quotas, so it takes the engine rather than a spawned app:
/// `NAME_on_sqlite` and `NAME_on_postgres` run `NAME(engine)`.
macro_rules! on_each_engine {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Engine::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Engine::Postgres).await;
            })*
        }
    };
}

on_each_engine!(
    every_listed_route_is_limited,
    quotas_refuse_with_retry_after,
    a_trusted_proxy_forwards_each_client_its_own_quota,
    one_address_spraying_passwords_is_locked,
);

//! Issue 21's acceptance, as an operator would run it: three `motcua serve` processes on one
//! PostgreSQL database and one S3 server, behind a real HAProxy started by the test, under a
//! load of citizens submitting dossiers with a file, desk officers receiving them and clerks
//! sending official documents. Mid-load
//! one server is killed with SIGKILL and started again; then all three are restarted one after
//! another (SIGTERM, wait, start). Afterwards: no request failed (retries of a request that
//! never got an answer are allowed, with its `Idempotency-Key`), every acknowledged dossier is
//! there exactly once with its one reception, its file downloads through every server, every
//! acknowledged official document was numbered, delivered and answered with a receipt once, a
//! result signed on one verifies on the others, a ticket called on the first server reaches a
//! display on the third within a second, and the lookup quota holds once in total.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::balancer::{Balancer, free_port, haproxy};
use crate::common::{PASSWORD, read_events_until};
use crate::process::{Server, motcua, start_logging_to};
use crate::s3::{ACCESS_KEY, S3Server, SECRET_KEY};

/// One server of the three: its port (kept across restarts) and data directory.
struct Node {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<Server>,
}

impl Node {
    fn log(&self) -> PathBuf {
        self.dir.path().join("serve.log")
    }
}

struct Cluster {
    db_url: String,
    blob_url: String,
    passphrase: PathBuf,
}

impl Cluster {
    fn start(&self, node: &mut Node, demo: bool) {
        let mut cmd = motcua(node.dir.path());
        cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{}", node.port))
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .args(["--database-url", &self.db_url, "--blob-url", &self.blob_url])
            // As docs/deployment.md says: the balancer's X-Forwarded-For is believed.
            .env("MOTCUA_TRUSTED_PROXIES", "127.0.0.1")
            .arg("--key-passphrase-file")
            .arg(&self.passphrase)
            .args(["serve", "--dossiers-per-day", "0", "--upload-mb-per-day", "0"]);
        if demo {
            cmd.arg("--demo");
        }
        // Each server's log, kept across its restarts: the SMS it sent are counted from it.
        cmd.env("MOTCUA_LOG", "info");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(node.log()).expect("log");
        node.server = Some(start_logging_to(cmd, log.into()).0);
    }
}

/// SIGTERM, then waits for the process to exit by itself (it finishes what is under way).
fn stop_gracefully(node: &mut Node) {
    let mut server = node.server.take().expect("running");
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(40);
    while server.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "still running 40 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "{base} not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends a request until it gets an answer that is not a gateway's or a restart's (502, 503,
/// a connection closed): how a client retries a request with an `Idempotency-Key`.
async fn until_answered(retries: &AtomicU64, send: impl Fn() -> reqwest::RequestBuilder) -> (u16, Value) {
    for attempt in 0..60 {
        if attempt > 0 {
            retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let Ok(r) = send().send().await else { continue };
        let status = r.status().as_u16();
        if matches!(status, 502..=504) {
            continue;
        }
        let Ok(text) = r.text().await else { continue };
        return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
    }
    panic!("no answer after 60 attempts");
}

struct Submitted {
    code: String,
    content: Vec<u8>,
}

/// What the load acknowledged: dossiers, and official documents (their register ids).
#[derive(Default)]
struct Acknowledged {
    dossiers: Vec<Submitted>,
    documents: Vec<i64>,
}

/// The sending and the receiving organisation of the documents in the load.
#[derive(Clone)]
struct Orgs {
    from: String,
    to: String,
}

/// One citizen's, one desk officer's and one clerk's work through the balancer until `stop`:
/// a dossier with a file, its reception, the dossier read back, the catalogue searched, and
/// an official document with a file sent to another organisation. Everything acknowledged.
async fn load(lb: String, worker: u64, orgs: Orgs, stop: Arc<AtomicBool>, retries: Arc<AtomicU64>) -> Acknowledged {
    let client = reqwest::Client::new();
    let token = |user: &'static str| {
        let (client, lb, retries) = (client.clone(), lb.clone(), retries.clone());
        async move {
            let login = json!({"username": user, "password": PASSWORD});
            let (s, v) = until_answered(&retries, || client.post(format!("{lb}/api/v1/auth/login")).json(&login)).await;
            assert_eq!(s, 200, "{v}");
            v["token"].as_str().unwrap().to_owned()
        }
    };
    let (citizen, officer, clerk) = (token("congdan").await, token("halong.motcua").await, token("stp.vanthu").await);
    let mut done = Acknowledged::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let content = format!("%PDF-1.4\nBan chup giay to, luong {worker}, ho so {n}\n%%EOF\n").into_bytes();
        let key = format!("cum-may-{worker}-{n}");
        let body = json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string();
        let (s, v) = until_answered(&retries, || {
            let form = reqwest::multipart::Form::new()
                .text("dossier", body.clone())
                .part("component-0", reqwest::multipart::Part::bytes(content.clone()).file_name("giay-to.pdf"));
            client
                .post(format!("{lb}/api/v1/dossiers"))
                .bearer_auth(&citizen)
                .header("Idempotency-Key", &key)
                .multipart(form)
        })
        .await;
        assert!(s == 201 || s == 200, "submission {worker}/{n}: {s} {v}");
        let code = v["code"].as_str().unwrap().to_owned();
        let action = json!({"action": "receive"});
        let url = format!("{lb}/api/v1/dossiers/{code}/actions");
        let (s, v) = until_answered(&retries, || client.post(&url).bearer_auth(&officer).json(&action)).await;
        // A reception whose answer was lost is refused when sent again: it was taken once.
        assert!(s == 200 || s == 409, "receiving {code}: {s} {v}");
        // And the reads that go with it: the citizen's dossier, the catalogue searched.
        let url = format!("{lb}/api/v1/dossiers/{code}");
        let (s, v) = until_answered(&retries, || client.get(&url).bearer_auth(&citizen)).await;
        assert_eq!((s, v["code"].as_str()), (200, Some(code.as_str())), "{v}");
        let url = format!("{lb}/api/v1/procedures?q=dang+ky+khai+sinh&limit=5");
        let (s, v) = until_answered(&retries, || client.get(&url)).await;
        assert!(s == 200 && v["items"].as_array().is_some_and(|a| !a.is_empty()), "search: {s} {v}");
        done.dossiers.push(Submitted { code, content });
        // The department's clerk sends the commune an official document, signed, with a file.
        let document = json!({
            "from": orgs.from, "to": [orgs.to], "notation": "STP-VP", "document_type": "Công văn",
            "subject": format!("V/v phối hợp, luồng {worker}, lần {n}"), "content": "Đề nghị phối hợp.",
            "signer_competence": "KT. GIÁM ĐỐC", "signer_position": "Phó Giám đốc", "signer_name": "Phạm Quang Huy",
            "place": "Quảng Ninh", "priority": 0, "to_places": ["Như trên"]
        })
        .to_string();
        let key = format!("cum-van-ban-{worker}-{n}");
        let send = || {
            until_answered(&retries, || {
                let form = reqwest::multipart::Form::new().text("document", document.clone()).part(
                    "file",
                    reqwest::multipart::Part::bytes(b"%PDF-1.4\nCong van\n%%EOF\n".to_vec()).file_name("cv.pdf"),
                );
                client
                    .post(format!("{lb}/api/v1/documents"))
                    .bearer_auth(&clerk)
                    .header("Idempotency-Key", &key)
                    .multipart(form)
            })
        };
        // Sent twice at once, as by a client that gave up waiting and sent again: the two
        // go to different servers and race; both answer with the one document.
        let ((s, v), (s2, v2)) = tokio::join!(send(), send());
        assert!(matches!((s, s2), (200 | 201, 200 | 201)), "document {worker}/{n}: {s} {v} / {s2} {v2}");
        assert_eq!(v["id"], v2["id"], "document {worker}/{n}: one document for one key");
        done.documents.push(v["id"].as_i64().expect("the register id"));
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_haproxy_survive_a_crash_and_a_rolling_restart() {
    let Some(db) = motcua_store::testing::TestDb::new(motcua_store::testing::Engine::Postgres).await else { return };
    let Some(haproxy) = haproxy() else {
        assert!(
            std::env::var_os("MOTCUA_REQUIRE_POSTGRES").is_none(),
            "haproxy is not installed (scripts/install-deps)"
        );
        return;
    };
    let s3 = S3Server::start().await;
    let shared = tempfile::tempdir().unwrap();
    let passphrase = shared.path().join("key-passphrase");
    std::fs::write(&passphrase, "mot-khoa-bao-ve-chung-cho-ca-ba-may-chu-0123456789").unwrap();
    let cluster = Arc::new(Cluster { db_url: db.url.clone(), blob_url: s3.url("cum"), passphrase });
    let mut nodes: Vec<Node> =
        (0..3).map(|_| Node { dir: tempfile::tempdir().unwrap(), port: free_port(), server: None }).collect();
    let client = reqwest::Client::new();

    // The first loads the demo data and makes the keys; then the two others join.
    let nodes = tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || {
            for (i, node) in nodes.iter_mut().enumerate() {
                cluster.start(node, i == 0);
            }
            nodes
        }
    })
    .await
    .unwrap();
    let bases: Vec<String> = nodes.iter().map(|n| format!("http://127.0.0.1:{}", n.port)).collect();

    let balancer = Balancer::start(&haproxy, shared.path(), &nodes.iter().map(|n| n.port).collect::<Vec<_>>());
    let lb = balancer.url.clone();
    wait_ready(&client, &lb).await;
    let before = count_dossiers(&db).await;
    let orgs = Orgs { from: org_of(&client, &lb, "stp.vanthu").await, to: org_of(&client, &lb, "halong.vanthu").await };
    let documents_before = |direction: &'static str, org: &str| {
        let (db, org) = (&db, org.to_owned());
        async move {
            db.scalar(&format!("SELECT COUNT(*) FROM documents WHERE direction = '{direction}' AND org_code = '{org}'"))
                .await
        }
    };
    let (sent_before, arrived_before) =
        (documents_before("out", &orgs.from).await, documents_before("in", &orgs.to).await);

    // The load, four workers through the balancer.
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicU64::new(0));
    let load_started = Instant::now();
    let workers: Vec<_> =
        (0..4).map(|w| tokio::spawn(load(lb.clone(), w, orgs.clone(), stop.clone(), retries.clone()))).collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A crash: the second server killed outright, then started again on its port.
    let mut nodes = nodes;
    nodes[1].server.take().expect("running").kill9();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let nodes = tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || {
            cluster.start(&mut nodes[1], false);
            nodes
        }
    })
    .await
    .unwrap();
    wait_ready(&client, &bases[1]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A rolling restart: one after another, each back and ready before the next goes.
    let mut nodes = nodes;
    for i in 0..3 {
        nodes = tokio::task::spawn_blocking({
            let cluster = cluster.clone();
            move || {
                stop_gracefully(&mut nodes[i]);
                cluster.start(&mut nodes[i], false);
                nodes
            }
        })
        .await
        .unwrap();
        wait_ready(&client, &bases[i]).await;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut submitted, mut documents) = (Vec::new(), Vec::new());
    for w in workers {
        let done = w.await.expect("a worker failed a request");
        submitted.extend(done.dossiers);
        documents.extend(done.documents);
    }
    let retried = retries.load(Ordering::Relaxed);
    let seconds = load_started.elapsed().as_secs_f64();
    eprintln!(
        "cluster: {} dossiers with a file submitted and received and {} official documents sent in {seconds:.1} s \
         ({:.1} dossiers/s) through a crash and a rolling restart, {retried} retries by the client",
        submitted.len(),
        documents.len(),
        submitted.len() as f64 / seconds
    );
    assert!(submitted.len() >= 20, "the load ran: {}", submitted.len());
    let (resent, redispatched) = balancer.retries(&client).await;
    eprintln!("cluster: HAProxy sent {resent} requests again ({redispatched} to another server)");

    // Exactly once: as many new dossiers as were acknowledged, each code once.
    let mut codes: Vec<&str> = submitted.iter().map(|s| s.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), submitted.len(), "no acknowledgement named another's dossier");
    assert_eq!(count_dossiers(&db).await - before, submitted.len() as i64, "each dossier stored once");

    // Every file through every server; each dossier received once.
    let officer = token(&client, &bases[2], "halong.motcua").await;
    for (i, s) in submitted.iter().enumerate() {
        for base in &bases {
            let r = client.get(format!("{base}/api/v1/dossiers/{}/attachments/1", s.code)).bearer_auth(&officer);
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200, "{} through {base}", s.code);
            assert_eq!(r.bytes().await.unwrap().as_ref(), s.content.as_slice());
        }
        let base = &bases[i % 3];
        let events = body(client.get(format!("{base}/api/v1/dossiers/{}/events", s.code)).bearer_auth(&officer)).await;
        let receptions = events.as_array().unwrap().iter().filter(|e| e["action"] == "receive").count();
        assert_eq!(receptions, 1, "{}: {events}", s.code);
    }

    // Every message once: the SMS the three servers logged as sent (the log provider) are
    // those the database marks sent, plus at most those claimed and not yet marked (a server
    // killed between sending and marking; sent again only when the claim runs out).
    let sms = |sql: &'static str| {
        let db = &db;
        async move { db.scalar(&format!("SELECT COUNT(*) FROM notifications WHERE channel = 'sms' AND {sql}")).await }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = sms("sent_at IS NOT NULL").await;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = sms("sent_at IS NOT NULL").await;
        if now == sent || Instant::now() > deadline {
            break;
        }
        sent = now;
    }
    let (sent, unsent) = (sms("sent_at IS NOT NULL").await, sms("sent_at IS NULL").await);
    let logged: usize =
        nodes.iter().map(|n| std::fs::read_to_string(n.log()).unwrap().matches("SMS (log provider)").count()).sum();
    eprintln!("cluster: {sent} SMS marked sent, {unsent} not yet, {logged} logged as sent by the three servers");
    assert!(sent > 0, "the load made messages");
    assert!(
        sent as usize <= logged && logged <= (sent + unsent) as usize,
        "{logged} sent for {sent} marked and {unsent} unmarked: a message went twice"
    );

    // Every document once: numbered once in the sender's register, registered once by the
    // recipient, delivered by one outbox item, and its receipt back once.
    let deadline = Instant::now() + Duration::from_secs(30);
    while db.scalar("SELECT COUNT(*) FROM exchange_outbox WHERE delivered_at IS NULL").await > 0 {
        assert!(Instant::now() < deadline, "the outboxes still hold undelivered packages after 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut ids = documents.clone();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), documents.len(), "no acknowledgement named another's document");
    let sent = documents_before("out", &orgs.from).await - sent_before;
    let arrived = documents_before("in", &orgs.to).await - arrived_before;
    assert_eq!(
        (sent, arrived),
        (documents.len() as i64, documents.len() as i64),
        "each document sent and received once"
    );
    let clerk = token(&client, &bases[1], "stp.vanthu").await;
    for (i, id) in documents.iter().enumerate() {
        let view = body(client.get(format!("{}/api/v1/documents/{id}", bases[i % 3])).bearer_auth(&clerk)).await;
        let statuses: Vec<&str> =
            view["recipients"][0]["statuses"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["01"], "{id}: one receipt of arrival: {view}");
        // One outbox item, delivered (a local recipient's receipt is written, not sent).
        let deliveries = view["deliveries"].as_array().unwrap();
        let kinds: Vec<&str> = deliveries.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["document"], "{id}: {view}");
        assert!(deliveries[0]["delivered_at"].is_string(), "{id}: {view}");
    }

    // A result signed through the first server verifies through the other two.
    let code = &submitted[0].code;
    crate::common::sign_result(&client, &bases[0], code, b"%PDF-1.7\nKet qua\n%%EOF\n").await;
    for base in &bases[1..] {
        let v: Value = body(client.get(format!("{base}/api/v1/verify/{code}-KQ1"))).await;
        assert_eq!(v["valid"], true, "through {base}: {v}");
    }

    // A ticket called on the first server reaches a display on the third within a second.
    let me: Value = body(client.get(format!("{}/api/v1/me", bases[0])).bearer_auth(&officer)).await;
    let centre = me["roles"][0]["org"].as_str().expect("the desk officer's centre").to_owned();
    let mut display = client.get(format!("{}/api/v1/queue/{centre}/events", bases[2])).send().await.unwrap();
    read_events_until(&mut display, "event: board", Duration::from_secs(10)).await;
    let ticket =
        body(client.post(format!("{}/api/v1/queue/{centre}/tickets", bases[0])).json(&json!({"letter": "A"}))).await;
    let label = ticket["label"].as_str().expect("a ticket").to_owned();
    read_events_until(&mut display, "\"waiting\":1", Duration::from_secs(1)).await;
    let called = Instant::now();
    let r = client.post(format!("{}/api/v1/queue/{centre}/counters/1/next", bases[0])).bearer_auth(&officer);
    assert_eq!(r.json(&json!({})).send().await.unwrap().status(), 200);
    let seen = read_events_until(&mut display, "\"called\":[{", Duration::from_secs(1)).await;
    assert!(seen.contains(&label), "{seen}");
    assert!(called.elapsed() < Duration::from_secs(1), "called to shown: {:?}", called.elapsed());

    // The lookup quota (60 at once from one address) holds in total through the balancer.
    let track = format!("{lb}/api/v1/track/{code}");
    // The two verifications above were lookups from this address too, on servers two and three.
    let left = 60 - (bases.len() - 1);
    let passed = lookups_at_once(&client, &track, 90).await;
    assert!(
        (left..=left + 3).contains(&passed),
        "{passed} of 90 lookups passed ({left} left of the quota of 60 for all servers together)"
    );
    // The balancer goes first, so it does not report the servers' ends as failed checks.
    drop(balancer);
}

/// The JSON an answer carries.
async fn body(request: reqwest::RequestBuilder) -> Value {
    request.send().await.expect("an answer").json().await.expect("JSON")
}

async fn token(client: &reqwest::Client, base: &str, user: &str) -> String {
    let r = client.post(format!("{base}/api/v1/auth/login")).json(&json!({"username": user, "password": PASSWORD}));
    let v = body(r).await;
    v["token"].as_str().unwrap_or_else(|| panic!("login {user}: {v}")).to_owned()
}

/// The organisation of a demo account's first role.
async fn org_of(client: &reqwest::Client, base: &str, user: &str) -> String {
    let t = token(client, base, user).await;
    let me = body(client.get(format!("{base}/api/v1/me")).bearer_auth(&t)).await;
    me["roles"][0]["org"].as_str().expect("a role").to_owned()
}

async fn count_dossiers(db: &motcua_store::testing::TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM dossiers").await
}

/// `n` lookups at once; how many were let through.
async fn lookups_at_once(client: &reqwest::Client, url: &str, n: usize) -> usize {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (c, u) = (client.clone(), url.to_owned());
        set.spawn(async move { c.get(u).send().await.map(|r| r.status().as_u16()).unwrap_or(0) });
    }
    set.join_all().await.into_iter().filter(|s| *s == 200).count()
}

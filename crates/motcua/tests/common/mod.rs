//! Test support: the real server on 127.0.0.1 with a random port, over a fresh database
//! (SQLite file or PostgreSQL schema) loaded with the demo data.

#![allow(dead_code)]

use std::sync::Arc;

use motcua::app::ServerSettings;
use motcua::demo::{self, DemoSettings};
use motcua_store::testing::{Engine, TestDb};
use reqwest::{Client, Response};
use serde_json::Value;
use tokio::sync::oneshot;

pub const PASSWORD: &str = demo::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db: TestDb,
    /// Data directory of the server (attachments are kept here).
    pub data_dir: tempfile::TempDir,
    /// Encrypts the signing keys of this server's document exchange.
    pub passphrase: motcua::documents::exchange::Passphrase,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Outbox retries fast enough for tests.
pub fn fast_outbox() -> motcua::documents::exchange::OutboxSettings {
    motcua::documents::exchange::OutboxSettings {
        first_backoff: std::time::Duration::from_millis(50),
        max_backoff: std::time::Duration::from_millis(500),
        axis: None,
    }
}

pub fn random_passphrase() -> motcua::documents::exchange::Passphrase {
    let mut raw = [0u8; 24];
    getrandom::fill(&mut raw).expect("random");
    motcua::documents::exchange::Passphrase::new(
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes(),
    )
}

/// The servers' warnings and errors go to the test's output, which the runner shows when
/// the test fails (`MOTCUA_TEST_LOG=info` shows more).
fn logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("MOTCUA_TEST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

impl TestApp {
    /// `None` when PostgreSQL is asked for but not configured (and not required).
    pub async fn spawn(engine: Engine) -> Option<Self> {
        Self::spawn_with(engine, |_| {}).await
    }

    /// As [`TestApp::spawn`], with settings changed by `configure`.
    pub async fn spawn_with(engine: Engine, configure: impl FnOnce(&mut ServerSettings)) -> Option<Self> {
        logs();
        let db = TestDb::new(engine).await?;
        demo::load(db.store.as_ref(), &DemoSettings::default()).await.expect("demo data loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let store: Arc<dyn motcua_store::Store> = db.store.clone();
        let data_dir = tempfile::tempdir().expect("data dir");
        let passphrase = random_passphrase();
        let mut settings = ServerSettings {
            data_dir: data_dir.path().to_path_buf(),
            public_url: Some(format!("http://{addr}")),
            key_passphrase: Some(passphrase.clone()),
            outbox: fast_outbox(),
            ..ServerSettings::default()
        };
        configure(&mut settings);
        tokio::spawn(motcua::server::serve(listener, store, settings, async {
            let _ = rx.await;
        }));
        Some(Self {
            base: format!("http://{addr}"),
            client: Client::new(),
            db,
            data_dir,
            passphrase,
            shutdown: Some(tx),
        })
    }

    /// Another server over this one's database, as a second machine behind a load balancer
    /// would run: its own connections (on PostgreSQL), data directory and in-memory state; the
    /// same key passphrase. Stops when dropped.
    pub async fn beside(&self, configure: impl FnOnce(&mut ServerSettings)) -> Beside {
        let store = match self.db.engine {
            Engine::Postgres => motcua_store::connect(&self.db.url, &motcua_store::ConnectOptions::default())
                .await
                .expect("a second connection to the database"),
            Engine::Sqlite => self.db.store.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let data_dir = tempfile::tempdir().expect("data dir");
        let mut settings = ServerSettings {
            data_dir: data_dir.path().to_path_buf(),
            public_url: Some(format!("http://{addr}")),
            key_passphrase: Some(self.passphrase.clone()),
            outbox: fast_outbox(),
            ..ServerSettings::default()
        };
        configure(&mut settings);
        tokio::spawn(motcua::server::serve(listener, store, settings, async {
            let _ = rx.await;
        }));
        Beside { base: format!("http://{addr}"), client: Client::new(), _data_dir: data_dir, shutdown: Some(tx) }
    }

    /// Creates the deployment CA and signing certificates for these organisations.
    pub async fn enable_exchange(&self, orgs: &[&str]) {
        let store = self.db.store.as_ref();
        motcua::documents::pki::init(
            store,
            &self.passphrase,
            "CA thử nghiệm",
            motcua_exchange::KeyAlgorithm::EcdsaP256,
            365,
        )
        .await
        .expect("pki init");
        for o in orgs {
            let org = motcua_domain::OrgCode::parse(o).expect("org code");
            motcua::documents::pki::issue(store, &self.passphrase, &org, motcua_exchange::KeyAlgorithm::EcdsaP256, 30)
                .await
                .expect("issue");
        }
    }

    /// The organisation of a demo account's first role.
    pub async fn org_of(&self, username: &str) -> String {
        let token = self.token(username).await;
        let me: Value = self.get_as("/api/v1/me", &token).await.json().await.expect("json");
        me["roles"][0]["org"].as_str().expect("role org").to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// The signing identity (key and certificate) of organisation `org`, decrypted as this
    /// server's exchange would.
    pub async fn org_identity(&self, org: &str) -> Arc<motcua_exchange::SigningIdentity> {
        let exchange = motcua::documents::exchange::Exchange::new(
            self.db.store.clone(),
            Some(self.passphrase.clone()),
            fast_outbox(),
        );
        let org = motcua_domain::OrgCode::parse(org).expect("org code");
        exchange.identity(motcua_store::documents::CertRole::Org, Some(&org)).await.expect("store").expect("identity")
    }

    /// Imports an edXML package as the officer holding `token` (`POST /api/v1/documents/import`).
    pub async fn import_package(&self, token: &str, body: Vec<u8>) -> Response {
        self.client
            .post(self.url("/api/v1/documents/import"))
            .bearer_auth(token)
            .header("content-type", "application/xml")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs JSON with a bearer token.
    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> Response {
        self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.expect("request")
    }

    /// Submits "Cấp Giấy xác nhận tình trạng hôn nhân" online to Phường Hạ Long as the
    /// citizen holding `token`; the new dossier (asserts 201).
    pub async fn submit_online(&self, token: &str) -> Value {
        let body = serde_json::json!({"procedure": "1.004873", "org": "000.00.37.H22"});
        let (s, v) = json(self.post_json("/api/v1/dossiers", token, body).await).await;
        assert_eq!(s, 201, "{v}");
        v
    }

    /// Takes `action` on a dossier as `username`; asserts it succeeds.
    pub async fn act_as(&self, username: &str, code: &str, action: &str) {
        let token = self.token(username).await;
        let r = self
            .post_json(&format!("/api/v1/dossiers/{code}/actions"), &token, serde_json::json!({"action": action}))
            .await;
        assert_eq!(r.status(), 200, "{username} {action}");
    }

    /// Takes a Hạ Long online dossier from submitted to its result returned, through the
    /// demo workflow's officers (desk, specialist, leader, clerk, desk).
    pub async fn walk_to_returned(&self, code: &str) {
        for (user, action) in [
            ("halong.motcua", "receive"),
            ("halong.chuyenvien", "forward"),
            ("halong.lanhdao", "approve"),
            ("halong.vanthu", "sign"),
            ("halong.motcua", "return_result"),
        ] {
            self.act_as(user, code, action).await;
        }
    }

    /// Logs in and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let r = self.login(username, PASSWORD).await;
        assert_eq!(r.status(), 200, "login {username}");
        r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
    }
}

/// Registers a citizen through the API (asks, reads the code sent to the phone from the
/// outbox, confirms); their bearer token.
pub async fn register(app: &TestApp, username: &str, cccd: &str) -> String {
    let body = serde_json::json!({
        "username": username, "full_name": "Trần Thị Bình", "cccd": cccd,
        "phone": "0912 345 678", "password": "Mat-khau-2025"
    });
    let r = app.client.post(app.url("/api/v1/accounts")).json(&body).send().await.expect("request");
    let (s, v) = json(r).await;
    assert_eq!(s, 202, "{v}");
    let code = registration_code(app, "0912345678").await.expect("a code was sent");
    let confirm = serde_json::json!({"challenge": v["challenge"], "code": code});
    let r = app.client.post(app.url("/api/v1/accounts/confirm")).json(&confirm).send().await.expect("request");
    let (s, v) = json(r).await;
    assert_eq!(s, 201, "{v}");
    v["token"].as_str().expect("token").to_owned()
}

/// The code of the newest registration SMS to `phone`, if one was sent.
pub async fn registration_code(app: &TestApp, phone: &str) -> Option<String> {
    let notes = app.db.store.messages_about("otp:reg:").await.expect("outbox");
    let sms = notes.iter().rev().find(|n| n.note.channel == "sms" && n.note.recipient == phone)?;
    sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned)
}

/// Takes a received dossier through the demo workflow to a signed result on the server at
/// `base`: forwarded by the specialist, approved by the leader, signed by the clerk with `pdf`
/// as the result file (numbered `<code>-KQ1`).
pub async fn sign_result(client: &reqwest::Client, base: &str, code: &str, pdf: &[u8]) {
    let token = |user: &'static str| async move {
        let body = serde_json::json!({"username": user, "password": PASSWORD});
        let r = client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.expect("login");
        r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
    };
    let url = format!("{base}/api/v1/dossiers/{code}/actions");
    for (user, action) in [("halong.chuyenvien", "forward"), ("halong.lanhdao", "approve")] {
        let r = client.post(&url).bearer_auth(token(user).await).json(&serde_json::json!({"action": action}));
        assert_eq!(r.send().await.expect("action").status(), 200, "{user} {action}");
    }
    let form = reqwest::multipart::Form::new()
        .text("action", serde_json::json!({"action": "sign"}).to_string())
        .part("file", reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("ket-qua.pdf"));
    let r = client.post(&url).bearer_auth(token("halong.vanthu").await).multipart(form);
    assert_eq!(r.send().await.expect("sign").status(), 200, "halong.vanthu sign");
}

/// A browser-like client: keeps cookies, does not follow redirects (so they can be checked).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The CSRF token of a page's form.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

/// Signs `username` in through the sign-in page, in the browser `b`.
pub async fn sign_in(app: &TestApp, b: &reqwest::Client, username: &str) -> reqwest::Response {
    let html = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&html);
    b.post(app.url("/dang-nhap"))
        .form(&[("csrf", csrf.as_str()), ("username", username), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

/// A second server over a [`TestApp`]'s database (see [`TestApp::beside`]).
pub struct Beside {
    pub base: String,
    pub client: Client,
    _data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Beside {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Beside {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Reads a server-sent event stream until its text contains `needle`, for at most `within`;
/// the text read.
pub async fn read_events_until(r: &mut Response, needle: &str, within: std::time::Duration) -> String {
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

/// Status and JSON body.
pub async fn json(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON (status {status}): {text}"));
    (status, v)
}

/// Asserts a JSON error with this status and code, and a Vietnamese message.
pub async fn assert_error(r: Response, status: u16, code: &str) -> String {
    let (s, v) = json(r).await;
    assert_eq!(s, status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    let message = v["error"]["message"].as_str().expect("message").to_owned();
    assert!(!message.is_empty());
    message
}

/// Runs each listed `async fn(TestApp)` on SQLite and on PostgreSQL; with `@with SETTINGS;`
/// first, each server's settings are changed by that `FnOnce(&mut ServerSettings)`.
#[macro_export]
macro_rules! on_both_backends {
    (@with $configure:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
                let app = $crate::common::TestApp::spawn_with(motcua_store::testing::Engine::Sqlite, $configure)
                    .await
                    .expect("sqlite");
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
                let Some(app) =
                    $crate::common::TestApp::spawn_with(motcua_store::testing::Engine::Postgres, $configure).await
                else {
                    return;
                };
                super::$name(app).await;
            })*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@with |_| {}; $($name),*);
    };
}

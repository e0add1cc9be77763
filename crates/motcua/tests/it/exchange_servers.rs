//! Two real motcua servers on two loopback ports — two provinces, each with its own
//! database, data directory and CA — exchange documents both ways over signed HTTP
//! requests. One is stopped mid-stream and started again: every document must arrive
//! exactly once, verified, with its receipts.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{fast_outbox, json, random_passphrase};
use motcua::app::ServerSettings;
use motcua::demo::{self, DemoSettings};
use motcua_store::Store;
use motcua_store::documents::{Direction, DocumentFilter};
use motcua_store::testing::{Engine, TestDb};
use serde_json::{Value, json};

struct Node {
    addr: SocketAddr,
    db: TestDb,
    data_dir: tempfile::TempDir,
    passphrase: motcua::documents::exchange::Passphrase,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    client: reqwest::Client,
}

impl Node {
    async fn new(engine: Engine, agency: &str) -> Option<Self> {
        let db = TestDb::new(engine).await?;
        demo::load(db.store.as_ref(), &DemoSettings { agency_code: agency.into() }).await.expect("demo");
        let passphrase = random_passphrase();
        let store = db.store.as_ref();
        motcua::documents::pki::init(
            store,
            &passphrase,
            &format!("CA {agency}"),
            motcua_exchange::KeyAlgorithm::EcdsaP256,
            365,
        )
        .await
        .expect("pki init");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let mut node = Self {
            addr,
            db,
            data_dir: tempfile::tempdir().expect("dir"),
            passphrase,
            stop: None,
            handle: None,
            client: reqwest::Client::new(),
        };
        node.start().await;
        Some(node)
    }

    fn store(&self) -> &dyn Store {
        self.db.store.as_ref()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn start(&mut self) {
        let mut listener = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let listener = listener.expect("the port is free again");
        let settings = ServerSettings {
            data_dir: self.data_dir.path().to_path_buf(),
            key_passphrase: Some(self.passphrase.clone()),
            outbox: fast_outbox(),
            ..ServerSettings::default()
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store: Arc<dyn Store> = self.db.store.clone();
        self.handle = Some(tokio::spawn(motcua::server::serve(listener, store, settings, async {
            let _ = rx.await;
        })));
        self.stop = Some(tx);
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }

    async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": common::PASSWORD}))
            .send()
            .await
            .expect("login");
        let (s, v) = json(r).await;
        assert_eq!(s, 200, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    async fn org_of(&self, token: &str) -> String {
        let me: Value =
            self.client.get(self.url("/api/v1/me")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        me["roles"][0]["org"].as_str().unwrap().to_owned()
    }

    async fn send(&self, token: &str, from: &str, to: &str, i: usize) -> Value {
        let doc = json!({
            "from": from, "to": [to], "notation": "STP-VP", "document_type": "Công văn",
            "subject": format!("V/v phối hợp liên tỉnh, văn bản {i}"), "signer_name": "Phạm Quang Huy"
        });
        let form = reqwest::multipart::Form::new().text("document", doc.to_string()).part(
            "file",
            reqwest::multipart::Part::bytes(format!("%PDF-1.4\n% {i}\n%%EOF\n").into_bytes()).file_name("cv.pdf"),
        );
        let r =
            self.client.post(self.url("/api/v1/documents")).bearer_auth(token).multipart(form).send().await.unwrap();
        let (s, v) = json(r).await;
        assert_eq!(s, 201, "{v}");
        v
    }

    async fn count(&self, direction: Direction) -> i64 {
        let f = DocumentFilter { direction: Some(direction), ..Default::default() };
        self.store().list_documents(&f, motcua_store::Page::default()).await.unwrap().total
    }
}

async fn introduce(a: &Node, b: &Node, name: &str) {
    let ca = motcua::documents::pki::ca_pem(b.store()).await.unwrap();
    let orgs = b
        .store()
        .list_organisations(&Default::default(), motcua_store::Page::all())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| (o.code, o.name.as_str().to_owned()))
        .collect();
    motcua::documents::pki::add_peer(a.store(), name, &base_url(b), ca.as_bytes(), orgs).await.unwrap();
}

fn base_url(n: &Node) -> String {
    format!("http://{}", n.addr)
}

/// Waits until every outgoing document of `node` has a status from its recipient.
async fn all_receipted(node: &Node, code: &str) -> usize {
    let f = DocumentFilter { direction: Some(Direction::Outgoing), ..Default::default() };
    let docs = node.store().list_documents(&f, motcua_store::Page::all()).await.unwrap().items;
    let mut n = 0;
    for d in &docs {
        if node.store().statuses(&d.document_id, None).await.unwrap().iter().any(|s| s.code == code) {
            n += 1;
        }
    }
    n
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not reached within 30 s: {what}");
}

async fn two_servers(engine: Engine) {
    let Some(mut a) = Node::new(engine, "H22").await else { return };
    let Some(mut b) = Node::new(engine, "H26").await else { return };
    introduce(&a, &b, "hungyen").await;
    introduce(&b, &a, "quangninh").await;
    let (ta, tb) = (a.token("stp.vanthu").await, b.token("stp.vanthu").await);
    let (org_a, org_b) = (a.org_of(&ta).await, b.org_of(&tb).await);
    for (node, org) in [(&a, &org_a), (&b, &org_b)] {
        let code = motcua_domain::OrgCode::parse(org).unwrap();
        motcua::documents::pki::issue(
            node.store(),
            &node.passphrase,
            &code,
            motcua_exchange::KeyAlgorithm::EcdsaP256,
            30,
        )
        .await
        .unwrap();
    }

    // Both ways while both are up.
    for i in 0..5 {
        a.send(&ta, &org_a, &org_b, i).await;
        b.send(&tb, &org_b, &org_a, 100 + i).await;
    }
    eventually("first five each way", async || {
        a.count(Direction::Incoming).await == 5 && b.count(Direction::Incoming).await == 5
    })
    .await;

    // B stops in the middle of a stream of sends from A.
    let sender = {
        let (client, url, ta, org_a, org_b) =
            (a.client.clone(), a.url("/api/v1/documents"), ta.clone(), org_a.clone(), org_b.clone());
        tokio::spawn(async move {
            for i in 5..20 {
                let doc = json!({
                    "from": org_a, "to": [org_b], "notation": "STP-VP", "document_type": "Công văn",
                    "subject": format!("V/v phối hợp liên tỉnh, văn bản {i}"), "signer_name": "Phạm Quang Huy"
                });
                let r = client.post(&url).bearer_auth(&ta).json(&doc).send().await.unwrap();
                assert_eq!(r.status(), 201);
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    b.stop().await;
    sender.await.unwrap();
    // While B is down, A keeps the documents and retries; the sender can see why.
    eventually("a failed attempt is recorded", async || {
        a.store().outbox(None).await.unwrap().iter().any(|o| o.attempts >= 1 && o.last_error.is_some())
    })
    .await;
    let waiting = a.store().outbox(None).await.unwrap().len();
    assert!(waiting > 0, "documents wait in the outbox while the receiver is down");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.start().await;

    eventually("all twenty at B", async || b.count(Direction::Incoming).await == 20).await;
    eventually("every receipt back at A", async || all_receipted(&a, "01").await == 20).await;
    eventually("every receipt back at B", async || all_receipted(&b, "01").await == 5).await;

    // Exactly once: twenty entries numbered 1..20, twenty distinct DocumentIds.
    let f = DocumentFilter { direction: Some(Direction::Incoming), ..Default::default() };
    let incoming = b.store().list_documents(&f, motcua_store::Page::all()).await.unwrap().items;
    let mut numbers: Vec<i64> = incoming.iter().map(|d| d.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
    let ids: std::collections::HashSet<&str> = incoming.iter().map(|d| d.document_id.as_str()).collect();
    assert_eq!(ids.len(), 20);
    assert!(incoming.iter().all(|d| d.from_org.as_str() == org_a));
    assert_eq!(b.store().quarantined(None, Default::default()).await.unwrap().total, 0);
    assert_eq!(a.store().quarantined(None, Default::default()).await.unwrap().total, 0);

    // An officer's answer at B travels back to A as a signed status.
    let tb = b.token("stp.vanthu").await;
    let first = incoming.iter().find(|d| d.number == 1).unwrap();
    let r = b
        .client
        .post(b.url(&format!("/api/v1/documents/{}/status", first.id)))
        .bearer_auth(&tb)
        .json(&json!({"status": "03"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eventually("03 back at A", async || all_receipted(&a, "03").await == 1).await;
    let (s, v) =
        json(a.client.get(a.url("/api/v1/documents?direction=out&limit=100")).bearer_auth(&ta).send().await.unwrap())
            .await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(20)));
    // Nothing left to deliver on either side.
    eventually("outboxes empty", async || {
        a.store().outbox(None).await.unwrap().is_empty() && b.store().outbox(None).await.unwrap().is_empty()
    })
    .await;

    // A request signed by A's server, carrying a package whose sender A does not serve,
    // is quarantined at B; an old request is refused outright.
    let foreign = first_sent(&b).await.into_bytes();
    let signer =
        motcua::documents::exchange::Exchange::new(a.db.store.clone(), Some(a.passphrase.clone()), fast_outbox());
    let server = signer.identity(motcua_store::documents::CertRole::Server, None).await.unwrap().unwrap();
    let ca =
        a.store().certificates(Some(motcua_store::documents::CertRole::Ca), None).await.unwrap()[0].fingerprint.clone();
    let post = async |date: jiff::Timestamp| to_inbox(&b, &server, &ca, date, foreign.clone()).await;
    let r = post(jiff::Timestamp::now() - jiff::SignedDuration::from_mins(30)).await;
    let (s, v) = json(r).await;
    assert_eq!((s, v["error"]["code"].as_str()), (401, Some("bad_request_signature")), "{v}");
    let (s, v) = json(post(jiff::Timestamp::now()).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (422, Some("package_quarantined")), "{v}");
    let q = b.store().quarantined(None, Default::default()).await.unwrap();
    assert_eq!(q.total, 1);
    assert!(
        q.items[0].reason.contains("không thuộc máy chủ đối tác") && q.items[0].source == "peer:quangninh",
        "{:?}",
        q.items[0].reason
    );

    // A server still on motcua's earlier edXML layout (root edXMLEnvelope, detached CMS)
    // delivers to this one: the package, written and signed as it would, is registered once.
    let text = first_sent(&a).await;
    let mut old = motcua_exchange::DocumentPackage::parse(text.as_bytes()).unwrap();
    assert_eq!(old.shape, motcua_exchange::Shape::Axis);
    old.shape = motcua_exchange::Shape::Motcua;
    old.header.code_number += 100;
    let org = motcua_domain::OrgCode::parse(&org_a).unwrap();
    let org_key = signer.identity(motcua_store::documents::CertRole::Org, Some(&org)).await.unwrap().unwrap();
    old.sign(&org_key).unwrap();
    let body = old.to_xml().into_bytes();
    assert!(body.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML:edXMLEnvelope"));
    let r = to_inbox(&b, &server, &ca, jiff::Timestamp::now(), body).await;
    let (s, v) = json(r).await;
    assert_eq!((s, v["registered"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    let registered = b.store().document(v["registered"][0]["id"].as_i64().unwrap()).await.unwrap().unwrap();
    assert_eq!(registered.document_id, old.header.document_id());
    assert_eq!(motcua_exchange::edxml::shape_of(registered.package.as_bytes()), Some(motcua_exchange::Shape::Motcua));

    a.stop().await;
    b.stop().await;
}

/// The package of the first document in `node`'s outgoing register.
async fn first_sent(node: &Node) -> String {
    let sent = node
        .store()
        .list_documents(
            &DocumentFilter { direction: Some(Direction::Outgoing), ..Default::default() },
            motcua_store::Page::default(),
        )
        .await
        .unwrap()
        .items;
    node.store().document(sent[0].id).await.unwrap().unwrap().package
}

/// Posts `body` to `to`'s partner inbox in a request signed by `server` (under the CA whose
/// fingerprint is `ca`), dated `date`.
async fn to_inbox(
    to: &Node,
    server: &motcua_exchange::SigningIdentity,
    ca: &str,
    date: jiff::Timestamp,
    body: Vec<u8>,
) -> reqwest::Response {
    use base64::Engine as _;
    let date = date.to_string();
    let path = motcua::documents::exchange::PEER_INBOX_PATH;
    let text = motcua::documents::exchange::request_signing_text("POST", path, &date, &body);
    let sig = motcua_exchange::sign::sign_detached(server, text.as_bytes()).unwrap();
    to.client
        .post(to.url(path))
        .header(motcua::documents::exchange::HEADER_CA, ca)
        .header(motcua::documents::exchange::HEADER_DATE, date)
        .header(motcua::documents::exchange::HEADER_SIGNATURE, base64::engine::general_purpose::STANDARD.encode(sig))
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_servers_exchange_documents_through_an_outage() {
    two_servers(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_servers_exchange_documents_through_an_outage() {
    two_servers(Engine::Postgres).await;
}

/// The trusted roots are parsed once and kept, but read from the database at every
/// verification: a partner introduced (here through the store, as another server sharing the
/// database would) counts at once, and one taken away no longer does.
async fn trusted_roots_follow_the_database(engine: Engine) {
    let Some(mut a) = Node::new(engine, "H22").await else { return };
    let Some(mut b) = Node::new(engine, "H26").await else { return };
    let exchange = motcua::documents::exchange::Exchange::new(a.db.store.clone(), None, Default::default());
    let own = exchange.anchors().await.unwrap().len();
    assert_eq!(own, 1, "the deployment's CA");
    assert_eq!(exchange.anchors().await.unwrap().len(), own, "the same when nothing changed");
    introduce(&a, &b, "hungyen").await;
    assert_eq!(exchange.anchors().await.unwrap().len(), own + 1, "the partner's CA at once");
    assert_eq!(a.db.execute_raw("DELETE FROM exchange_peers").await, 1);
    assert_eq!(exchange.anchors().await.unwrap().len(), own, "gone when the partner is");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_trusted_roots_follow_the_database() {
    trusted_roots_follow_the_database(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_trusted_roots_follow_the_database() {
    trusted_roots_follow_the_database(Engine::Postgres).await;
}

/// Requests that arrive together for an identity whose key is not decrypted yet wait for one
/// decryption (a deliberately slow key derivation) instead of each doing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_decrypted_once_however_many_ask_at_once() {
    let Some(mut a) = Node::new(Engine::Sqlite, "H22").await else { return };
    let exchange = std::sync::Arc::new(motcua::documents::exchange::Exchange::new(
        a.db.store.clone(),
        Some(a.passphrase.clone()),
        Default::default(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let exchange = exchange.clone();
        tasks.spawn(async move {
            exchange.identity(motcua_store::documents::CertRole::Server, None).await.unwrap().unwrap()
        });
    }
    let identities = tasks.join_all().await;
    assert!(identities.iter().all(|i| std::sync::Arc::ptr_eq(i, &identities[0])), "one identity, shared");
    assert_eq!(exchange.keys_decrypted(), 1);
    exchange.identity(motcua_store::documents::CertRole::Server, None).await.unwrap().unwrap();
    assert_eq!(exchange.keys_decrypted(), 1, "kept");
    a.stop().await;
}

/// Documents waiting for one partner go in one signed request (a batch), and the partner's
/// batch inbox takes each package on its own: a changed package is quarantined and refused
/// while the others are taken in; a batch without its own signature, or signed for the
/// single inbox, is refused whole; a batch too large or malformed is refused with its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_for_one_partner_go_in_one_signed_batch() {
    use motcua::documents::exchange::{Exchange, HEADER_CA, HEADER_DATE, HEADER_SIGNATURE, request_signing_text};
    let Some(mut a) = Node::new(Engine::Sqlite, "H22").await else { return };
    let Some(mut b) = Node::new(Engine::Sqlite, "H26").await else { return };
    introduce(&a, &b, "hungyen").await;
    introduce(&b, &a, "quangninh").await;
    let ta = a.token("stp.vanthu").await;
    let (org_a, org_b) = (a.org_of(&ta).await, b.org_of(&b.token("stp.vanthu").await).await);
    let code = motcua_domain::OrgCode::parse(&org_a).unwrap();
    motcua::documents::pki::issue(a.store(), &a.passphrase, &code, motcua_exchange::KeyAlgorithm::EcdsaP256, 30)
        .await
        .unwrap();

    // Six documents queued while B is down, then A stops too: nothing is delivered yet.
    b.stop().await;
    for i in 0..6 {
        a.send(&ta, &org_a, &org_b, i).await;
    }
    a.stop().await;
    // Past the longest backoff, every item is due; B is back; one pass delivers them all.
    tokio::time::sleep(Duration::from_millis(800)).await;
    b.start().await;
    let outbox = Exchange::new(a.db.store.clone(), Some(a.passphrase.clone()), fast_outbox());
    assert_eq!(outbox.deliver_due().await.unwrap(), 6);
    assert_eq!(outbox.requests_sent(), 1, "six packages, one signed request");
    assert_eq!(b.count(Direction::Incoming).await, 6);
    assert!(a.store().outbox(None).await.unwrap().is_empty(), "all six marked delivered");

    // The batch inbox by hand: a package already delivered, and the same one changed.
    let f = DocumentFilter { direction: Some(Direction::Outgoing), ..Default::default() };
    let sent = a.store().list_documents(&f, motcua_store::Page::default()).await.unwrap().items;
    let good = a.store().document(sent[0].id).await.unwrap().unwrap().package;
    let changed = good.replacen("văn bản", "văn bản giả", 1);
    assert_ne!(good, changed);
    let server = outbox.identity(motcua_store::documents::CertRole::Server, None).await.unwrap().unwrap();
    let ca =
        a.store().certificates(Some(motcua_store::documents::CertRole::Ca), None).await.unwrap()[0].fingerprint.clone();
    let path = motcua::documents::exchange::batch::PEER_BATCH_PATH;
    let multipart = |parts: &[(&str, &str)]| {
        let mut body = String::new();
        for (name, p) in parts {
            body += &format!("--xyz\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{p}\r\n");
        }
        body + "--xyz--\r\n"
    };
    let post = async |signed_path: &str, body: String| {
        let date = jiff::Timestamp::now().to_string();
        let text = request_signing_text("POST", signed_path, &date, body.as_bytes());
        let sig = motcua_exchange::sign::sign_detached(&server, text.as_bytes()).unwrap();
        use base64::Engine as _;
        b.client
            .post(b.url(path))
            .header("content-type", "multipart/form-data; boundary=xyz")
            .header(HEADER_CA, &ca)
            .header(HEADER_DATE, date)
            .header(HEADER_SIGNATURE, base64::engine::general_purpose::STANDARD.encode(sig))
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let (s, v) = json(post(path, multipart(&[("package", &good), ("package", &changed)])).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["outcome"], "received", "{v}");
    assert_eq!(v["results"][0]["received"]["duplicates"], 1, "already had it: {v}");
    assert_eq!(v["results"][1]["outcome"], "refused", "{v}");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
    let q = b.store().quarantined(None, Default::default()).await.unwrap();
    assert_eq!((q.total, q.items[0].source.as_str()), (1, "peer:quangninh"), "the changed one, quarantined");
    assert_eq!(b.count(Direction::Incoming).await, 6, "nothing registered twice");

    // Signed for the single inbox, not for this path: refused whole, nothing quarantined.
    let body = multipart(&[("package", &good)]);
    let (s, v) = json(post(motcua::documents::exchange::PEER_INBOX_PATH, body.clone()).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (401, Some("bad_request_signature")), "{v}");
    let unsigned = b.client.post(b.url(path)).header("content-type", "multipart/form-data; boundary=xyz");
    let (s, v) = json(unsigned.body(body).send().await.unwrap()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (401, Some("bad_request_signature")), "{v}");
    let (s, v) = json(post(path, multipart(&[("file", &good)])).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("invalid_batch")), "{v}");
    let (s, v) = json(post(path, multipart(&[])).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("invalid_batch")), "{v}");
    let many: Vec<(&str, &str)> = (0..33).map(|_| ("package", "<x/>")).collect();
    let (s, v) = json(post(path, multipart(&many)).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (413, Some("payload_too_large")), "{v}");
    assert_eq!(b.store().quarantined(None, Default::default()).await.unwrap().total, 1);
    b.stop().await;
}

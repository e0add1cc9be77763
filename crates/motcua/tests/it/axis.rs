//! The connector to the national document axis (issue 29), against a local server that
//! implements the axis's published calls (`sendEdoc`, `getReceivedEdocList`, `getEdoc`,
//! `updateStatus`, `getAgenciesList`) as the public integrations use them — the real axis
//! cannot be reached from here. On SQLite and PostgreSQL: a document goes out through the
//! durable outbox (through an outage of the axis), documents and statuses come in by polling
//! (an unsigned one registered and shown as such, a tampered one quarantined and marked
//! failed, a repeat registered once), and the agency directory routes recipients.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{TestApp, json};
use motcua::documents::exchange::{Agency, AxisSettings, Exchange, OutboxSettings};
use motcua_store::testing::Engine;
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
const SYSTEM: &str = "motcua-thu-nghiem";
const SECRET: &str = "bi-mat-cua-truc";
const GOVERNMENT: &str = "000.00.00.G22";

/// What the fake axis holds and saw.
#[derive(Default)]
struct Axis {
    /// Packages motcua sent: (from, messagetype, body).
    sent: Vec<(String, String, Vec<u8>)>,
    /// Packages waiting for motcua: (docId, messagetype, body).
    waiting: Vec<(String, String, Vec<u8>)>,
    /// updateStatus calls: (docId, status).
    marked: Vec<(String, String)>,
    /// sendEdoc calls to refuse with 503 before accepting.
    outage: usize,
}

type Shared = Arc<Mutex<Axis>>;

fn answer(data: Value) -> axum::response::Response {
    axum::Json(json!({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": data})).into_response()
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn authorised(h: &HeaderMap) -> Option<axum::response::Response> {
    (header(h, "systemid") != SYSTEM || header(h, "secret") != SECRET).then(|| {
        axum::Json(json!({"status": "FAIL", "ErrorCode": "401", "ErrorDesc": "Sai mã hệ thống hoặc khóa"}))
            .into_response()
    })
}

async fn send_edoc(State(axis): State<Shared>, h: HeaderMap, body: axum::body::Bytes) -> axum::response::Response {
    if let Some(refused) = authorised(&h) {
        return refused;
    }
    let mut a = axis.lock().unwrap();
    if a.outage > 0 {
        a.outage -= 1;
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "bảo trì").into_response();
    }
    a.sent.push((header(&h, "from"), header(&h, "messagetype"), body.to_vec()));
    let id = format!("sent-{}", a.sent.len());
    axum::Json(json!({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "DocId": id})).into_response()
}

async fn received_list(State(axis): State<Shared>, h: HeaderMap) -> axum::response::Response {
    if let Some(refused) = authorised(&h) {
        return refused;
    }
    let kind = header(&h, "messagetype");
    let a = axis.lock().unwrap();
    let list: Vec<Value> = a
        .waiting
        .iter()
        .filter(|(id, t, _)| *t == kind && !a.marked.iter().any(|(m, _)| m == id))
        .map(|(id, t, _)| json!({"docId": id, "serviceType": "eDoc", "messageType": t, "from": GOVERNMENT}))
        .collect();
    answer(Value::Array(list))
}

async fn get_edoc(State(axis): State<Shared>, h: HeaderMap) -> axum::response::Response {
    if let Some(refused) = authorised(&h) {
        return refused;
    }
    let id = header(&h, "docid");
    let a = axis.lock().unwrap();
    match a.waiting.iter().find(|(d, _, _)| *d == id) {
        Some((_, _, body)) => answer(Value::String(B64.encode(body))),
        None => axum::Json(json!({"status": "FAIL", "ErrorCode": "404", "ErrorDesc": "Không có"})).into_response(),
    }
}

async fn update_status(State(axis): State<Shared>, h: HeaderMap) -> axum::response::Response {
    if let Some(refused) = authorised(&h) {
        return refused;
    }
    axis.lock().unwrap().marked.push((header(&h, "docid"), header(&h, "status")));
    answer(Value::Null)
}

async fn agencies(h: HeaderMap) -> axum::response::Response {
    if let Some(refused) = authorised(&h) {
        return refused;
    }
    answer(json!([
        {"id": "1", "code": GOVERNMENT, "pcode": "", "name": "Văn phòng Chính phủ"},
        {"id": "2", "code": "000.00.00.H22", "pcode": GOVERNMENT, "name": "UBND tỉnh Quảng Ninh"}
    ]))
}

async fn start_axis() -> (String, Shared) {
    let axis = Shared::default();
    let app = axum::Router::new()
        .route("/sendEdoc", axum::routing::post(send_edoc))
        .route("/getReceivedEdocList", axum::routing::post(received_list))
        .route("/getEdoc", axum::routing::post(get_edoc))
        .route("/updateStatus", axum::routing::post(update_status))
        .route("/getAgenciesList", axum::routing::post(agencies))
        .with_state(axis.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/vxp", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().nest("/vxp", app)).await.unwrap();
    });
    (url, axis)
}

fn settings(url: &str, secret: &str) -> OutboxSettings {
    OutboxSettings {
        axis: Some(AxisSettings {
            base_url: url.to_owned(),
            system_id: SYSTEM.to_owned(),
            secret: secret.to_owned(),
            poll_every: Duration::from_millis(100),
        }),
        ..common::fast_outbox()
    }
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not reached: {what}");
}

/// A package from the government office to `to`, as an outside system writes it (lxml).
fn outside_package(to: &str, number: u32, signed_by: Option<&motcua_exchange::SigningIdentity>) -> Vec<u8> {
    let today = jiff::Zoned::now().strftime("%Y/%m/%d").to_string();
    let mut pkg = motcua_exchange::DocumentPackage {
        header: motcua_exchange::edxml::MessageHeader {
            from: motcua_exchange::edxml::Organ {
                id: motcua_domain::OrgCode::parse(GOVERNMENT).unwrap(),
                name: "Văn phòng Chính phủ".into(),
            },
            to: vec![motcua_exchange::edxml::Organ {
                id: motcua_domain::OrgCode::parse(to).unwrap(),
                name: "UBND phường Hạ Long".into(),
            }],
            code_number: number,
            code_notation: "VPCP-KSTT".into(),
            place: "Hà Nội".into(),
            promulgation_date: jiff::civil::Date::strptime("%Y/%m/%d", &today).unwrap(),
            document_type: "Công văn".into(),
            subject: format!("V/v triển khai số {number}"),
            content: String::new(),
            signer: Default::default(),
            due_date: None,
            to_places: vec![],
            priority: Default::default(),
            business: Default::default(),
            business_reason: String::new(),
            revision: 0,
        },
        traces: vec![],
        signature: None,
        attachments: vec![motcua_exchange::edxml::PackageAttachment {
            name: "cv.pdf".into(),
            content_type: "application/pdf".into(),
            description: String::new(),
            data: PDF.to_vec(),
        }],
        shape: Default::default(),
    };
    if let Some(id) = signed_by {
        pkg.sign(id).unwrap();
    }
    pkg.to_xml().into_bytes()
}

async fn through_the_axis(engine: Engine) {
    let (url, axis) = start_axis().await;
    let Some(app) = TestApp::spawn_with(engine, |s| s.outbox = settings(&url, SECRET)).await else { return };
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    let exchange = Exchange::new(app.db.store.clone(), Some(app.passphrase.clone()), settings(&url, SECRET));
    // The directory, fetched from the axis: the government office is reached through it.
    let directory = exchange.fetch_directory().await.unwrap();
    assert_eq!(directory.len(), 2);
    // The province's committee is one of this server's own organisations (same code).
    assert_eq!(exchange.import_directory(&directory).await.unwrap(), (2, 1));
    assert_eq!(
        exchange.directory().await.unwrap()[0],
        Agency { code: GOVERNMENT.into(), name: "Văn phòng Chính phủ".into(), parent: String::new() }
    );

    // Out: a signed document for the government office, through an outage of the axis.
    axis.lock().unwrap().outage = 2;
    let sender = app.token("stp.vanthu").await;
    let doc = json!({
        "from": stp, "to": [GOVERNMENT], "notation": "STP-VP", "document_type": "Báo cáo",
        "subject": "V/v báo cáo qua trục liên thông", "content": "", "signer_competence": "GIÁM ĐỐC",
        "signer_position": "Giám đốc", "signer_name": "Nguyễn Văn D", "place": "Quảng Ninh", "priority": 0, "to_places": []
    });
    let form = reqwest::multipart::Form::new()
        .text("document", doc.to_string())
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("bc.pdf"));
    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(&sender).multipart(form).send().await.unwrap();
    let (s, sent) = json(r).await;
    assert_eq!(s, 201, "{sent}");
    eventually("the axis has the document", || axis.lock().unwrap().sent.len() == 1).await;
    let (from, kind, body) = axis.lock().unwrap().sent[0].clone();
    assert_eq!((from.as_str(), kind.as_str()), (stp.as_str(), "edoc"));
    let pkg = motcua_exchange::DocumentPackage::parse(&body).unwrap();
    assert_eq!(pkg.header.to[0].id.as_str(), GOVERNMENT);
    assert_eq!(pkg.header.to[0].name, "Văn phòng Chính phủ", "named from the directory");
    let view = app.get_as(&format!("/api/v1/documents/{}", sent["id"]), &sender).await;
    let (_, view) = json(view).await;
    assert_eq!(view["deliveries"][0]["target"], "axis", "{view}");
    assert!(view["deliveries"][0]["attempts"].as_i64().unwrap() >= 2, "retried through the outage: {view}");
    // A recipient the directory does not know is refused at once.
    let mut unknown = doc.clone();
    unknown["to"] = json!(["000.00.99.G99"]);
    let r = app.post_json("/api/v1/documents", &sender, unknown).await;
    assert_eq!(r.status(), 422);

    // In: an unsigned document, a status for ours, a tampered one, and a repeat.
    let status = {
        let p = motcua_exchange::DocumentPackage::parse(&body).unwrap();
        let mut st = motcua_exchange::StatusPackage {
            response_for: motcua_exchange::edxml::ResponseFor {
                organ_id: p.header.from.id.clone(),
                code: p.header.code(),
                promulgation_date: p.header.promulgation_date,
                document_id: p.header.document_id(),
            },
            from: p.header.to[0].clone(),
            status: motcua_exchange::edxml::StatusCode::Accepted,
            description: "Đã vào sổ".into(),
            department: "Văn thư".into(),
            staff: "Trần Thị E".into(),
            timestamp: jiff::Timestamp::now(),
            revision: 0,
            signature: None,
            shape: Default::default(),
        };
        st.signature = None;
        st.to_xml().into_bytes()
    };
    let stp_key = app.org_identity(&stp).await;
    let tampered = String::from_utf8(outside_package(&halong, 3, Some(&stp_key)))
        .unwrap()
        .replace("V/v triển khai số 3", "V/v triển khai số 4")
        .into_bytes();
    {
        let mut a = axis.lock().unwrap();
        a.waiting.push(("d-1".into(), "edoc".into(), outside_package(&halong, 1, None)));
        a.waiting.push(("s-1".into(), "status".into(), status));
        a.waiting.push(("d-2".into(), "edoc".into(), tampered));
        a.waiting.push(("d-3".into(), "edoc".into(), outside_package(&halong, 1, None)));
    }
    eventually("all four taken in and marked", || axis.lock().unwrap().marked.len() == 4).await;
    let marked = axis.lock().unwrap().marked.clone();
    for (id, want) in [("d-1", "done"), ("s-1", "done"), ("d-2", "fail"), ("d-3", "done")] {
        assert!(marked.contains(&(id.to_owned(), want.to_owned())), "{id}: {marked:?}");
    }
    let clerk = app.token("halong.vanthu").await;
    let (_, list) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    assert_eq!(list["total"], 1, "registered once: {list}");
    let (_, view) = json(app.get_as(&format!("/api/v1/documents/{}", list["items"][0]["id"]), &clerk).await).await;
    assert_eq!(view["subject"], "V/v triển khai số 1");
    assert_eq!(view["signature"]["state"], "unsigned", "{view}");
    let b = common::browser();
    common::sign_in(&app, &b, "halong.vanthu").await;
    let page =
        b.get(app.url(&format!("/van-ban/{}", list["items"][0]["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Không có chữ ký số"), "the page says so");
    // The sent document shows the government office's receipt.
    let (_, view) = json(app.get_as(&format!("/api/v1/documents/{}", sent["id"]), &sender).await).await;
    let statuses: Vec<&str> =
        view["recipients"][0]["statuses"].as_array().unwrap().iter().filter_map(|s| s["code"].as_str()).collect();
    assert_eq!(statuses, vec!["03"], "{view}");
    // Hạ Long's "arrived" went back through the axis, signed.
    eventually("the receipt went back", || axis.lock().unwrap().sent.iter().any(|(_, k, _)| k == "status")).await;
    let (from, _, receipt) = axis.lock().unwrap().sent.iter().find(|(_, k, _)| k == "status").unwrap().clone();
    assert_eq!(from, halong);
    let receipt = motcua_exchange::StatusPackage::parse(&receipt).unwrap();
    assert_eq!(receipt.status, motcua_exchange::edxml::StatusCode::Arrived);
    assert!(receipt.signature.is_some());
    // The tampered one waits in quarantine with the reason.
    let province = app.token("tinh.quantri").await;
    let (_, q) = json(app.get_as("/api/v1/exchange/quarantine", &province).await).await;
    assert!(
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["source"] == "axis" && i["reason"].as_str().unwrap().contains("thay đổi")),
        "{q}"
    );

    // Wrong credentials: the axis refuses and says why; nothing is taken.
    let wrong = Exchange::new(app.db.store.clone(), Some(app.passphrase.clone()), settings(&url, "sai"));
    let e = wrong.fetch_directory().await.unwrap_err();
    assert!(e.contains("401") && e.contains("Sai mã hệ thống"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_documents_go_and_come_through_the_axis() {
    through_the_axis(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_documents_go_and_come_through_the_axis() {
    through_the_axis(Engine::Postgres).await;
}

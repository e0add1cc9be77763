//! Official documents between organisations of one server, through the real HTTP API:
//! registers, signed sending, verified receiving, status receipts, recall, edXML export
//! and import, checked with `xmlsec1`, on SQLite and PostgreSQL.

use crate::common;

use std::time::Duration;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    documents_travel_with_receipts_between_two_organisations,
    exported_documents_verify_with_xmlsec1,
    tampered_and_hostile_packages_are_quarantined_or_refused,
    sending_checks_its_input_and_the_senders_rights,
    a_resent_document_is_sent_once,
);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

struct Orgs {
    stp: String,
    halong: String,
}

async fn setup(app: &TestApp) -> Orgs {
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    Orgs { stp, halong }
}

fn document(from: &str, to: &[&str], subject: &str) -> Value {
    json!({
        "from": from, "to": to, "notation": "STP-VP", "document_type": "Công văn",
        "subject": subject, "content": "Kính gửi UBND phường Hạ Long,\nĐề nghị phối hợp.",
        "signer_competence": "KT. GIÁM ĐỐC", "signer_position": "Phó Giám đốc", "signer_name": "Phạm Quang Huy",
        "place": "Quảng Ninh", "due_date": "2026-12-31", "priority": 1, "to_places": ["Như trên", "Lưu: VT"]
    })
}

async fn send(app: &TestApp, token: &str, doc: Value, files: &[(&str, &[u8])]) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("document", doc.to_string());
    for (name, bytes) in files {
        form = form.part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    app.client.post(app.url("/api/v1/documents")).bearer_auth(token).multipart(form).send().await.expect("request")
}

/// Waits until `check` holds on the document list of `token` (the outbox works in the
/// background).
async fn wait_for(app: &TestApp, token: &str, query: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let (s, v) = json(app.get_as(&format!("/api/v1/documents?{query}"), token).await).await;
        assert_eq!(s, 200, "{v}");
        if check(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached for {query}");
}

async fn get_doc(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, v) = json(app.get_as(&format!("/api/v1/documents/{id}"), token).await).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn status(app: &TestApp, token: &str, id: i64, code: &str, description: &str) -> reqwest::Response {
    app.post_json(&format!("/api/v1/documents/{id}/status"), token, json!({"status": code, "description": description}))
        .await
}

fn timeline(view: &Value, org: &str) -> Vec<String> {
    let r = view["recipients"].as_array().unwrap().iter().find(|r| r["org"] == org).expect("recipient");
    r["statuses"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()).collect()
}

async fn documents_travel_with_receipts_between_two_organisations(app: TestApp) {
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let clerk = app.token("halong.vanthu").await;
    let (s, sent) = json(
        send(
            &app,
            &sender,
            document(&o.stp, &[&o.halong], "V/v phối hợp cấp bản sao trích lục hộ tịch"),
            &[("giay-moi.pdf", PDF)],
        )
        .await,
    )
    .await;
    assert_eq!(s, 201, "{sent}");
    assert_eq!(sent["number"], 1);
    assert_eq!(sent["direction"], "out");
    assert_eq!(sent["code"], "1/STP-VP");
    assert_eq!(sent["state"], "sent");
    assert!(sent["document_id"].as_str().unwrap().starts_with(&format!("{},", o.stp)));
    assert_eq!(sent["attachments"][0]["name"], "giay-moi.pdf");
    let out_id = sent["id"].as_i64().unwrap();

    // It arrives, verified, in the recipient's incoming register, numbered there.
    let list = wait_for(&app, &clerk, "direction=in", |v| v["total"] == 1).await;
    let incoming = &list["items"][0];
    assert_eq!(incoming["number"], 1);
    assert_eq!(incoming["state"], "01");
    assert_eq!(incoming["from_org"], o.stp.as_str());
    assert_eq!(incoming["priority"], 1);
    let in_id = incoming["id"].as_i64().unwrap();
    let (s, v) = json(app.get_as(&format!("/api/v1/documents/{in_id}"), &clerk).await).await;
    assert_eq!(s, 200);
    assert_eq!(v["allowed_actions"], json!(["03", "02"]));
    let file = app.get_as(&format!("/api/v1/documents/{in_id}/attachments/1"), &clerk).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);

    // The sender sees the signed "01 arrived" receipt.
    let view = get_doc(&app, &sender, out_id).await;
    assert_eq!(timeline(&view, &o.halong), vec!["01"]);

    // The recipient works it; each step is a receipt the sender sees.
    assert_error(status(&app, &clerk, in_id, "02", "  ").await, 422, "invalid_document").await;
    assert_error(status(&app, &clerk, in_id, "06", "").await, 409, "document_conflict").await;
    assert_eq!(status(&app, &clerk, in_id, "03", "").await.status(), 200);
    assert_error(status(&app, &clerk, in_id, "04", "").await, 422, "invalid_document").await;
    assert_eq!(status(&app, &clerk, in_id, "04", "Chuyển chuyên viên Hoàng Văn Nam").await.status(), 200);
    assert_eq!(status(&app, &clerk, in_id, "06", "Đã trả lời bằng văn bản số 12/UBND").await.status(), 200);
    assert_error(status(&app, &clerk, in_id, "05", "").await, 409, "document_conflict").await;
    assert_error(status(&app, &clerk, in_id, "13", "").await, 400, "invalid_status").await;
    let view = get_doc(&app, &sender, out_id).await;
    assert_eq!(timeline(&view, &o.halong), vec!["01", "03", "04", "06"]);
    assert_eq!(view["recipients"][0]["state_label"], "Hoàn thành");
    let assigned = &view["recipients"][0]["statuses"][2];
    assert_eq!(assigned["description"], "Chuyển chuyên viên Hoàng Văn Nam");
    assert_eq!(assigned["staff"], "Ngô Thị Thu");

    // Officers see only their organisations' registers; reading is not acting.
    let other = app.token("tienyen.vanthu").await;
    assert_eq!(app.get_as(&format!("/api/v1/documents/{out_id}"), &other).await.status(), 404);
    assert_eq!(app.get_as(&format!("/api/v1/documents/{in_id}/edxml"), &other).await.status(), 404);
    let (_, v) = json(app.get_as("/api/v1/documents", &other).await).await;
    assert_eq!(v["total"], 0);
    assert_eq!(app.get_as(&format!("/api/v1/documents?org={}", o.stp), &other).await.status(), 403);
    let specialist = app.token("halong.chuyenvien").await;
    assert_eq!(app.get_as(&format!("/api/v1/documents/{in_id}"), &specialist).await.status(), 200);
    assert_error(status(&app, &specialist, in_id, "05", "").await, 403, "forbidden").await;
    let citizen = app.token("congdan").await;
    assert_error(app.get_as("/api/v1/documents", &citizen).await, 403, "forbidden").await;
    assert_eq!(app.get("/api/v1/documents").await.status(), 401);

    // A second document takes the next number; a recall waits for the recipient.
    let (s, second) = json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v mời họp"), &[]).await).await;
    assert_eq!(s, 201);
    assert_eq!(second["number"], 2);
    let second_id = second["id"].as_i64().unwrap();
    let list = wait_for(&app, &clerk, "direction=in", |v| v["total"] == 2).await;
    let in2 = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(list["items"][0]["number"], 2);
    let r = app
        .post_json(
            &format!("/api/v1/documents/{second_id}/business"),
            &sender,
            json!({"kind": "recall", "reason": "Gửi nhầm"}),
        )
        .await;
    let (s, v) = json(r).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("recalled")), "{v}");
    let list = wait_for(&app, &clerk, "direction=in", |v| v["items"][0]["pending"] == "Thu hồi").await;
    assert_eq!(list["items"][0]["state"], "01");
    let decision_path = format!("/api/v1/documents/{in2}/business-decision");
    let decide =
        |accept: bool, reason: &str| app.post_json(&decision_path, &clerk, json!({"accept": accept, "reason": reason}));
    assert_error(decide(false, "").await, 422, "invalid_document").await;
    let (s, v) = json(decide(true, "").await).await;
    assert_eq!((s, v["state"].as_str(), &v["pending"]), (200, Some("13"), &Value::Null), "{v}");
    assert_error(decide(true, "").await, 409, "document_conflict").await;
    let view = get_doc(&app, &sender, second_id).await;
    assert_eq!(timeline(&view, &o.halong), vec!["01", "15"]);
    // Recalled documents are not recalled twice.
    let r = app
        .post_json(
            &format!("/api/v1/documents/{second_id}/business"),
            &sender,
            json!({"kind": "recall", "reason": "Lại"}),
        )
        .await;
    assert_error(r, 409, "document_conflict").await;

    // The same package imported again changes nothing: one entry per DocumentId.
    let package = app.get_as(&format!("/api/v1/documents/{out_id}/edxml"), &sender).await.bytes().await.unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/documents/import"))
        .bearer_auth(&clerk)
        .header("content-type", "application/xml")
        .body(package.to_vec())
        .send()
        .await
        .unwrap();
    let (s, v) = json(r).await;
    assert_eq!((s, v["duplicates"].as_u64(), v["registered"].as_array().map(Vec::len)), (200, Some(1), Some(0)), "{v}");
    let (_, v) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    assert_eq!(v["total"], 2);
    // Registers by direction and year.
    let (_, v) = json(app.get_as("/api/v1/documents?direction=out", &sender).await).await;
    assert_eq!(v["total"], 2);
    let (_, v) = json(app.get_as("/api/v1/documents?direction=out&year=1999", &sender).await).await;
    assert_eq!(v["total"], 0);
    // Every delivery went through the outbox and was delivered.
    let view = get_doc(&app, &sender, out_id).await;
    assert_eq!(view["deliveries"][0]["target"], "local");
    assert!(view["deliveries"][0]["delivered_at"].is_string(), "{}", view["deliveries"]);
}

/// `xmlsec1 --verify` (Debian's XML Security Library command line) on a package.
fn xmlsec1_verify(dir: &std::path::Path, package: &[u8], ca: &[u8]) -> bool {
    std::fs::write(dir.join("package.xml"), package).unwrap();
    std::fs::write(dir.join("ca.pem"), ca).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::process::Command::new("xmlsec1")
        .args(["--verify", "--trusted-pem", &p("ca.pem"), &p("package.xml")])
        .output()
        .expect("xmlsec1 is installed")
        .status
        .success()
}

async fn exported_documents_verify_with_xmlsec1(app: TestApp) {
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let (s, sent) =
        json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v kiểm tra chữ ký số"), &[("a.pdf", PDF)]).await)
            .await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    let package = app.get_as(&format!("/api/v1/documents/{id}/edxml"), &sender).await.bytes().await.unwrap();
    let content = app.get_as(&format!("/api/v1/documents/{id}/signed-content"), &sender).await.bytes().await.unwrap();
    // The enveloped XML signature covers the whole package.
    assert_eq!(content, package);
    let r = app.get_as(&format!("/api/v1/documents/{id}/signature"), &sender).await;
    assert_eq!(r.headers()["content-type"], "application/xml; charset=utf-8");
    let sig = r.text().await.unwrap();
    assert!(sig.starts_with("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"), "{sig}");
    let ca = app.get("/api/v1/exchange/ca.pem").await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&ca).starts_with("-----BEGIN CERTIFICATE-----"));
    let dir = tempfile::tempdir().unwrap();
    assert!(xmlsec1_verify(dir.path(), &package, &ca), "xmlsec1 --verify accepts the exported document");
    let text = String::from_utf8(package.to_vec()).unwrap();
    assert!(text.contains("<edXML:DigitalSignature><Signature") && text.contains("<edXML:TraceHeader>"));
    for (from, to) in
        [("V/v kiểm tra", "V/v kiểm trA"), ("<edXML:Priority>1<", "<edXML:Priority>3<"), ("JVBERi0", "JVBERi1")]
    {
        assert!(text.contains(from), "{from}");
        let changed = text.replacen(from, to, 1);
        assert!(!xmlsec1_verify(dir.path(), changed.as_bytes(), &ca), "{from} → {to} is refused");
    }
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.import_package(token, body).await
}

async fn tampered_and_hostile_packages_are_quarantined_or_refused(app: TestApp) {
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let clerk = app.token("halong.vanthu").await;
    let (_, sent) = json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v báo cáo tháng 11"), &[]).await).await;
    let id = sent["id"].as_i64().unwrap();
    let package = app.get_as(&format!("/api/v1/documents/{id}/edxml"), &sender).await.text().await.unwrap();
    wait_for(&app, &clerk, "direction=in", |v| v["total"] == 1).await;

    // Changed in transit: refused and kept in quarantine with the reason.
    let forged = package.replace("V/v báo cáo tháng 11", "V/v báo cáo tháng 12");
    let msg = assert_error(import(&app, &clerk, forged.into_bytes()).await, 422, "package_quarantined").await;
    assert!(msg.contains("thay đổi"), "{msg}");
    // A DocumentId of a new document with a forged number: still the signature fails.
    let renumbered =
        package.replace("<edXML:CodeNumber>1<", "<edXML:CodeNumber>9<").replace(",1/STP-VP<", ",9/STP-VP<");
    assert_error(import(&app, &clerk, renumbered.into_bytes()).await, 422, "package_quarantined").await;
    // Without signature.
    let start = package.find("<edXML:DigitalSignature>").unwrap();
    let end = package.find("</edXML:DigitalSignature>").unwrap() + "</edXML:DigitalSignature>".len();
    let unsigned = format!("{}{}", &package[..start], &package[end..]);
    let msg = assert_error(import(&app, &clerk, unsigned.into_bytes()).await, 422, "package_quarantined").await;
    assert!(msg.contains("không có chữ ký"), "{msg}");
    // External entities, garbage, an empty body.
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        &package[package.find("<edXML xmlns").unwrap()..]
    );
    let msg = assert_error(import(&app, &clerk, xxe.into_bytes()).await, 422, "package_quarantined").await;
    assert!(msg.contains("DOCTYPE"), "{msg}");
    assert_error(import(&app, &clerk, b"\x00\x01 not xml".to_vec()).await, 422, "package_quarantined").await;
    assert_error(import(&app, &clerk, Vec::new()).await, 422, "package_quarantined").await;
    // Larger than any package may be: refused before reading, with our JSON error.
    let huge = vec![b'a'; motcua_exchange::edxml::MAX_PACKAGE_BYTES + 10];
    assert_error(import(&app, &clerk, huge).await, 413, "payload_too_large").await;
    // A large one that fails: only its start is kept, with its size and digest.
    let large = vec![b'<'; 3 * 1024 * 1024];
    assert_error(import(&app, &clerk, large).await, 422, "package_quarantined").await;
    let kept = app.db.store.quarantined(None, Default::default()).await.unwrap();
    assert_eq!(kept.items[0].package.len(), motcua_store::documents::QUARANTINE_KEPT_BYTES);
    assert_eq!(kept.items[0].size, 3 * 1024 * 1024);

    let (s, q) = json(app.get_as("/api/v1/exchange/quarantine", &clerk).await).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["total"], 7);
    assert_eq!(q["items"][0]["size"], 3 * 1024 * 1024);
    assert!(q["items"].as_array().unwrap().iter().all(|i| i["source"] == "import:halong.vanthu"));
    // Another organisation's clerk and leader see none of it; the province's administrator all.
    for other in ["tienyen.vanthu", "tienyen.lanhdao", "stp.vanthu"] {
        let token = app.token(other).await;
        let (s, q) = json(app.get_as("/api/v1/exchange/quarantine", &token).await).await;
        assert_eq!((s, q["total"].as_i64()), (200, Some(0)), "{other}: {q}");
    }
    let province = app.token("tinh.quantri").await;
    let (_, q) = json(app.get_as("/api/v1/exchange/quarantine", &province).await).await;
    assert_eq!(q["total"], 7);
    let reasons: Vec<&str> = q["items"].as_array().unwrap().iter().map(|i| i["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("đã bị thay đổi")), "{reasons:?}");
    // Nothing of it reached the register.
    let (_, v) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    assert_eq!(v["total"], 1);
    // Citizens may not import nor read the quarantine.
    let citizen = app.token("congdan").await;
    assert_eq!(import(&app, &citizen, package.clone().into_bytes()).await.status(), 403);
    assert_eq!(app.get_as("/api/v1/exchange/quarantine", &citizen).await.status(), 403);
    // The partner inbox wants a signed request.
    let r = app
        .client
        .post(app.url("/api/v1/exchange/packages"))
        .header("content-type", "application/xml")
        .body(package.clone())
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "bad_request_signature").await;
    let r = app
        .client
        .post(app.url("/api/v1/exchange/packages"))
        .header("motcua-ca", "00")
        .header("motcua-date", jiff::Timestamp::now().to_string())
        .header("motcua-signature", "AAAA")
        .body(package)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "bad_request_signature").await;
}

async fn sending_checks_its_input_and_the_senders_rights(app: TestApp) {
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let long = "x".repeat(501);
    let cases: Vec<(Value, u16, &str)> = vec![
        (document(&o.stp, &[&o.halong], &long), 422, "invalid_document"),
        (document(&o.stp, &[&o.halong], "   "), 422, "invalid_document"),
        (document(&o.stp, &[], "V/v"), 422, "invalid_document"),
        (document(&o.stp, &["000.00.99.H99"], "V/v"), 422, "unknown_recipient"),
        (document(&o.stp, &["not a code"], "V/v"), 400, "invalid_org_code"),
        (document(&o.stp, &[&o.stp], "V/v"), 422, "invalid_document"),
        (json!({"from": o.stp, "to": [o.halong], "subject": "x"}), 400, "invalid_body"),
    ];
    for (doc, status, code) in cases {
        let r = send(&app, &sender, doc.clone(), &[]).await;
        let (s, v) = json(r).await;
        assert_eq!((s, v["error"]["code"].as_str()), (status, Some(code)), "{doc}: {v}");
    }
    let mut bad_notation = document(&o.stp, &[&o.halong], "V/v");
    bad_notation["notation"] = json!("STP/VP<");
    assert_error(send(&app, &sender, bad_notation, &[]).await, 422, "invalid_document").await;
    let mut bad_date = document(&o.stp, &[&o.halong], "V/v");
    bad_date["due_date"] = json!("31/12/2026");
    assert_error(send(&app, &sender, bad_date, &[]).await, 400, "invalid_date").await;
    // A file type that is not allowed.
    assert_eq!(
        send(&app, &sender, document(&o.stp, &[&o.halong], "V/v"), &[("x.exe", b"MZ\x90\x00")]).await.status(),
        415
    );
    // Only the sender's clerks and leaders send in its name.
    let specialist = app.token("stp.chuyenvien").await;
    assert_error(send(&app, &specialist, document(&o.stp, &[&o.halong], "V/v"), &[]).await, 403, "forbidden").await;
    let clerk = app.token("halong.vanthu").await;
    assert_error(send(&app, &clerk, document(&o.stp, &[&o.halong], "V/v"), &[]).await, 403, "forbidden").await;
    // An organisation without a certificate cannot sign.
    let tienyen = app.org_of("tienyen.vanthu").await;
    let ty = app.token("tienyen.vanthu").await;
    assert_error(send(&app, &ty, document(&tienyen, &[&o.halong], "V/v"), &[]).await, 409, "no_signing_certificate")
        .await;
    // Nothing of the refused requests took a number.
    let (s, v) = json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v hợp lệ"), &[]).await).await;
    assert_eq!((s, v["number"].as_i64()), (201, Some(1)), "{v}");
    // The API never gives out keys.
    let spec = app.get("/api/v1/openapi.json").await.text().await.unwrap();
    assert!(!spec.to_lowercase().contains("private_key") && !spec.contains("key_pem"));
}

/// Servers sharing a PostgreSQL database make the outbox's passes in turns: while another
/// server (here the test, through the same database) holds the pass, this one delivers
/// nothing; once it lets go, the document arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_outbox_waits_while_another_server_holds_its_pass() {
    let Some(app) = TestApp::spawn(motcua_store::testing::Engine::Postgres).await else { return };
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let clerk = app.token("halong.vanthu").await;
    let other = motcua_store::connect(&app.db.url, &Default::default()).await.unwrap();
    let held = other.lead("exchange_outbox").await.unwrap().expect("the other server takes the pass");
    let (s, sent) =
        json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v chờ lượt"), &[("a.pdf", PDF)]).await).await;
    assert_eq!(s, 201, "{sent}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, inbox) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    assert_eq!(inbox["total"], 0, "nothing delivered while another server holds the pass: {inbox}");
    drop(held);
    wait_for(&app, &clerk, "direction=in", |v| v["total"] == 1).await;
}

/// A send retried with its `Idempotency-Key` (the answer lost to a dropped connection or a
/// server killed mid-request) answers with the first document: one number, one delivery.
async fn a_resent_document_is_sent_once(app: TestApp) {
    let o = setup(&app).await;
    let sender = app.token("stp.vanthu").await;
    let clerk = app.token("halong.vanthu").await;
    let keyed = |key: &'static str, subject: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("document", document(&o.stp, &[&o.halong], subject).to_string())
            .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("cong-van.pdf"));
        app.client
            .post(app.url("/api/v1/documents"))
            .bearer_auth(&sender)
            .header("Idempotency-Key", key)
            .multipart(form)
    };
    let (s, first) = json(keyed("gui-cong-van-1", "V/v báo cáo quý IV").send().await.unwrap()).await;
    assert_eq!(s, 201, "{first}");
    for _ in 0..2 {
        let (s, again) = json(keyed("gui-cong-van-1", "V/v báo cáo quý IV").send().await.unwrap()).await;
        assert_eq!(s, 200, "a retry is answered, not refused: {again}");
        assert_eq!((&again["id"], &again["number"], &again["code"]), (&first["id"], &json!(1), &first["code"]));
    }
    // Sent concurrently with one new key: still one document.
    let (a, b) =
        tokio::join!(keyed("gui-cong-van-2", "V/v lịch họp").send(), keyed("gui-cong-van-2", "V/v lịch họp").send());
    let (sa, va) = json(a.unwrap()).await;
    let (sb, vb) = json(b.unwrap()).await;
    let mut statuses = [sa, sb];
    statuses.sort_unstable();
    assert_eq!((statuses, &va["id"]), ([200, 201], &vb["id"]), "{va} {vb}");
    assert_eq!(va["number"], 2);
    // The key with another document, or a key that is not one.
    assert_error(keyed("gui-cong-van-1", "V/v khác hẳn").send().await.unwrap(), 422, "idempotency_key_reused").await;
    assert_error(keyed("   ", "V/v khác hẳn").send().await.unwrap(), 400, "invalid_idempotency_key").await;
    // Without a key every send is a new document; the retries used no number.
    let (s, plain) = json(send(&app, &sender, document(&o.stp, &[&o.halong], "V/v khác"), &[]).await).await;
    assert_eq!((s, &plain["number"]), (201, &json!(3)), "{plain}");

    // The recipient registers each document once, and the sender's outbox went once each.
    let list = wait_for(&app, &clerk, "direction=in", |v| v["total"] == 3).await;
    let mut subjects: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|d| d["subject"].as_str().unwrap()).collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["V/v báo cáo quý IV", "V/v khác", "V/v lịch họp"]);
    let view = get_doc(&app, &sender, first["id"].as_i64().unwrap()).await;
    let kinds: Vec<&str> = view["deliveries"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["document"], "one delivery (the receipt of a local recipient is no delivery): {view}");
    assert_eq!(timeline(&view, &o.halong), vec!["01"], "one receipt of arrival");
}

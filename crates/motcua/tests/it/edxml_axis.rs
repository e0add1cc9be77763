//! Official documents in the national document axis's edXML layout (issue 29), checked with
//! an independent reader and writer of that layout (`e2e/edxml_axis.py`, Python's lxml,
//! written from the layout, not from motcua's code), on SQLite and PostgreSQL.

use crate::common;

use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{TestApp, assert_error, json};
use motcua_exchange::edxml::Shape;
use serde_json::{Value, json};

on_both_backends!(
    an_outside_reader_gets_every_field_and_byte_back,
    a_package_an_outside_writer_made_and_xmlsec1_signed_is_registered_once,
    a_package_an_outside_writer_made_in_the_axis_layout_is_read,
    a_partner_on_the_earlier_layout_still_delivers,
);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
const NAMESPACE: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

fn script() -> String {
    format!("{}/../../e2e/edxml_axis.py", env!("CARGO_MANIFEST_DIR"))
}

/// The outside reader's view of a package.
fn outside_read(package: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.edxml");
    std::fs::write(&path, package).unwrap();
    let out = Command::new("python3").arg(script()).arg("read").arg(&path).output().expect("python3 runs");
    assert!(out.status.success(), "the outside reader refused it: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A package the outside writer makes from `spec`.
fn outside_write(spec: &Value) -> Vec<u8> {
    let mut child = Command::new("python3")
        .arg(script())
        .arg("write")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), spec.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the outside writer failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

async fn orgs(app: &TestApp) -> (String, String) {
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    (stp, halong)
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.import_package(token, body).await
}

/// What the outside writer is asked to write: a document from the Department of Justice to
/// Hạ Long, number `number`, with one PDF; `extra` adds or replaces fields.
fn spec(stp: &str, halong: &str, number: u32, subject: &str, extra: Value) -> Value {
    let mut spec = json!({
        "from": {"id": stp, "name": "Sở Tư pháp tỉnh Quảng Ninh"},
        "to": [{"id": halong, "name": "UBND phường Hạ Long"}],
        "number": number, "notation": "STP-VP", "date": jiff::Zoned::now().strftime("%Y/%m/%d").to_string(),
        "type_name": "Công văn", "subject": subject, "content": "Nội dung",
        "signer": {"competence": "GIÁM ĐỐC", "position": "Giám đốc", "full_name": "Nguyễn Văn A"},
        "place": "Quảng Ninh", "trace_time": jiff::Zoned::now().strftime("%Y/%m/%d %H:%M:%S").to_string(),
        "attachments": [{"name": format!("cv{number}.pdf"), "content_type": "application/pdf", "base64": B64.encode(PDF)}]
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    spec
}

async fn an_outside_reader_gets_every_field_and_byte_back(app: TestApp) {
    let (stp, halong) = orgs(&app).await;
    let sender = app.token("stp.vanthu").await;
    // Every byte value, behind a PNG signature (the server takes PDF, PNG and JPEG).
    let binary: Vec<u8> = b"\x89PNG\r\n\x1a\n".iter().copied().chain((0..=255u8).cycle().take(70_001)).collect();
    let doc = json!({
        "from": stp, "to": [halong], "notation": "STP-VP", "document_type": "Công văn",
        "subject": "V/v liên thông văn bản <trục quốc gia> & LGSP",
        "content": "Kính gửi UBND phường Hạ Long,\nĐề nghị phối hợp.",
        "signer_competence": "KT. GIÁM ĐỐC", "signer_position": "Phó Giám đốc", "signer_name": "Phạm Quang Huy",
        "place": "Quảng Ninh", "due_date": "2026-12-31", "priority": 2, "to_places": ["Như trên", "Lưu: VT"]
    });
    let form = reqwest::multipart::Form::new()
        .text("document", doc.to_string())
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("Công văn 1.pdf"))
        .part("file", reqwest::multipart::Part::bytes(binary.clone()).file_name("phụ lục.png"));
    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(&sender).multipart(form).send().await.unwrap();
    let (s, sent) = json(r).await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    let (_, view) = json(app.get_as(&format!("/api/v1/documents/{id}"), &sender).await).await;
    let package = app.get_as(&format!("/api/v1/documents/{id}/edxml"), &sender).await.bytes().await.unwrap();
    let read = outside_read(&package);

    assert_eq!(read["root_nsmap"][""], NAMESPACE, "{read}");
    assert_eq!(read["from"]["id"], stp.as_str());
    assert!(read["from"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{read}");
    assert_eq!(read["from"]["name"], read["from"]["in_charge"]);
    assert_eq!(read["to"].as_array().unwrap().len(), 1);
    assert_eq!(read["to"][0]["id"], halong.as_str());
    let number = read["code_number"].as_str().unwrap().to_owned();
    assert!(number.parse::<u32>().is_ok_and(|n| n > 0), "{number}");
    assert_eq!(read["code_notation"], "STP-VP");
    assert_eq!(read["place"], "Quảng Ninh");
    let date = read["promulgation_date"].as_str().unwrap().to_owned();
    assert_eq!(date.len(), 10);
    assert_eq!(&date[4..5], "/");
    // Công văn is type 18 of Decree 30/2020's list.
    assert_eq!((read["type"].as_str(), read["type_name"].as_str()), (Some("18"), Some("Công văn")));
    assert_eq!(read["subject"], doc["subject"]);
    assert_eq!(read["content"], doc["content"]);
    assert_eq!(
        read["signer"],
        json!({"competence": "KT. GIÁM ĐỐC", "position": "Phó Giám đốc", "full_name": "Phạm Quang Huy"})
    );
    assert_eq!(read["due_date"], "2026/12/31");
    assert_eq!(read["to_places"], json!(["Như trên", "Lưu: VT"]));
    assert_eq!(read["priority"], "2");
    assert_eq!(read["document_id"], format!("{stp},{date},{number}/STP-VP"));
    assert_eq!(read["document_id"], view["document_id"], "{view}");
    // Bussiness in the trace list, not in the message header; the list's four attributes.
    assert_eq!(read["business"], json!({"type": "0", "reason": ""}));
    assert_eq!(read["bussiness_in_message_header"], false);
    for attr in ["id", "version", "mustUnderstand", "actor"] {
        assert!(read["trace_list"][attr].is_string(), "{attr}: {}", read["trace_list"]);
    }
    let traces = read["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0]["organ_id"], stp.as_str());
    let at = traces[0]["timestamp"].as_str().unwrap();
    assert!(jiff::civil::DateTime::strptime("%Y/%m/%d %H:%M:%S", at).is_ok(), "yyyy/MM/dd HH:mm:ss: {at}");
    assert_eq!(read["digital_signature"], true);
    // Every attachment, byte for byte, bound by xlink:href to its encoded content.
    let attachments = read["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    for (a, (name, bytes)) in attachments.iter().zip([("Công văn 1.pdf", PDF), ("phụ lục.png", binary.as_slice())])
    {
        assert_eq!(a["name"], name);
        assert_eq!(a["name_in_attachment"], name);
        assert_eq!(a["size"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(B64.decode(a["base64"].as_str().unwrap()).unwrap(), bytes, "{name}");
    }
    assert_ne!(attachments[0]["content_id"], attachments[1]["content_id"]);
}

async fn a_package_an_outside_writer_made_in_the_axis_layout_is_read(app: TestApp) {
    let (stp, halong) = orgs(&app).await;
    let clerk = app.token("halong.vanthu").await;
    let spec = spec(&stp, &halong, 77, "V/v gửi từ hệ thống khác", json!({}));
    let today = spec["date"].as_str().unwrap().to_owned();
    let package = outside_write(&spec);
    // The outside reader reads what the outside writer wrote (the two agree on the layout).
    let read = outside_read(&package);
    assert_eq!(B64.decode(read["attachments"][0]["base64"].as_str().unwrap()).unwrap(), PDF);
    // motcua reads every field and the file; the package carries no signature, so the import
    // keeps it in quarantine for that reason, not for its layout.
    let parsed = motcua_exchange::DocumentPackage::parse(&package).expect("motcua reads the axis layout");
    assert_eq!(parsed.shape, Shape::Axis);
    assert_eq!(parsed.header.document_id(), format!("{stp},{today},77/STP-VP"));
    assert_eq!(parsed.header.subject, "V/v gửi từ hệ thống khác");
    assert_eq!(parsed.header.from.name, "Sở Tư pháp tỉnh Quảng Ninh");
    assert_eq!(parsed.header.signer.full_name, "Nguyễn Văn A");
    assert_eq!(parsed.attachments.len(), 1);
    assert_eq!((parsed.attachments[0].name.as_str(), parsed.attachments[0].data.as_slice()), ("cv77.pdf", PDF));
    assert_eq!(parsed.traces.len(), 1);
    let msg = assert_error(import(&app, &clerk, package.clone()).await, 422, "package_quarantined").await;
    assert!(msg.contains("không có chữ ký"), "{msg}");
    // One attachment whose reference points nowhere is refused as malformed.
    let text = String::from_utf8(package).unwrap();
    let dangling = text.replacen("xlink:href=\"cid:file-1@outside\"", "xlink:href=\"cid:other\"", 1);
    let msg = assert_error(import(&app, &clerk, dangling.into_bytes()).await, 422, "package_quarantined").await;
    assert!(msg.contains("cid:other") || msg.contains("other"), "{msg}");
}

/// `xmlsec1` on `package`: `--sign` with the key and certificate given, or `--verify`
/// trusting `ca`. Returns the output (the signed package) when it succeeded.
fn xmlsec1(dir: &std::path::Path, args: &[&str], package: &[u8]) -> Option<Vec<u8>> {
    let input = dir.join("in.xml");
    let output = dir.join("out.xml");
    std::fs::write(&input, package).unwrap();
    let _ = std::fs::remove_file(&output);
    let out = Command::new("xmlsec1")
        .args(args)
        .arg("--output")
        .arg(&output)
        .arg(&input)
        .output()
        .expect("xmlsec1 is installed (scripts/install-deps)");
    out.status.success().then(|| std::fs::read(&output).unwrap_or_default())
}

async fn a_package_an_outside_writer_made_and_xmlsec1_signed_is_registered_once(app: TestApp) {
    let (stp, halong) = orgs(&app).await;
    let clerk = app.token("halong.vanthu").await;
    // The sending organisation's key and certificate, as another system holding them would.
    let identity = app.org_identity(&stp).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    std::fs::write(&key, identity.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&cert, identity.cert.to_pem().unwrap()).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, app.get("/api/v1/exchange/ca.pem").await.bytes().await.unwrap()).unwrap();
    let algorithm = match identity.key.id() {
        motcua_exchange::openssl::pkey::Id::EC => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        _ => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    };
    let spec = spec(
        &stp,
        &halong,
        88,
        "V/v ký số bằng công cụ khác",
        json!({"content": "Nội dung\nhai dòng", "signature_algorithm": algorithm}),
    );
    let today = spec["date"].as_str().unwrap().to_owned();
    let template = outside_write(&spec);
    let keys = format!("{},{}", key.display(), cert.display());
    let signed =
        xmlsec1(dir.path(), &["--sign", "--privkey-pem", &keys], &template).expect("xmlsec1 signs the package");
    let trusted = ca.display().to_string();
    assert!(xmlsec1(dir.path(), &["--verify", "--trusted-pem", &trusted], &signed).is_some(), "xmlsec1 verifies it");

    let (s, v) = json(import(&app, &clerk, signed.clone()).await).await;
    assert_eq!((s, v["registered"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    let (s, v) = json(import(&app, &clerk, signed.clone()).await).await;
    assert_eq!((s, v["duplicates"].as_u64(), v["registered"].as_array().map(Vec::len)), (200, Some(1), Some(0)), "{v}");
    let (_, list) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["document_id"] == format!("{stp},{today},88/STP-VP"))
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    let (_, view) = json(app.get_as(&format!("/api/v1/documents/{}", item["id"]), &clerk).await).await;
    assert_eq!(
        (view["subject"].as_str(), view["content"].as_str()),
        (Some("V/v ký số bằng công cụ khác"), Some("Nội dung\nhai dòng"))
    );
    let file =
        app.get_as(&format!("/api/v1/documents/{}/attachments/1", item["id"]), &clerk).await.bytes().await.unwrap();
    assert_eq!(file.as_ref(), PDF);

    // One changed byte: in the subject, in the file. Both xmlsec1 and motcua refuse it.
    let text = String::from_utf8(signed).unwrap();
    let encoded = B64.encode(PDF);
    let mut file_changed = encoded.clone().into_bytes();
    file_changed[3] = if file_changed[3] == b'A' { b'B' } else { b'A' };
    for (from, to) in [("ký số bằng", "ký số bàng"), (encoded.as_str(), std::str::from_utf8(&file_changed).unwrap())]
    {
        assert!(text.contains(from), "{from}");
        let changed = text.replacen(from, to, 1).replace(",88/STP-VP<", ",89/STP-VP<").replace(">88<", ">89<");
        assert!(
            xmlsec1(dir.path(), &["--verify", "--trusted-pem", &trusted], changed.as_bytes()).is_none(),
            "xmlsec1: {from}"
        );
        let msg = assert_error(import(&app, &clerk, changed.into_bytes()).await, 422, "package_quarantined").await;
        assert!(msg.contains("thay đổi"), "{msg}");
    }
    let (_, list) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    assert_eq!(list["total"], 1, "{list}");
}

async fn a_partner_on_the_earlier_layout_still_delivers(app: TestApp) {
    let (stp, halong) = orgs(&app).await;
    let sender = app.token("stp.vanthu").await;
    let clerk = app.token("halong.vanthu").await;
    let doc = json!({
        "from": stp, "to": [halong], "notation": "STP-VP", "document_type": "Công văn",
        "subject": "V/v mẫu cũ", "content": "", "signer_competence": "GIÁM ĐỐC", "signer_position": "Giám đốc",
        "signer_name": "Nguyễn Văn B", "place": "Quảng Ninh", "priority": 0, "to_places": []
    });
    let form = reqwest::multipart::Form::new()
        .text("document", doc.to_string())
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("a.pdf"));
    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(&sender).multipart(form).send().await.unwrap();
    let (s, sent) = json(r).await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    let package = app.get_as(&format!("/api/v1/documents/{id}/edxml"), &sender).await.bytes().await.unwrap();
    // The same document as a server still on motcua's earlier layout writes it, with another
    // number, signed by the organisation's key as that server would.
    let mut old = motcua_exchange::DocumentPackage::parse(&package).unwrap();
    assert_eq!(old.shape, Shape::Axis);
    old.shape = Shape::Motcua;
    old.header.code_number += 1000;
    old.sign(&*app.org_identity(&stp).await).unwrap();
    let xml = old.to_xml();
    assert!(xml.contains("<edXML:edXMLEnvelope") && !xml.contains("<edXML xmlns") && xml.contains("<edXML:Data>"));
    let (s, v) = json(import(&app, &clerk, xml.clone().into_bytes()).await).await;
    assert_eq!((s, v["registered"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    // Registered once, read in full, and its stored package still verifies when shown.
    let (s, v) = json(import(&app, &clerk, xml.into_bytes()).await).await;
    assert_eq!((s, v["duplicates"].as_u64()), (200, Some(1)), "{v}");
    let (_, list) = json(app.get_as("/api/v1/documents?direction=in", &clerk).await).await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["document_id"].as_str().is_some_and(|i| i.ends_with(&format!(",{}/STP-VP", old.header.code_number)))
        })
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    let (_, view) = json(app.get_as(&format!("/api/v1/documents/{}", item["id"]), &clerk).await).await;
    assert_eq!(view["subject"], "V/v mẫu cũ", "{view}");
    let stored =
        app.get_as(&format!("/api/v1/documents/{}/attachments/1", item["id"]), &clerk).await.bytes().await.unwrap();
    assert_eq!(stored.as_ref(), PDF);
}

//! Signed electronic results through the real HTTP API on SQLite and PostgreSQL: signed at
//! "sign" with the organisation's certificate, numbered `<code>-KQ<n>`, checked by OpenSSL
//! and by `motcua verify` offline, and publicly verifiable by number.

use crate::common;

use std::process::Command;

use common::{TestApp, json};
use serde_json::{Value, json};

on_both_backends!(
    results_are_signed_numbered_and_verifiable,
    an_unsigned_result_is_signed_once_a_certificate_exists,
    results_go_by_post_and_the_carrier_reports_progress,
);

const RESULT: &[u8] = b"%PDF-1.7\nGiay xac nhan tinh trang hon nhan so 12/2026\n%%EOF\n";

/// A dossier taken to "sign", the clerk attaching the result file.
async fn signed_dossier(app: &TestApp) -> String {
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    crate::common::sign_result(&app.client, &app.base, &code, RESULT).await;
    code
}

async fn results(app: &TestApp, token: &str, code: &str) -> Vec<Value> {
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers/{code}/results"), token).await).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn motcua_verify(file: &std::path::Path, sig: &std::path::Path, ca: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["verify"])
        .arg(file)
        .arg(sig)
        .arg("--ca")
        .arg(ca)
        .env("MOTCUA_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn results_are_signed_numbered_and_verifiable(app: TestApp) {
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&halong]).await;
    let code = signed_dossier(&app).await;
    let staff = app.token("halong.vanthu").await;
    let list = results(&app, &staff, &code).await;
    assert_eq!(list.len(), 1);
    let r = &list[0];
    let number = format!("{code}-KQ1");
    assert_eq!(r["number"], number.as_str());
    assert_eq!(r["filename"], "ket-qua.pdf");
    assert_eq!(r["sha256"], motcua_domain::audit::sha256_hex(RESULT).as_str());
    assert!(r["signer"].as_str().unwrap().contains(&halong), "{r}");
    // The citizen sees it once returned.
    let citizen = app.token("congdan").await;
    assert!(results(&app, &citizen, &code).await.is_empty());
    app.act_as("halong.motcua", &code, "return_result").await;
    assert_eq!(results(&app, &citizen, &code).await.len(), 1);

    // Downloaded, it verifies offline with OpenSSL and with `motcua verify`.
    let dir = tempfile::tempdir().unwrap();
    let (file, sig, ca) = (dir.path().join("ket-qua.pdf"), dir.path().join("kq.p7s"), dir.path().join("ca.pem"));
    let bytes = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/1"), &citizen).await.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), RESULT);
    std::fs::write(&file, &bytes).unwrap();
    let der = app.get_as(r["signature_url"].as_str().unwrap(), &citizen).await.bytes().await.unwrap();
    std::fs::write(&sig, &der).unwrap();
    std::fs::write(&ca, app.get("/api/v1/exchange/ca.pem").await.bytes().await.unwrap()).unwrap();
    let openssl = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-content")
        .arg(&file)
        .arg("-CAfile")
        .arg(&ca)
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(openssl.status.success(), "{}", String::from_utf8_lossy(&openssl.stderr));
    let (ok, out) = motcua_verify(&file, &sig, &ca);
    assert!(ok && out.contains("HỢP LỆ") && out.contains(&halong), "{out}");
    let mut changed = RESULT.to_vec();
    changed[12] ^= 1;
    std::fs::write(&file, &changed).unwrap();
    let (ok, out) = motcua_verify(&file, &sig, &ca);
    assert!(!ok && out.contains("KHÔNG HỢP LỆ"), "{out}");

    // The printable result sheet carries the QR code of the verification page.
    let sheet = app.get_as(r["sheet_url"].as_str().unwrap(), &citizen).await;
    assert_eq!(sheet.status(), 200);
    let sheet = sheet.text().await.unwrap();
    assert!(
        sheet.contains("PHIẾU KẾT QUẢ ĐIỆN TỬ")
            && sheet.contains("<svg")
            && sheet.contains(&format!("/xac-minh/{number}")),
        "{sheet}"
    );
    // Anyone can check the number; the answer carries no personal data.
    let (s, v) = json(app.get(&format!("/api/v1/verify/{number}")).await).await;
    assert_eq!((s, v["valid"].as_bool(), v["kind"].as_str()), (200, Some(true), Some("result")), "{v}");
    assert_eq!(v["issuer_code"], halong.as_str());
    assert!(!v.to_string().contains("Nguyễn Văn An") && !v.to_string().contains("022090001234"));
    // The dossier page links to it.
    let b = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    let at = login.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = &login[at..at + 64];
    b.post(app.url("/dang-nhap"))
        .form(&[("csrf", csrf), ("username", "congdan"), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    let html = b.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Kết quả điện tử có ký số") && html.contains(&format!("/xac-minh/{number}")), "{html}");
    let page = app.get(&format!("/xac-minh/{number}")).await.text().await.unwrap();
    assert!(page.contains("Chữ ký số hợp lệ") && page.contains(r["sha256"].as_str().unwrap()), "{page}");
    assert_eq!(app.get("/api/v1/verify/000.00.37.H22-200101-0001-KQ9").await.status(), 404);
    assert_eq!(app.get("/xac-minh/khong-co").await.status(), 404);

    // If the stored file is altered, the page says so.
    let sha = r["sha256"].as_str().unwrap();
    let blob = app.data_dir.path().join("blobs").join(&sha[..2]).join(&sha[2..]);
    std::fs::write(&blob, &changed).unwrap();
    let (_, v) = json(app.get(&format!("/api/v1/verify/{number}")).await).await;
    assert_eq!(v["valid"], false, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("thay đổi"), "{v}");
    let page = app.get(&format!("/xac-minh/{number}")).await.text().await.unwrap();
    assert!(page.contains("KHÔNG hợp lệ"), "{page}");
}

async fn an_unsigned_result_is_signed_once_a_certificate_exists(app: TestApp) {
    // No certificate at signing time: the action still goes through, the result waits.
    let code = signed_dossier(&app).await;
    let staff = app.token("halong.vanthu").await;
    assert!(results(&app, &staff, &code).await.is_empty());
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&halong]).await;
    let list = results(&app, &staff, &code).await;
    assert_eq!(list.len(), 1, "signed when next listed");
    assert_eq!(results(&app, &staff, &code).await[0]["number"], list[0]["number"], "and only once");
}

async fn carrier(app: &TestApp, tracking: &str, body: &str, secret: &str) -> reqwest::Response {
    let ts = jiff::Timestamp::now().as_second().to_string();
    let sig = motcua::payments::api::callback_signature(secret, &ts, body.as_bytes());
    app.client
        .post(app.url(&format!("/api/v1/shipments/{tracking}/status")))
        .header("x-gateway", "vnpost")
        .header("x-timestamp", ts)
        .header("x-signature", sig)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn results_go_by_post_and_the_carrier_reports_progress(app: TestApp) {
    let secret = "carrier-secret-for-tests-0123456789";
    app.db.store.set_partner("vnpost", motcua_domain::payment::PartnerKind::Carrier, secret).await.unwrap();
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    // A carrier's secret confirms no payment: partners are checked for their kind.
    let paid = json!({"transaction_id": "VNP-1", "amount": 15000, "dossier_code": code}).to_string();
    let ts = jiff::Timestamp::now().as_second().to_string();
    let r = app
        .client
        .post(app.url("/api/v1/payments/callback"))
        .header("content-type", "application/json")
        .header("x-gateway", "vnpost")
        .header("x-timestamp", &ts)
        .header("x-signature", motcua::payments::api::callback_signature(secret, &ts, paid.as_bytes()))
        .body(paid)
        .send()
        .await
        .unwrap();
    common::assert_error(r, 401, "invalid_callback_signature").await;
    let desk = app.token("halong.motcua").await;
    let body = json!({"address": "Số 5, phố Cao Xanh, phường Hạ Long, Quảng Ninh", "postage_fee": 25000});
    // Not before there is a result.
    let r = app.post_json(&format!("/api/v1/dossiers/{code}/shipment"), &desk, body.clone()).await;
    common::assert_error(r, 409, "result_not_ready").await;
    app.act_as("halong.motcua", &code, "receive").await;
    app.act_as("halong.chuyenvien", &code, "forward").await;
    app.act_as("halong.lanhdao", &code, "approve").await;
    app.act_as("halong.vanthu", &code, "sign").await;
    // Only the desk sends it, with a real address.
    let specialist = app.token("halong.chuyenvien").await;
    assert_eq!(
        app.post_json(&format!("/api/v1/dossiers/{code}/shipment"), &specialist, body.clone()).await.status(),
        403
    );
    let short = json!({"address": "HL", "postage_fee": 25000});
    common::assert_error(
        app.post_json(&format!("/api/v1/dossiers/{code}/shipment"), &desk, short).await,
        422,
        "invalid_shipment",
    )
    .await;
    let (s, v) = json(app.post_json(&format!("/api/v1/dossiers/{code}/shipment"), &desk, body.clone()).await).await;
    assert_eq!(s, 201, "{v}");
    let tracking = v["tracking_number"].as_str().unwrap().to_owned();
    assert!(tracking.starts_with("EB") && tracking.ends_with("VN") && tracking.len() == 13, "{tracking}");
    let digits = &tracking[2..10];
    assert_eq!(
        tracking[10..11].parse::<u8>().unwrap(),
        motcua::results::post::s10_check_digit(digits).unwrap(),
        "a valid S10 check digit"
    );
    assert_eq!((v["recipient"].as_str(), v["status"].as_str()), (Some("Nguyễn Văn An"), Some("created")));
    common::assert_error(
        app.post_json(&format!("/api/v1/dossiers/{code}/shipment"), &desk, body).await,
        409,
        "shipment_exists",
    )
    .await;

    // The carrier reports; forged or unknown reports change nothing.
    let update = json!({"status": "in_transit", "note": "Bưu cục Hạ Long"}).to_string();
    assert_eq!(carrier(&app, &tracking, &update, "wrong-secret-wrong-secret-000").await.status(), 401);
    assert_eq!(carrier(&app, "EB000000005VN", &update, secret).await.status(), 404);
    assert_eq!(carrier(&app, &tracking, &json!({"status": "teleported"}).to_string(), secret).await.status(), 400);
    assert_eq!(carrier(&app, &tracking, &update, secret).await.status(), 204);
    assert_eq!(carrier(&app, &tracking, &update, secret).await.status(), 204, "a repeat is harmless");
    let delivered = json!({"status": "delivered", "note": "Người nhận: Nguyễn Văn An"}).to_string();
    assert_eq!(carrier(&app, &tracking, &delivered, secret).await.status(), 204);
    // The applicant follows it.
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers/{code}/shipment"), &citizen).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status_label"], "Đã phát thành công");
    let statuses: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["created", "in_transit", "delivered"]);
    assert_eq!(v["events"][2]["label"], "Đã phát thành công", "{v}");
    let stranger = app.token("tienyen.motcua").await;
    assert_eq!(app.get_as(&format!("/api/v1/dossiers/{code}/shipment"), &stranger).await.status(), 404);
}

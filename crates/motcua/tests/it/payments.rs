//! Fees paid without cash, through the real HTTP API on SQLite and PostgreSQL: the quote at
//! submission, VietQR when payment is requested, gateway callbacks — genuine, repeated,
//! forged, stale, for a wrong amount or an unknown dossier — receipts and reconciliation.

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    fees_are_quoted_at_submission,
    a_requested_payment_is_paid_by_callback_once,
    forged_stale_and_mismatched_callbacks_change_nothing,
    payment_at_the_desk_issues_a_receipt,
    a_list_shows_each_dossier_as_its_own_view_does,
);

const SECRET: &str = "gateway-secret-for-tests-0123456789";

async fn setup_gateway(app: &TestApp) {
    app.db.store.set_partner("napas", motcua_domain::payment::PartnerKind::PaymentGateway, SECRET).await.unwrap();
}

/// Submits the marriage-status certificate (15.000 ₫, waived for poor households and people
/// with a disability) and takes it to "payment requested".
async fn dossier_waiting_for_payment(app: &TestApp) -> String {
    let token = app.token("congdan").await;
    let code = app.submit_online(&token).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    app.act_as("halong.chuyenvien", &code, "request_payment").await;
    code
}

async fn dossier(app: &TestApp, code: &str) -> Value {
    let token = app.token("congdan").await;
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &token).await).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn call(app: &TestApp, body: &str, timestamp: i64, secret: &str, gateway: &str) -> reqwest::Response {
    let ts = timestamp.to_string();
    let sig = motcua::payments::api::callback_signature(secret, &ts, body.as_bytes());
    app.client
        .post(app.url("/api/v1/payments/callback"))
        .header("x-gateway", gateway)
        .header("x-timestamp", ts)
        .header("x-signature", sig)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn fees_are_quoted_at_submission(app: TestApp) {
    let token = app.token("congdan").await;
    let v = app.submit_online(&token).await;
    assert_eq!(v["fee"]["total"], 15000);
    assert_eq!(v["fee"]["lines"][0]["quantity"], 1);
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22", "exemptions": ["poor_household"]});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &token, body).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["fee"]["total"].as_i64(), v["fee"]["lines"][0]["exempt"].as_str()),
        (Some(0), Some("poor_household"))
    );
    // Copies multiply per-copy fees; unknown groups and silly counts are refused.
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22", "copies": 0});
    assert_error(app.post_json("/api/v1/dossiers", &token, body).await, 400, "invalid_value").await;
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22", "exemptions": ["friends_of_the_mayor"]});
    assert_eq!(app.post_json("/api/v1/dossiers", &token, body).await.status(), 400);
    // No payment is asked for yet: no QR code.
    let code = v["code"].as_str().unwrap();
    let d = dossier(&app, code).await;
    assert!(d["payment"]["vietqr"].is_null(), "{}", d["payment"]);

    // A driving licence costs 135.000 ₫ on paper and 115.000 ₫ online: the catalog's online
    // rate is what an online submission is charged, and what the procedure page quotes.
    let licence = json!({"procedure": "1.002809", "org": "000.00.21.H22"});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &token, licence).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["fee"]["total"].as_i64(), v["fee"]["lines"][0]["online_rate"].as_bool()), (Some(115000), Some(true)));
    let desk = app.token("cat.motcua").await;
    let at_desk = json!({"procedure": "1.002809", "org": "000.00.21.H22",
        "applicant": {"full_name": "Trần Thị Bình", "cccd": "022185004321", "phone": "0987654321", "address": "Tổ 5, khu 3, phường Hạ Long"}});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &desk, at_desk).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["fee"]["total"].as_i64(), v["fee"]["lines"][0].get("online_rate")), (Some(135000), None));
    let page = app.get("/thu-tuc/1.002809").await.text().await.unwrap();
    assert!(page.contains("<strong>135.000 ₫</strong> (<strong>nộp trực tuyến: 115.000 ₫</strong>)"), "{page}");
    assert!(!page.contains("đồng"), "one currency sign on the page");
}

async fn a_requested_payment_is_paid_by_callback_once(app: TestApp) {
    setup_gateway(&app).await;
    let code = dossier_waiting_for_payment(&app).await;
    let d = dossier(&app, &code).await;
    assert_eq!(d["status_code"], 6);
    let p = &d["payment"];
    assert_eq!(
        (p["state"].as_str(), p["amount"].as_i64(), p["amount_display"].as_str()),
        (Some("requested"), Some(15000), Some("15.000 ₫"))
    );
    let qr = p["vietqr"].as_str().expect("a VietQR payload");
    let fields = motcua_domain::payment::parse_emv(qr).expect("valid EMV with a good CRC");
    let get = |tag: &str| fields.iter().find(|f| f.0 == tag).map(|f| f.1.clone()).unwrap();
    assert_eq!(get("54"), "15000");
    assert_eq!(get("53"), "704");
    assert!(get("38").contains("970415") && get("38").contains("QRIBFTTA"));
    assert!(get("62").contains(&code), "the purpose carries the dossier code");
    // The printed receipt (form 01) carries the same VietQR code while payment is requested.
    let desk = app.token("halong.motcua").await;
    let form01 = app.get_as(&format!("/dossiers/{code}/forms/01"), &desk).await.text().await.unwrap();
    assert!(form01.contains("Phí, lệ phí phải nộp: 15.000 ₫") && form01.matches("<svg").count() == 2, "{form01}");

    // The bank confirms: the receipt is issued and the dossier moves on.
    let body =
        json!({"transaction_id": "FT25327001", "amount": 15000, "description": format!("CT tu 0011 Nop phi {code}")})
            .to_string();
    let (s, v) = json(call(&app, &body, now(), SECRET, "napas").await).await;
    assert_eq!((s, v["outcome"].as_str(), v["duplicate"].as_bool()), (200, Some("paid"), Some(false)), "{v}");
    let number = v["receipt_number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("BL-000.00.37.H22-") && number.ends_with("-000001"), "{number}");
    let d = dossier(&app, &code).await;
    assert_eq!(d["status_code"], 2, "back to where it was before payment was requested");
    let form01 = app.get_as(&format!("/dossiers/{code}/forms/01"), &desk).await.text().await.unwrap();
    assert!(!form01.contains("Phí, lệ phí phải nộp"), "paid: no more QR code to pay");
    assert_eq!(d["payment"]["receipts"][0]["number"], number.as_str());
    assert!(d["payment"]["vietqr"].is_null(), "nothing more to pay");
    // The same callback again: answered as before, nothing new.
    let (s, v) = json(call(&app, &body, now(), SECRET, "napas").await).await;
    assert_eq!(
        (s, v["outcome"].as_str(), v["duplicate"].as_bool(), v["receipt_number"].as_str()),
        (200, Some("paid"), Some(true), Some(number.as_str()))
    );
    let token = app.token("congdan").await;
    let (_, receipts) = json(app.get_as(&format!("/api/v1/dossiers/{code}/receipts"), &token).await).await;
    assert_eq!(receipts.as_array().unwrap().len(), 1);
    // The same transaction id with another body is a conflict, not a second payment.
    let other = json!({"transaction_id": "FT25327001", "amount": 30000, "dossier_code": code}).to_string();
    assert_error(call(&app, &other, now(), SECRET, "napas").await, 409, "transaction_conflict").await;
    // The audit trail names the gateway.
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &token).await).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor"].as_str(), last["action"].as_str()),
        (Some("gateway:napas"), Some("confirm_payment")),
        "{last}"
    );
    // A second transfer for a dossier already paid is recorded, not applied.
    let again = json!({"transaction_id": "FT25327002", "amount": 15000, "dossier_code": code}).to_string();
    let (_, v) = json(call(&app, &again, now(), SECRET, "napas").await).await;
    assert_eq!(v["outcome"], "mismatch", "{v}");
    assert_eq!(dossier(&app, &code).await["payment"]["receipts"].as_array().unwrap().len(), 1);
}

async fn forged_stale_and_mismatched_callbacks_change_nothing(app: TestApp) {
    setup_gateway(&app).await;
    let code = dossier_waiting_for_payment(&app).await;
    let body = json!({"transaction_id": "T1", "amount": 15000, "dossier_code": code}).to_string();
    // Forged: another secret, an unknown gateway, no signature, stale or future timestamps.
    assert_error(
        call(&app, &body, now(), "not-the-secret-at-all-0000", "napas").await,
        401,
        "invalid_callback_signature",
    )
    .await;
    assert_error(call(&app, &body, now(), SECRET, "vnpay").await, 401, "invalid_callback_signature").await;
    assert_error(call(&app, &body, now() - 600, SECRET, "napas").await, 401, "invalid_callback_signature").await;
    assert_error(call(&app, &body, now() + 600, SECRET, "napas").await, 401, "invalid_callback_signature").await;
    let r = app.client.post(app.url("/api/v1/payments/callback")).body(body.clone()).send().await.unwrap();
    assert_error(r, 401, "invalid_callback_signature").await;
    // A signature over another body.
    let ts = now().to_string();
    let sig = motcua::payments::api::callback_signature(SECRET, &ts, body.as_bytes());
    let tampered = body.replace("15000", "15");
    let r = app
        .client
        .post(app.url("/api/v1/payments/callback"))
        .header("x-gateway", "napas")
        .header("x-timestamp", &ts)
        .header("x-signature", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "invalid_callback_signature").await;
    // Signed but malformed.
    assert_error(call(&app, "{\"amount\": 1}", now(), SECRET, "napas").await, 400, "invalid_body").await;
    assert_error(
        call(&app, &json!({"transaction_id": "T0", "amount": -5}).to_string(), now(), SECRET, "napas").await,
        400,
        "invalid_body",
    )
    .await;

    // Genuine but wrong: recorded for reconciliation, never applied.
    let cases = [
        (json!({"transaction_id": "T2", "amount": 14000, "dossier_code": code}), "khác số phải nộp"),
        (
            json!({"transaction_id": "T3", "amount": 15000, "dossier_code": "000.00.37.H22-200101-9999"}),
            "không có hồ sơ",
        ),
        (
            json!({"transaction_id": "T4", "amount": 15000, "description": "chuyen tien an trua"}),
            "không tìm thấy mã hồ sơ",
        ),
        // A gateway's text ends up in a spreadsheet: it must not run there as a formula.
        (
            json!({"transaction_id": "=cmd|' /C calc'!A0", "amount": 15000, "description": "@SUM(1+1)"}),
            "không tìm thấy mã hồ sơ",
        ),
    ];
    for (b, why) in &cases {
        let (s, v) = json(call(&app, &b.to_string(), now(), SECRET, "napas").await).await;
        assert_eq!((s, v["outcome"].as_str()), (200, Some("mismatch")), "{v}");
        assert!(v["reason"].as_str().unwrap().contains(why), "{v}");
        assert!(v["receipt_number"].is_null());
    }
    let d = dossier(&app, &code).await;
    assert_eq!(d["status_code"], 6, "still waiting for the right amount");
    assert!(d["payment"]["receipts"].as_array().unwrap().is_empty());

    // The unit's reconciliation shows the mismatch; the province's shows the unmatched ones too.
    let day = jiff::Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
    let officer = app.token("halong.lanhdao").await;
    let r = app.get_as(&format!("/api/v1/payments/reconciliation?org=000.00.37.H22&date={day}"), &officer).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(csv.contains("chenh_lech") && csv.contains(",T2,") && csv.contains("14000"), "{csv}");
    assert!(!csv.contains(",T4,"), "an unmatched transfer belongs to no unit");
    let admin = app.token("tinh.quantri").await;
    let csv = app.get_as(&format!("/api/v1/payments/reconciliation?date={day}"), &admin).await.text().await.unwrap();
    assert!(csv.contains(",T3,") && csv.contains(",T4,"), "{csv}");
    assert!(csv.contains(",'=cmd|' /C calc'!A0,") && !csv.contains(",=cmd"), "formula neutralised: {csv}");
    // Not for a citizen, nor another unit's officer.
    let citizen = app.token("congdan").await;
    assert_eq!(
        app.get_as(&format!("/api/v1/payments/reconciliation?org=000.00.37.H22&date={day}"), &citizen).await.status(),
        403
    );
    let other = app.token("tienyen.motcua").await;
    assert_eq!(
        app.get_as(&format!("/api/v1/payments/reconciliation?org=000.00.37.H22&date={day}"), &other).await.status(),
        403
    );
    assert_eq!(app.get_as(&format!("/api/v1/payments/reconciliation?date={day}"), &officer).await.status(), 403);

    // And then the right payment goes through.
    let (_, v) = json(call(&app, &body, now(), SECRET, "napas").await).await;
    assert_eq!(v["outcome"], "paid", "{v}");
}

async fn payment_at_the_desk_issues_a_receipt(app: TestApp) {
    let code = dossier_waiting_for_payment(&app).await;
    app.act_as("halong.chuyenvien", &code, "confirm_payment").await;
    let d = dossier(&app, &code).await;
    assert_eq!(d["status_code"], 2);
    let r = &d["payment"]["receipts"][0];
    assert_eq!((r["method"].as_str(), r["amount"].as_i64()), (Some("desk"), Some(15000)));
    // The printable receipt.
    let token = app.token("congdan").await;
    let url = r["url"].as_str().unwrap();
    let page = app.get_as(url, &token).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("BIÊN LAI") && html.contains("15.000 ₫") && html.contains(&code), "{html}");
    assert!(
        html.contains(&format!("/xac-minh/{}", r["number"].as_str().unwrap())),
        "the QR opens the verification page"
    );
    let stranger = app.token("tienyen.motcua").await;
    assert_eq!(app.get_as(url, &stranger).await.status(), 404);
    // Anyone holding the paper can check it by number.
    let (s, v) = json(app.get(&format!("/api/v1/verify/{}", r["number"].as_str().unwrap())).await).await;
    assert_eq!(
        (s, v["kind"].as_str(), v["valid"].as_bool(), v["amount"].as_str()),
        (200, Some("receipt"), Some(true), Some("15.000 ₫")),
        "{v}"
    );
}

/// The API's lists read the ratings and payments of a whole page at once (issue 28): each
/// item is what the dossier's own view shows, for the applicant and for the desk: a receipt
/// issued, a payment asked for (VietQR), a rating given, nothing owed.
async fn a_list_shows_each_dossier_as_its_own_view_does(app: TestApp) {
    setup_gateway(&app).await;
    let token = app.token("congdan").await;
    let paid = dossier_waiting_for_payment(&app).await;
    let body = json!({"transaction_id": "FT25327100", "amount": 15000, "dossier_code": paid}).to_string();
    let (s, v) = json(call(&app, &body, now(), SECRET, "napas").await).await;
    assert_eq!((s, v["outcome"].as_str()), (200, Some("paid")), "{v}");
    let waiting = dossier_waiting_for_payment(&app).await;
    let rated = app.submit_online(&token).await["code"].as_str().unwrap().to_owned();
    app.walk_to_returned(&rated).await;
    let r = app.post_json(&format!("/api/v1/dossiers/{rated}/rating"), &token, json!({"stars": 5})).await;
    assert_eq!(r.status(), 201);
    let exempt = json!({"procedure": "1.004873", "org": "000.00.37.H22", "exemptions": ["poor_household"]});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &token, exempt).await).await;
    assert_eq!(s, 201, "{v}");
    let free = v["code"].as_str().unwrap().to_owned();

    let desk = app.token("halong.motcua").await;
    for (viewer, list) in [(&token, "/api/v1/dossiers?limit=50"), (&desk, "/api/v1/dossiers?scope=all&limit=50")] {
        let (s, page) = json(app.get_as(list, viewer).await).await;
        assert_eq!(s, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        let item = |code: &str| items.iter().find(|i| i["code"] == code).cloned().expect(code);
        for code in [&paid, &waiting, &rated, &free] {
            let mut listed = item(code);
            let (s, mut own) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), viewer).await).await;
            assert_eq!(s, 200, "{own}");
            // Working minutes used go on counting between the two reads.
            for v in [&mut listed, &mut own] {
                v.as_object_mut().unwrap().remove("time_used_minutes");
            }
            assert_eq!(listed, own, "{list}: {code}");
        }
        assert_eq!(item(&paid)["payment"]["receipts"].as_array().map(Vec::len), Some(1));
        assert!(item(&waiting)["payment"]["vietqr"].as_str().is_some_and(|q| q.contains(waiting.as_str())));
        assert_eq!(item(&waiting)["payment"]["bank"]["bin"], "970415");
        assert_eq!(item(&rated)["rating"]["stars"], 5);
        assert!(item(&free)["payment"].is_null() && item(&free)["rating"].is_null());
    }
}

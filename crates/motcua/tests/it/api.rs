//! The HTTP API against the real server on 127.0.0.1 (random port), with the demo data, on
//! SQLite and on PostgreSQL.

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    health_and_openapi,
    units,
    organisations,
    procedures,
    procedure_filters,
    login_me_logout,
    login_failures,
    bad_bodies,
    staff_lists_are_scoped,
    locked_accounts_cannot_sign_in,
    calendar_over_http,
    unknown_routes_and_headers,
    citizens_register_and_are_signed_in,
    search_follows_catalog_changes_and_survives_bad_queries,
    dossiers_follow_catalog_and_workflow_changes_made_elsewhere,
    assistant_answers_or_asks_back,
    assistant_keeps_the_conversation,
);

async fn assistant_answers_or_asks_back(app: TestApp) {
    let ask = |q: Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/assistant")).json(&json!({ "question": q })).send().await.unwrap() }
    };
    let (s, v) = json(ask(json!("làm lại bằng lái")).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["clear"].as_bool(), v["candidates"][0]["code"].as_str()), (Some(true), Some("1.002809")), "{v}");
    let answer = v["answer"].as_str().unwrap();
    for part in [
        "Cấp lại giấy phép lái xe",
        "Giấy tờ cần chuẩn bị",
        "Đơn đề nghị cấp lại giấy phép lái xe",
        "135.000 ₫",
        "5 ngày làm việc",
        "Nộp hồ sơ trực tuyến",
    ] {
        assert!(answer.contains(part), "{part}: {answer}");
    }
    // Where to start is the link, not a path written out in the answer.
    assert!(!answer.contains("/nop-ho-so/"), "{answer}");
    assert_eq!(v["candidates"][0]["start_url"], "/nop-ho-so/1.002809");
    // Two procedures fit: it answers for the one a citizen can file, and names the other in a
    // line, instead of a bare list.
    let (_, v) = json(ask(json!("ly lich tu phap")).await).await;
    assert_eq!((v["clear"].as_bool(), v["procedure"].as_str()), (Some(true), Some("2.000488")), "{v}");
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.starts_with("Thủ tục phù hợp: Cấp Phiếu lý lịch tư pháp cho công dân"), "{answer}");
    assert!(answer.lines().any(|l| l.starts_with("Nếu bạn cần") && l.contains("2.000505")), "{answer}");
    // Nothing fits: it says so and how to ask.
    let (_, v) = json(ask(json!("chim yen")).await).await;
    assert_eq!((v["clear"].as_bool(), v["candidates"].as_array().map(Vec::len)), (Some(false), Some(0)));
    assert!(v["answer"].as_str().unwrap().starts_with("Chưa tìm thấy thủ tục phù hợp"));
    assert_error(ask(json!("   ")).await, 400, "invalid_question").await;
    assert_error(ask(json!("a".repeat(1001))).await, 400, "invalid_question").await;
    assert_error(ask(json!(42)).await, 400, "invalid_body").await;
}

/// A conversation: the procedure, then its fee, its papers, then starting — each follow-up
/// answered about the procedure talked of, what was asked first; and the asking words never
/// searched ("mất mấy ngày" is how long, not something lost).
async fn assistant_keeps_the_conversation(app: TestApp) {
    let turn = |q: &'static str, procedure: Option<&str>| {
        let app = &app;
        let body = json!({"question": q, "procedure": procedure});
        async move {
            let (s, v) = json(app.client.post(app.url("/api/v1/assistant")).json(&body).send().await.unwrap()).await;
            assert_eq!(s, 200, "{q}: {v}");
            v
        }
    };
    let v = turn("làm lại bằng lái", None).await;
    assert_eq!(v["procedure"], "1.002809", "{v}");
    let v = turn("còn lệ phí thì sao?", Some("1.002809")).await;
    let answer = v["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("Lệ phí thủ tục «Cấp lại giấy phép lái xe»") && answer.contains("135.000 ₫"),
        "{answer}"
    );
    assert_eq!((v["asked"][0].as_str(), v["procedure"].as_str()), (Some("fee"), Some("1.002809")));
    assert!(answer.lines().count() <= 2, "a follow-up answers what was asked, not everything: {answer}");
    let v = turn("cần giấy tờ gì", Some("1.002809")).await;
    let answer = v["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("Thủ tục «Cấp lại giấy phép lái xe» cần: Đơn đề nghị cấp lại giấy phép lái xe"),
        "{answer}"
    );
    let v = turn("nộp luôn", Some("1.002809")).await;
    assert!(v["answer"].as_str().unwrap().contains("Nộp hồ sơ trực tuyến"), "{v}");
    assert_eq!(v["candidates"][0]["start_url"], "/nop-ho-so/1.002809");
    // A question naming another procedure starts afresh, whatever was talked of.
    let v = turn("dang ky thuong tru het bao nhieu tien", Some("1.002809")).await;
    assert_eq!(v["procedure"], "1.004194", "{v}");
    assert!(v["answer"].as_str().unwrap().starts_with("Lệ phí thủ tục «Đăng ký thường trú»"), "{v}");
    let v = turn("làm lại hộ chiếu mất mấy ngày", None).await;
    assert_eq!(v["procedure"], "2.002089", "{v}");
    assert!(
        v["answer"].as_str().unwrap().starts_with("Thời hạn giải quyết thủ tục «Cấp hộ chiếu phổ thông ở trong nước»"),
        "{v}"
    );
    let v = turn("mở hộ kinh doanh cần giấy tờ gì", None).await;
    assert_eq!(v["procedure"], "2.000720", "{v}");
    // A follow-up with no procedure talked of: nothing to go on, and it says so.
    let v = turn("còn lệ phí thì sao?", None).await;
    assert_eq!(v["clear"], false, "{v}");
    let bad = json!({"question": "lệ phí", "procedure": "không phải mã"});
    assert_error(app.client.post(app.url("/api/v1/assistant")).json(&bad).send().await.unwrap(), 400, "invalid_body")
        .await;
}

async fn search_follows_catalog_changes_and_survives_bad_queries(app: TestApp) {
    let find = |q: String| {
        let app = &app;
        async move {
            let r = app.client.get(app.url("/api/v1/procedures")).query(&[("q", q.as_str())]).send().await.unwrap();
            let (s, v) = json(r).await;
            assert_eq!(s, 200, "{q:?}: {v}");
            v["items"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("so do bi mat".into()).await.first().map(String::as_str), Some("1.012792"));
    assert!(find("chim yen".into()).await.is_empty());
    // A procedure added to the catalog (as `motcua catalog import` would) is found next time.
    let mut p =
        app.db.store.procedure(&motcua_domain::ProcedureCode::parse("1.004612").unwrap()).await.unwrap().unwrap();
    p.code = motcua_domain::ProcedureCode::parse("1.099999").unwrap();
    p.name = motcua_domain::Name::parse("n", "Cấp giấy phép nuôi chim yến").unwrap();
    app.db.store.upsert_procedures(std::slice::from_ref(&p)).await.unwrap();
    assert_eq!(find("chim yen".into()).await, vec!["1.099999".to_owned()]);
    // A search page's procedures come from the copy the server keeps (issue 20): renamed
    // elsewhere, the next search shows the new name, not the one it showed before.
    let names = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.client.get(app.url("/api/v1/procedures")).query(&[("q", q)]).send().await.unwrap();
            let (_, v) = json(r).await;
            v["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names("chim yen").await, vec!["Cấp giấy phép nuôi chim yến".to_owned()]);
    p.name = motcua_domain::Name::parse("n", "Cấp giấy phép nuôi chim yến trong nhà").unwrap();
    app.db.store.upsert_procedures(&[p]).await.unwrap();
    assert_eq!(names("chim yen").await, vec!["Cấp giấy phép nuôi chim yến trong nhà".to_owned()]);
    // Nonsense, control characters, emoji and 10 KB of text: an answer, never a 500.
    for q in ["\u{1}\u{7f}", "😀🙏", "' OR 1=1 --", "<script>alert(1)</script>"] {
        find(q.to_owned()).await;
    }
    let long = "dang ky khai sinh ".repeat(600);
    assert_eq!(find(long).await.first().map(String::as_str), Some("1.001193"));
}

/// The server keeps procedures, workflows and organisations in memory (issue 20); a change
/// made outside it (here straight through the store, as another server on the same
/// PostgreSQL or `motcua catalog import` would) is seen by the very next request.
async fn dossiers_follow_catalog_and_workflow_changes_made_elsewhere(app: TestApp) {
    use motcua_domain::{Name, OrgCode, ProcedureCode};
    let citizen = app.token("congdan").await;
    let first = app.submit_online(&citizen).await;
    assert_eq!(first["procedure_name"], "Cấp Giấy xác nhận tình trạng hôn nhân");
    assert_eq!(first["step"]["name"], "Tiếp nhận");
    let code = first["code"].as_str().unwrap().to_owned();

    let pcode = ProcedureCode::parse("1.004873").unwrap();
    let mut p = app.db.store.procedure(&pcode).await.unwrap().unwrap();
    p.name = Name::parse("n", "Xác nhận tình trạng hôn nhân (tên mới)").unwrap();
    app.db.store.upsert_procedures(std::slice::from_ref(&p)).await.unwrap();
    let mut workflows = app.db.store.workflows().await.unwrap();
    let wf = workflows.iter_mut().find(|w| w.code == p.workflow).unwrap();
    wf.steps[0].name = Name::parse("n", "Tiếp nhận hồ sơ (đổi tên)").unwrap();
    app.db.store.upsert_workflows(&workflows).await.unwrap();
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &citizen).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["procedure_name"], "Xác nhận tình trạng hôn nhân (tên mới)");
    // The dossier keeps the workflow's version it started under; a new one follows the change.
    assert_eq!((v["step"]["name"].as_str(), v["workflow_version"].as_u64()), (Some("Tiếp nhận"), Some(1)));
    let second = app.submit_online(&citizen).await;
    assert_eq!(
        (second["step"]["name"].as_str(), second["workflow_version"].as_u64()),
        (Some("Tiếp nhận hồ sơ (đổi tên)"), Some(2))
    );

    // The province takes the procedure from Hạ Long: submitting there is refused at once.
    let ha_long = OrgCode::parse("000.00.37.H22").unwrap();
    p.organisations.retain(|o| o != &ha_long);
    app.db.store.upsert_procedures(&[p]).await.unwrap();
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22"});
    assert_error(app.post_json("/api/v1/dossiers", &citizen, body).await, 422, "org_not_for_procedure").await;
}

async fn citizens_register_and_are_signed_in(app: TestApp) {
    let token = common::register(&app, "tranthibinh", "001190004567").await;
    let (s, me) = json(app.get_as("/api/v1/me", &token).await).await;
    assert_eq!(s, 200);
    assert_eq!(
        (me["username"].as_str(), me["kind"].as_str(), me["roles"].as_array().map(Vec::len)),
        (Some("tranthibinh"), Some("citizen"), Some(0))
    );
    // The same login works with the password chosen.
    assert_eq!(app.login("tranthibinh", "Mat-khau-2025").await.status(), 200);
    let base = json!({"username": "lethic", "full_name": "Lê Thị C", "cccd": "022301009999", "phone": "0987654321", "password": "Mat-khau-2025"});
    let post = |body: Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/accounts")).json(&body).send().await.unwrap() }
    };
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    // A taken CCCD or username gets the same answer as a free one, and no code is sent:
    // registration tells nobody who has an account.
    let (s, fresh) = json(post(with("phone", json!("0987000001"))).await).await;
    assert_eq!(s, 202, "{fresh}");
    assert!(common::registration_code(&app, "0987000001").await.is_some(), "a free one gets its code");
    for (field, value, phone) in [("cccd", "001190004567", "0987000002"), ("username", "tranthibinh", "0987000003")] {
        let mut b = with(field, json!(value));
        b["phone"] = json!(phone);
        let (s, v) = json(post(b).await).await;
        assert_eq!(s, 202, "{v}");
        assert_eq!(v["message"], fresh["message"], "the same answer");
        assert!(common::registration_code(&app, phone).await.is_none(), "{field} taken: no code sent");
        let confirm = json!({"challenge": v["challenge"], "code": "123456"});
        let r = app.client.post(app.url("/api/v1/accounts/confirm")).json(&confirm).send().await.unwrap();
        assert_error(r, 401, "wrong_code").await;
    }
    assert_error(post(with("cccd", json!("12345"))).await, 400, "invalid_cccd").await;
    assert_error(post(with("password", json!("ngan"))).await, 400, "weak_password").await;
    assert_error(post(with("phone", json!("12"))).await, 400, "invalid_phone").await;
    assert_error(post(with("email", json!("khong-phai-thu"))).await, 400, "invalid_email").await;
    assert_error(post(with("username", json!("Có Dấu"))).await, 400, "invalid_username").await;
    assert_error(post(with("role", json!("administrator"))).await, 400, "invalid_body").await;
    // None of the refused attempts created anything, nor does asking without confirming.
    assert_eq!(app.login("lethic", "Mat-khau-2025").await.status(), 401);
    let (s, asked) = json(post(base.clone()).await).await;
    assert_eq!(s, 202);
    let code = common::registration_code(&app, "0987654321").await.expect("code");
    let confirm = |code: &str| {
        let body = json!({"challenge": asked["challenge"], "code": code});
        app.client.post(app.url("/api/v1/accounts/confirm")).json(&body).send()
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let m = assert_error(confirm(wrong).await.unwrap(), 401, "wrong_code").await;
    assert!(m.contains("còn 4 lần"), "{m}");
    assert_eq!(app.login("lethic", "Mat-khau-2025").await.status(), 401, "not before the code");
    let (s, v) = json(confirm(&code).await.unwrap()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["account"]["username"], "lethic");
    assert_error(confirm(&code).await.unwrap(), 401, "code_expired").await;
    assert_eq!(app.login("lethic", "Mat-khau-2025").await.status(), 200);
}

async fn health_and_openapi(app: TestApp) {
    let engine = if app.db.engine == motcua_store::testing::Engine::Sqlite { "sqlite" } else { "postgres" };
    let (s, v) = json(app.get("/healthz").await).await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], engine);
    let (s, v) = json(app.get("/readyz").await).await;
    assert_eq!((s, &v["status"], &v["database"]), (200, &json!("ready"), &json!(engine)), "{v}");
    // Files cannot be stored where the store's directory should be: not ready (a load
    // balancer sends the work elsewhere), yet alive (nothing to restart).
    let blobs = app.data_dir.path().join("blobs");
    let _ = std::fs::remove_dir_all(&blobs);
    std::fs::write(&blobs, b"not a directory").unwrap();
    assert_error(app.get("/readyz").await, 503, "file_store_unavailable").await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    std::fs::remove_file(&blobs).unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200, "ready again");

    let (s, doc) = json(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/api/v1/accounts",
            "/api/v1/accounts/confirm",
            "/api/v1/appointments",
            "/api/v1/appointments/points",
            "/api/v1/appointments/points/{code}",
            "/api/v1/appointments/points/{code}/day",
            "/api/v1/appointments/points/{code}/slots",
            "/api/v1/appointments/{code}",
            "/api/v1/appointments/{code}/attend",
            "/api/v1/appointments/{code}/cancel",
            "/api/v1/appointments/{code}/reschedule",
            "/api/v1/assistant",
            "/api/v1/auth/login",
            "/api/v1/auth/login/second-factor",
            "/api/v1/auth/logout",
            "/api/v1/auth/password-reset",
            "/api/v1/auth/password-reset/confirm",
            "/api/v1/calendar/adjustments",
            "/api/v1/calendar/due",
            "/api/v1/calendar/holidays",
            "/api/v1/documents",
            "/api/v1/documents/import",
            "/api/v1/documents/work",
            "/api/v1/documents/{id}",
            "/api/v1/documents/{id}/attachments/{index}",
            "/api/v1/documents/{id}/business",
            "/api/v1/documents/{id}/business-decision",
            "/api/v1/documents/{id}/edxml",
            "/api/v1/documents/{id}/signature",
            "/api/v1/documents/{id}/signed-content",
            "/api/v1/documents/{id}/status",
            "/api/v1/documents/{id}/work",
            "/api/v1/documents/{id}/work/actions",
            "/api/v1/dossiers",
            "/api/v1/dossiers/{code}",
            "/api/v1/dossiers/{code}/actions",
            "/api/v1/dossiers/{code}/attachments",
            "/api/v1/dossiers/{code}/attachments/{index}",
            "/api/v1/dossiers/{code}/events",
            "/api/v1/dossiers/{code}/rating",
            "/api/v1/dossiers/{code}/receipts",
            "/api/v1/dossiers/{code}/results",
            "/api/v1/dossiers/{code}/results/{number}/signature",
            "/api/v1/dossiers/{code}/shipment",
            "/api/v1/exchange/batches",
            "/api/v1/exchange/ca.pem",
            "/api/v1/exchange/packages",
            "/api/v1/exchange/quarantine",
            "/api/v1/feedback",
            "/api/v1/feedback/published",
            "/api/v1/feedback/{code}",
            "/api/v1/feedback/{code}/actions",
            "/api/v1/feedback/{code}/files/{index}",
            "/api/v1/kiosk/chip-id",
            "/api/v1/kiosk/code",
            "/api/v1/kiosk/session",
            "/api/v1/me",
            "/api/v1/me/documents",
            "/api/v1/me/password",
            "/api/v1/meetings",
            "/api/v1/meetings/{id}",
            "/api/v1/meetings/{id}/actions",
            "/api/v1/meetings/{id}/items/{item}/papers/{paper}",
            "/api/v1/meetings/{id}/live",
            "/api/v1/openapi.json",
            "/api/v1/organisations",
            "/api/v1/organisations/{code}",
            "/api/v1/organisations/{code}/staff",
            "/api/v1/payments/callback",
            "/api/v1/payments/reconciliation",
            "/api/v1/procedures",
            "/api/v1/procedures/{code}",
            "/api/v1/procedures/{code}/declaration",
            "/api/v1/queue/{centre}",
            "/api/v1/queue/{centre}/counters/{number}/next",
            "/api/v1/queue/{centre}/events",
            "/api/v1/queue/{centre}/stats",
            "/api/v1/queue/{centre}/tickets",
            "/api/v1/queue/{centre}/tickets/{id}",
            "/api/v1/queue/{centre}/tickets/{id}/finish",
            "/api/v1/revocations",
            "/api/v1/shipments/{tracking}/status",
            "/api/v1/stats/breakdown",
            "/api/v1/stats/centres",
            "/api/v1/stats/events",
            "/api/v1/stats/feedback",
            "/api/v1/stats/index",
            "/api/v1/stats/index/weights",
            "/api/v1/stats/savings",
            "/api/v1/stats/series",
            "/api/v1/stats/summary",
            "/api/v1/stats/work",
            "/api/v1/track/{code}",
            "/api/v1/units",
            "/api/v1/units/{code}",
            "/api/v1/verify/{number}",
            "/api/v1/workflows",
            "/api/v1/workflows/{code}",
            "/dossiers/{code}/forms/{form}",
            "/dossiers/{code}/receipts/{number}",
            "/dossiers/{code}/results/{number}",
            "/healthz",
            "/metrics",
            "/readyz",
        ]
    );
    // Every operation names its error shape and the schemas it refers to exist.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["Procedure", "AdminUnit", "Organisation", "Account", "ErrorBody", "LoginRequest"] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn units(app: TestApp) {
    let (s, v) = json(app.get("/api/v1/units?level=1&limit=100").await).await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(34)));
    let (_, v) = json(app.get("/api/v1/units?level=2&limit=1").await).await;
    assert_eq!(v["total"], 3321);
    let (_, v) = json(app.get("/api/v1/units?parent=22&limit=500").await).await;
    assert_eq!(v["total"], 54);
    let names: Vec<&str> = v["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Đặc khu Vân Đồn") && names.contains(&"Phường Hạ Long"));
    assert_eq!(names.iter().filter(|n| n.starts_with("Phường")).count(), 30);
    assert_eq!(names.iter().filter(|n| n.starts_with("Xã")).count(), 22);

    let (s, u) = json(app.get("/api/v1/units/06688").await).await;
    assert_eq!(s, 200);
    assert_eq!(
        (u["name"].as_str(), u["parent"].as_str(), u["level"].as_i64()),
        (Some("Phường Hạ Long"), Some("22"), Some(2))
    );
    assert_error(app.get("/api/v1/units/99999").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/units/ha-long").await, 400, "invalid_unit_code").await;
    assert_error(app.get("/api/v1/units?parent=x").await, 400, "invalid_unit_code").await;
    assert_error(app.get("/api/v1/units?level=abc").await, 400, "invalid_query").await;
    assert_error(app.get("/api/v1/units?nonsense=1").await, 400, "invalid_query").await;
}

async fn organisations(app: TestApp) {
    let (_, v) = json(app.get("/api/v1/organisations?kind=service_centre&limit=500").await).await;
    assert_eq!(v["total"], 55, "54 commune centres and the provincial one");
    let (_, v) = json(app.get("/api/v1/organisations?unit=06688").await).await;
    let names: Vec<&str> = v["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "Ủy ban nhân dân phường Hạ Long",
            "Trung tâm Phục vụ hành chính công phường Hạ Long",
            "Công an phường Hạ Long"
        ]
    );
    let (s, o) = json(app.get("/api/v1/organisations/000.00.01.H22").await).await;
    assert_eq!((s, o["name"].as_str()), (200, Some("Sở Tư pháp tỉnh Quảng Ninh")));
    assert_error(app.get("/api/v1/organisations/000.00.99.H22").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/organisations/bad..code").await, 400, "invalid_org_code").await;
    assert_error(app.get("/api/v1/organisations?kind=palace").await, 400, "invalid_query").await;
}

async fn procedures(app: TestApp) {
    let (s, v) = json(app.get("/api/v1/procedures?limit=500").await).await;
    assert_eq!(s, 200);
    let total = v["total"].as_i64().unwrap();
    assert!(total >= 40, "demo catalog has {total}");
    assert_eq!(v["items"].as_array().unwrap().len() as i64, total);

    let (s, p) = json(app.get("/api/v1/procedures/1.001193").await).await;
    assert_eq!(s, 200);
    assert_eq!(p["name"], "Đăng ký khai sinh");
    assert_eq!(p["field"]["code"], "ho-tich");
    assert_eq!(p["time_limit"]["kind"], "immediate");
    assert_eq!(p["organisations"].as_array().unwrap().len(), 54, "every commune People's Committee");
    assert!(!p["components"].as_array().unwrap().is_empty());

    let (_, lltp) = json(app.get("/api/v1/procedures/2.000488").await).await;
    assert_eq!(lltp["fees"][0]["amount"], 200000);
    assert_eq!(lltp["time_limit"], serde_json::json!({"kind": "calendar_days", "value": 10}));

    assert_error(app.get("/api/v1/procedures/9.999999").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/procedures/khai-sinh").await, 400, "invalid_procedure_code").await;

    // Paging: limits are clamped, totals stay whole.
    let (_, v) = json(app.get("/api/v1/procedures?limit=100000&offset=40").await).await;
    assert_eq!((v["limit"].as_i64(), v["total"].as_i64()), (Some(500), Some(total)));
    assert_eq!(v["items"].as_array().unwrap().len() as i64, total - 40);
}

async fn procedure_filters(app: TestApp) {
    let count = |v: serde_json::Value| v["total"].as_i64().unwrap();
    let get = |q: &'static str| {
        let app = &app;
        async move {
            let (s, v) = json(app.get(&format!("/api/v1/procedures?{q}")).await).await;
            assert_eq!(s, 200, "{q}: {v}");
            v
        }
    };
    // Without diacritics finds the accented name, and the accented query finds it too.
    let plain = get("q=dang%20ky%20khai%20sinh").await;
    let accented = get("q=%C4%90%C4%83ng%20k%C3%BD%20khai%20sinh").await;
    // Ranked by the search index: the procedure itself first, either way.
    assert_eq!(plain["items"][0]["code"], "1.001193", "{}", plain["items"][0]["name"]);
    assert_eq!(accented["items"][0]["code"], "1.001193");
    // Weak matches (one common word) are cut off, not listed.
    assert!(count(plain.clone()) < 15, "{}", count(plain.clone()));

    let all = count(get("limit=1").await);
    let full = count(get("online=full&limit=1").await);
    let partial = count(get("online=partial&limit=1").await);
    let none = count(get("online=none&limit=1").await);
    assert_eq!(full + partial + none, all);
    assert!(full > 0 && partial > 0 && none > 0);

    let commune = count(get("level=commune&limit=1").await);
    let province = count(get("level=province&limit=1").await);
    assert_eq!(commune + province, all);
    // A commune's organisations process exactly the commune-level catalog.
    assert_eq!(count(get("unit=06688&limit=1").await), commune);
    // The province's own organisations process the province-level catalog.
    assert_eq!(count(get("unit=22&limit=1").await), province);
    // Sở Tư pháp processes the judicial-record procedures.
    let stp = get("unit=000.00.01.H22").await;
    assert!(stp["items"].as_array().unwrap().iter().all(|p| p["agency"] == "Sở Tư pháp"));
    assert!(count(stp) >= 1);
    // Field by name, with or without diacritics, or by code.
    let by_name = count(get("field=H%E1%BB%99%20t%E1%BB%8Bch&limit=1").await);
    assert_eq!(by_name, count(get("field=ho-tich&limit=1").await));
    assert_eq!(by_name, count(get("field=ho%20tich&limit=1").await));
    assert!(by_name >= 5);

    assert_error(app.get("/api/v1/procedures?online=sometimes").await, 400, "invalid_value").await;
    assert_error(app.get("/api/v1/procedures?unit=a%20b").await, 400, "invalid_query").await;
    assert_error(app.get("/api/v1/procedures?limit=many").await, 400, "invalid_query").await;
}

async fn login_me_logout(app: TestApp) {
    let r = app.login("halong.quantri", common::PASSWORD).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("motcua_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let (_, v) = json(r).await;
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(v["account"]["username"], "halong.quantri");
    assert!(!v.to_string().contains("argon2"), "no password hash leaves the server");

    // Bearer token.
    let (s, me) = json(app.get_as("/api/v1/me", &token).await).await;
    assert_eq!(s, 200);
    let roles = me["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 2, "administrator of the committee and of the centre: {me}");
    assert!(roles.iter().all(|r| r["role"] == "administrator"));

    // Session cookie, as a browser would send it.
    let session = cookie.split(';').next().unwrap().to_owned();
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &session).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Citizen account carries its CCCD, no roles.
    let ctoken = app.token("congdan").await;
    let (_, c) = json(app.get_as("/api/v1/me", &ctoken).await).await;
    assert_eq!((c["kind"].as_str(), c["cccd"].as_str()), (Some("citizen"), Some("022090001234")));

    let r = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_error(app.get_as("/api/v1/me", &token).await, 401, "session_expired").await;
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &session).send().await.unwrap();
    assert_error(r, 401, "session_expired").await;
    // The citizen's own session is untouched.
    assert_eq!(app.get_as("/api/v1/me", &ctoken).await.status(), 200);
    assert_error(app.get("/api/v1/me").await, 401, "unauthenticated").await;
    assert_error(app.get_as("/api/v1/me", "forged").await, 401, "session_expired").await;
    let r = app.client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_error(r, 401, "unauthenticated").await;
}

async fn login_failures(app: TestApp) {
    let wrong = assert_error(app.login("stp.motcua", "wrong-password-1").await, 401, "invalid_credentials").await;
    let unknown = assert_error(app.login("khong.ton.tai", "wrong-password-1").await, 401, "invalid_credentials").await;
    assert_eq!(wrong, unknown, "the answer does not tell which usernames exist");
    assert_error(app.login("NOT A USERNAME", "x").await, 401, "invalid_credentials").await;
    assert_error(app.login("stp.motcua", &"x".repeat(5000)).await, 401, "invalid_credentials").await;
    // Five wrong passwords in a quarter hour lock the username, the right password too; other
    // usernames are not affected, and an unknown username is locked the same way.
    for name in ["halong.lanhdao", "khong.co.ai"] {
        for _ in 0..5 {
            assert_error(app.login(name, "wrong-password-1").await, 401, "invalid_credentials").await;
        }
        let m = assert_error(app.login(name, common::PASSWORD).await, 429, "too_many_attempts").await;
        assert!(m.contains("15 phút"), "{m}");
    }
    assert_eq!(app.login("halong.chuyenvien", common::PASSWORD).await.status(), 200);
}

async fn bad_bodies(app: TestApp) {
    let login = app.url("/api/v1/auth/login");
    let r = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "malformed_json").await;
    let r = app.client.post(&login).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_error(r, 415, "unsupported_media_type").await;
    let r = app.client.post(&login).json(&serde_json::json!({"username": "a"})).send().await.unwrap();
    let m = assert_error(r, 400, "invalid_body").await;
    assert!(m.contains("password"), "{m}");
    let r = app
        .client
        .post(&login)
        .json(&serde_json::json!({"username": "a", "password": "b", "admin": true}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "invalid_body").await;
    let big = format!("{{\"username\":\"{}\",\"password\":\"x\"}}", "a".repeat(2 * 1024 * 1024));
    let r = app.client.post(&login).header("content-type", "application/json").body(big).send().await.unwrap();
    assert_error(r, 413, "payload_too_large").await;
}

async fn staff_lists_are_scoped(app: TestApp) {
    let stp = "/api/v1/organisations/000.00.01.H22/staff";
    let admin = app.token("stp.quantri").await;
    let (s, v) = json(app.get_as(stp, &admin).await).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["stp.chuyenvien", "stp.lanhdao", "stp.motcua", "stp.quantri", "stp.vanthu"]);

    // Another organisation's administrator, a desk officer of the same one, a citizen: refused.
    let halong_admin = app.token("halong.quantri").await;
    assert_error(app.get_as(stp, &halong_admin).await, 403, "forbidden").await;
    let desk = app.token("stp.motcua").await;
    assert_error(app.get_as(stp, &desk).await, 403, "forbidden").await;
    let citizen = app.token("congdan").await;
    assert_error(app.get_as(stp, &citizen).await, 403, "forbidden").await;
    assert_error(app.get(stp).await, 401, "unauthenticated").await;

    // The commune administrator sees the committee's staff, not the desk officer at the centre.
    let (s, v) = json(app.get_as("/api/v1/organisations/000.00.37.H22/staff", &halong_admin).await).await;
    assert_eq!(s, 200, "{v}");
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["halong.chuyenvien", "halong.lanhdao", "halong.quantri", "halong.vanthu"]);
    let (_, v) = json(app.get_as("/api/v1/organisations/001.00.37.H22/staff", &halong_admin).await).await;
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["halong.motcua", "halong.quantri"]);
}

async fn locked_accounts_cannot_sign_in(app: TestApp) {
    let token = app.token("tienyen.lanhdao").await;
    let name = motcua_domain::Username::parse("tienyen.lanhdao").unwrap();
    assert!(app.db.store.set_account_disabled(&name, true).await.unwrap());
    assert_error(app.get_as("/api/v1/me", &token).await, 401, "session_expired").await;
    assert_error(app.login("tienyen.lanhdao", common::PASSWORD).await, 403, "account_disabled").await;
    // A wrong password still says only that the credentials are wrong.
    assert_error(app.login("tienyen.lanhdao", "wrong-password-1").await, 401, "invalid_credentials").await;
    app.db.store.set_account_disabled(&name, false).await.unwrap();
    assert_eq!(app.login("tienyen.lanhdao", common::PASSWORD).await.status(), 200);
}

async fn calendar_over_http(app: TestApp) {
    let (s, v) = json(app.get("/api/v1/calendar/holidays?year=2025").await).await;
    assert_eq!(s, 200, "{v}");
    let days: Vec<(&str, &str)> = v["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["date"].as_str().unwrap(), h["kind"].as_str().unwrap()))
        .collect();
    // The demo loads the 2025 announcements: 27/01 off instead of the compensatory 03/02.
    assert!(days.contains(&("2025-01-27", "announced")), "{days:?}");
    assert!(days.contains(&("2025-01-29", "statutory")));
    assert!(days.contains(&("2025-04-07", "statutory")), "Hùng Kings' day");
    assert!(!days.iter().any(|(d, _)| *d == "2025-02-03"));
    assert_eq!(v["working_weekend_days"][0]["date"], "2025-04-26");

    // 2 working days from Monday 27/01/2025 10:00, a day off, run over Tết to 04/02 17:00.
    let (s, d) = json(app.get("/api/v1/calendar/due?from=2025-01-27T10:00:00%2B07:00&days=2").await).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["clock_start"], "2025-02-03T07:30:00+07:00");
    assert_eq!(d["due_at"], "2025-02-04T17:00:00+07:00");
    assert_eq!(d["due_at_display"], "17:00 04/02/2025");
    assert_eq!(d["time_limit"], "2 ngày làm việc");
    // An unencoded "+" (read as a space) is understood; UTC input is converted.
    let (_, d) = json(app.get("/api/v1/calendar/due?from=2025-03-03T16:00:00+07:00&hours=3").await).await;
    assert_eq!(d["due_at"], "2025-03-04T10:30:00+07:00");
    let (_, d) = json(app.get("/api/v1/calendar/due?from=2025-03-03T02:00:00Z&immediate=true").await).await;
    assert_eq!(d["due_at"], "2025-03-03T17:00:00+07:00");
    let (_, d) = json(app.get("/api/v1/calendar/due?from=2025-03-03T09:00:00Z&calendar_days=12").await).await;
    assert_eq!(d["due_at"], "2025-03-17T17:00:00+07:00");

    // A swap stored now is used by the next request (the running server rebuilds its calendar).
    let adj = motcua_domain::calendar::Adjustment {
        date: jiff::civil::date(2025, 3, 4),
        kind: motcua_domain::calendar::AdjustmentKind::Off,
        name: "Nghỉ thử nghiệm".into(),
    };
    app.db.store.upsert_calendar_adjustments(&[adj]).await.unwrap();
    let (_, d) = json(app.get("/api/v1/calendar/due?from=2025-03-03T16:00:00%2B07:00&hours=3").await).await;
    assert_eq!(d["due_at"], "2025-03-05T10:30:00+07:00");
    let (_, list) = json(app.get("/api/v1/calendar/adjustments").await).await;
    assert_eq!(list.as_array().unwrap().len(), 5);

    // Changing the calendar over HTTP: only the province committee's administrator.
    let put = |token: Option<String>, body: serde_json::Value| {
        let mut r = app.client.put(app.url("/api/v1/calendar/adjustments")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let extra = serde_json::json!([{"date": "2025-12-31", "kind": "off", "name": "Nghỉ cuối năm (thử nghiệm)"}]);
    assert_error(put(None, extra.clone()).await.unwrap(), 401, "unauthenticated").await;
    for user in ["stp.quantri", "halong.quantri", "halong.lanhdao"] {
        assert_error(put(Some(app.token(user).await), extra.clone()).await.unwrap(), 403, "forbidden").await;
    }
    let province = Some(app.token("tinh.quantri").await);
    let twice = serde_json::json!([{"date": "2025-12-30", "kind": "off", "name": "A"}, {"date": "2025-12-30", "kind": "work", "name": "B"}]);
    assert_error(put(province.clone(), twice).await.unwrap(), 400, "invalid_adjustment").await;
    let (s, list) = json(put(province, extra).await.unwrap()).await;
    assert_eq!((s, list.as_array().unwrap().len()), (200, 6));
    let (_, h) = json(app.get("/api/v1/calendar/holidays?year=2025").await).await;
    assert!(h["holidays"].as_array().unwrap().iter().any(|d| d["date"] == "2025-12-31"));

    assert_error(app.get("/api/v1/calendar/holidays?year=1850").await, 400, "year_out_of_range").await;
    assert_error(app.get("/api/v1/calendar/holidays").await, 400, "invalid_query").await;
    assert_error(app.get("/api/v1/calendar/due?from=hom-nay&days=1").await, 400, "invalid_query").await;
    assert_error(app.get("/api/v1/calendar/due?from=2025-03-03T09:00:00Z").await, 400, "invalid_query").await;
    assert_error(app.get("/api/v1/calendar/due?from=2025-03-03T09:00:00Z&days=1&hours=2").await, 400, "invalid_query")
        .await;
    assert_error(app.get("/api/v1/calendar/due?from=2025-03-03T09:00:00Z&days=0").await, 400, "invalid_time_limit")
        .await;
}

async fn unknown_routes_and_headers(app: TestApp) {
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.headers().get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(r.headers().get("x-frame-options").unwrap(), "DENY");
    assert!(r.headers().get("content-security-policy").unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "same-origin");
    assert_error(r, 404, "not_found").await;
    // Pages too, not only the API.
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    for (h, v) in
        [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "same-origin")]
    {
        assert_eq!(r.headers().get(h).unwrap(), v, "{h}");
    }
    assert!(r.headers().get("content-security-policy").unwrap().to_str().unwrap().contains("default-src 'self'"));
    let r = app.client.delete(app.url("/api/v1/procedures")).send().await.unwrap();
    assert_error(r, 405, "method_not_allowed").await;
    let r = app.client.put(app.url("/healthz")).send().await.unwrap();
    assert_error(r, 405, "method_not_allowed").await;
}

/// A session ends when its lifetime has passed: the token and the cookie are refused, and
/// the account signs in again.
async fn sessions_expire(engine: motcua_store::testing::Engine) {
    let Some(app) = TestApp::spawn_with(engine, |s| s.session_ttl = jiff::SignedDuration::from_secs(2)).await else {
        return;
    };
    let r = app.login("congdan", common::PASSWORD).await;
    let (s, v) = json(r).await;
    assert_eq!(s, 200);
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_error(app.get_as("/api/v1/me", &token).await, 401, "session_expired").await;
    assert_eq!(app.login("congdan", common::PASSWORD).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_on_sqlite() {
    sessions_expire(motcua_store::testing::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_on_postgres() {
    sessions_expire(motcua_store::testing::Engine::Postgres).await;
}

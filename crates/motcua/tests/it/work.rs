//! Work files for incoming documents through the real HTTP API, on both engines: a document
//! from the provincial Department of Justice assigned at the Hạ Long committee, handled with
//! a co-handler, drafted, sent back and approved, answered through the outgoing register and
//! closed — the sender seeing 04 then 06; a document for information closed once read; who
//! may do what, and the lists.

use crate::common;

use std::time::Duration;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    an_incoming_document_is_assigned_handled_answered_and_closed,
    documents_for_information_close_once_read,
    the_work_by_clicks_on_phones_in_chromium,
    deadlines_remind_the_handler_then_the_leaders,
    figures_count_work_by_organisation_and_export,
);

struct Setup {
    stp: String,
    halong: String,
    sender: String,
    clerk: String,
    leader: String,
    handler: String,
}

async fn setup(app: &TestApp) -> Setup {
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    Setup {
        stp,
        halong,
        sender: app.token("stp.vanthu").await,
        clerk: app.token("halong.vanthu").await,
        leader: app.token("halong.lanhdao").await,
        handler: app.token("halong.chuyenvien").await,
    }
}

fn document(from: &str, to: &str, subject: &str) -> Value {
    json!({
        "from": from, "to": [to], "notation": "STP-VP", "document_type": "Công văn",
        "subject": subject, "content": "Đề nghị báo cáo số hồ sơ tồn.",
        "signer_position": "Giám đốc", "signer_name": "Phạm Quang Huy"
    })
}

/// Sends a document as `token`; its id in the sender's register.
async fn send(app: &TestApp, token: &str, doc: Value) -> i64 {
    let (s, v) = json(app.post_json("/api/v1/documents", token, doc).await).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

/// Waits for `check` on the document `id` as `token` sees it.
async fn wait_doc(app: &TestApp, token: &str, id: i64, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let (_, v) = json(app.get_as(&format!("/api/v1/documents/{id}"), token).await).await;
        if check(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("document {id}: condition not reached");
}

/// The incoming entry with this subject, once it has arrived, accepted by the clerk.
async fn arrived_and_accepted(app: &TestApp, s: &Setup, subject: &str) -> i64 {
    for _ in 0..200 {
        let (_, v) = json(app.get_as("/api/v1/documents?direction=in", &s.clerk).await).await;
        if let Some(d) = v["items"].as_array().unwrap().iter().find(|d| d["subject"] == subject) {
            let id = d["id"].as_i64().unwrap();
            let r = app.post_json(&format!("/api/v1/documents/{id}/status"), &s.clerk, json!({"status": "03"})).await;
            assert_eq!(r.status(), 200);
            return id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{subject} did not arrive");
}

fn codes(view: &Value, org: &str) -> Vec<String> {
    let r = view["recipients"].as_array().unwrap().iter().find(|r| r["org"] == org).expect("recipient");
    r["statuses"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()).collect()
}

/// A step that must pass; the work's view after it.
async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (st, w) = json(act(app, token, id, body).await).await;
    assert_eq!(st, 200, "{w}");
    w
}

async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/documents/{id}/work/actions"), token, body).await
}

async fn an_incoming_document_is_assigned_handled_answered_and_closed(app: TestApp) {
    let s = setup(&app).await;
    let subject = "V/v báo cáo hồ sơ tồn quý IV";
    let out = send(&app, &s.sender, document(&s.stp, &s.halong, subject)).await;
    let id = arrived_and_accepted(&app, &s, subject).await;
    let work_path = format!("/api/v1/documents/{id}/work");
    let assign = |body: Value| app.post_json(&work_path, &s.leader, body);
    let good = json!({"direction": "handle", "handler": "halong.chuyenvien", "co_handlers": ["halong.vanthu"],
        "days": 5, "note": "Chủ trì tham mưu trả lời."});

    // Only a leader assigns, to officers of the committee, for 1–90 working days.
    let r = app.post_json(&format!("/api/v1/documents/{id}/work"), &s.handler, good.clone()).await;
    assert_error(r, 403, "forbidden").await;
    let mut stranger = good.clone();
    stranger["co_handlers"] = json!(["stp.chuyenvien"]);
    assert_error(assign(stranger).await, 422, "invalid_value").await;
    let mut long = good.clone();
    long["days"] = json!(91);
    assert_error(assign(long).await, 422, "invalid_value").await;
    assert_error(app.get_as(&format!("/api/v1/documents/{id}/work"), &s.leader).await, 404, "not_found").await;

    let (st, w) = json(assign(good.clone()).await).await;
    assert_eq!(st, 201, "{w}");
    assert_eq!(
        (w["status"].as_str(), w["handler"].as_str(), w["subject"].as_str()),
        (Some("assigned"), Some("halong.chuyenvien"), Some(subject))
    );
    assert_error(assign(good).await, 409, "action_not_allowed").await;
    // The sender sees 04 with who and by when.
    let v = wait_doc(&app, &s.sender, out, |v| codes(v, &s.halong).contains(&"04".to_owned())).await;
    let receipt = v.to_string();
    assert!(receipt.contains("halong.chuyenvien") && receipt.contains(w["due_at"].as_str().unwrap()), "{receipt}");

    // The handler and the co-handler each do their part.
    let co = s.clerk.clone();
    step(&app, &s.handler, id, json!({"action": "progress", "text": "Đang tổng hợp số liệu."})).await;
    let w =
        step(&app, &s.handler, id, json!({"action": "ask", "to": "halong.vanthu", "text": "Số văn bản đến quý IV?"}))
            .await;
    assert_eq!(w["waiting_for"], json!(["halong.vanthu"]));
    assert_error(
        act(&app, &s.handler, id, json!({"action": "ask", "to": "halong.quantri", "text": "?"})).await,
        422,
        "invalid_value",
    )
    .await;
    let w = step(&app, &co, id, json!({"action": "input", "text": "312 văn bản."})).await;
    assert_eq!(w["waiting_for"], json!([]));
    assert_error(act(&app, &co, id, json!({"action": "draft", "text": "x"})).await, 403, "forbidden").await;
    step(&app, &s.handler, id, json!({"action": "draft", "text": "Dự thảo báo cáo."})).await;
    assert_error(act(&app, &co, id, json!({"action": "approve"})).await, 403, "forbidden").await;
    assert_error(act(&app, &s.handler, id, json!({"action": "approve"})).await, 403, "forbidden").await;
    step(&app, &s.leader, id, json!({"action": "send_back", "text": "Bổ sung số liệu tháng 12."})).await;
    step(&app, &s.handler, id, json!({"action": "draft", "text": "Dự thảo đã bổ sung tháng 12."})).await;
    let w = step(&app, &s.leader, id, json!({"action": "approve"})).await;
    assert_eq!(w["status"], "approved");

    // The reply goes out through the outgoing register; naming it closes the work.
    assert_error(act(&app, &s.handler, id, json!({"action": "replied", "reply": id})).await, 422, "invalid_value")
        .await;
    let reply = send(&app, &s.clerk, document(&s.halong, &s.stp, "V/v báo cáo hồ sơ tồn quý IV (trả lời)")).await;
    let w = step(&app, &s.handler, id, json!({"action": "replied", "reply": reply})).await;
    assert_eq!(
        (w["status"].as_str(), w["reply"].as_i64(), w["on_time"].as_bool()),
        (Some("done"), Some(reply), Some(true))
    );
    let kinds: Vec<&str> = w["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["assigned", "progress", "question", "input", "draft", "sent_back", "draft", "approved", "replied"]
    );
    assert_error(
        act(&app, &s.handler, id, json!({"action": "progress", "text": "x"})).await,
        409,
        "action_not_allowed",
    )
    .await;
    // The sender saw it begun (05) and sees it completed (06), naming the reply.
    let v = wait_doc(&app, &s.sender, out, |v| codes(v, &s.halong).contains(&"06".to_owned())).await;
    assert_eq!(codes(&v, &s.halong), ["01", "03", "04", "05", "06"]);
    assert!(v.to_string().contains("Đã trả lời bằng văn bản số 1/STP-VP"), "{v}");

    // Lists: the officer's own (main or co-handler), the organisation's; nobody else's.
    let list = |token: String, q: &'static str| {
        let app = &app;
        async move {
            let (st, v) = json(app.get_as(&format!("/api/v1/documents/work{q}"), &token).await).await;
            assert_eq!(st, 200, "{v}");
            v["items"].as_array().unwrap().iter().map(|w| w["document"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list(s.handler.clone(), "").await, vec![id]);
    assert_eq!(list(co.clone(), "").await, vec![id]);
    assert_eq!(list(s.leader.clone(), "").await, Vec::<i64>::new(), "the leader's own: none");
    assert_eq!(list(s.leader.clone(), "?open=true").await, Vec::<i64>::new());
    let by_org = format!("?org={}", s.halong);
    let (_, v) = json(app.get_as(&format!("/api/v1/documents/work{by_org}"), &s.leader).await).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_error(app.get_as(&format!("/api/v1/documents/work?org={}", s.stp), &s.leader).await, 403, "forbidden").await;
    assert_error(app.get_as(&format!("/api/v1/documents/{id}/work"), &s.sender).await, 404, "not_found").await;
    let citizen = app.token("congdan").await;
    assert_error(app.get_as("/api/v1/documents/work", &citizen).await, 403, "forbidden").await;
    assert_eq!(app.get("/api/v1/documents/work").await.status(), 401);
}

async fn documents_for_information_close_once_read(app: TestApp) {
    let s = setup(&app).await;
    let subject = "Thông báo lịch tiếp công dân tháng 12";
    let out = send(&app, &s.sender, document(&s.stp, &s.halong, subject)).await;
    let id = arrived_and_accepted(&app, &s, subject).await;
    let body = json!({"direction": "information", "handler": "halong.chuyenvien", "days": 2});
    let (st, w) = json(app.post_json(&format!("/api/v1/documents/{id}/work"), &s.leader, body).await).await;
    assert_eq!(st, 201, "{w}");
    assert_error(act(&app, &s.handler, id, json!({"action": "draft", "text": "x"})).await, 409, "action_not_allowed")
        .await;
    let (st, w) = json(act(&app, &s.handler, id, json!({"action": "read"})).await).await;
    assert_eq!((st, w["status"].as_str()), (200, Some("done")), "{w}");
    let v = wait_doc(&app, &s.sender, out, |v| codes(v, &s.halong).contains(&"06".to_owned())).await;
    assert_eq!(codes(&v, &s.halong), ["01", "03", "04", "06"]);
}

/// The same path by clicks (`e2e/work.mjs`): assigned by the leader, a question to the
/// co-handler and the answer, the draft, the approval, the reply named and the work closed;
/// every page at 390 px with axe-core.
async fn the_work_by_clicks_on_phones_in_chromium(app: TestApp) {
    let s = setup(&app).await;
    let subject = "V/v báo cáo số văn bản đến quý IV";
    let out = send(&app, &s.sender, document(&s.stp, &s.halong, subject)).await;
    let id = arrived_and_accepted(&app, &s, subject).await;
    // The reply, sent already: the handler names it once the draft is approved.
    let reply_subject = "V/v báo cáo số văn bản đến quý IV (trả lời)";
    let reply = send(&app, &s.clerk, document(&s.halong, &s.stp, reply_subject)).await;
    let (_, r) = json(app.get_as(&format!("/api/v1/documents/{reply}"), &s.clerk).await).await;
    let env = vec![
        ("WORK_DOC", id.to_string()),
        ("WORK_SUBJECT", subject.to_owned()),
        ("WORK_REPLY_LABEL", format!("{} — {reply_subject}", r["number"])),
    ];
    let Some(out_text) = crate::web::run_e2e_with(&app, "work.mjs", env).await else { return };
    assert!(out_text.contains("work ok"), "{out_text}");
    // What the clicks did is what the API and the sender see.
    let (_, w) = json(app.get_as(&format!("/api/v1/documents/{id}/work"), &s.handler).await).await;
    assert_eq!((w["status"].as_str(), w["reply"].as_i64()), (Some("done"), Some(reply)), "{w}");
    let v = wait_doc(&app, &s.sender, out, |v| codes(v, &s.halong).contains(&"06".to_owned())).await;
    assert_eq!(codes(&v, &s.halong), ["01", "03", "04", "05", "06"]);
}

/// The half-minute pass at moments the test chooses (the use cases over the test's database,
/// e-mail on: messages are queued, not sent): within a working day of the deadline the main
/// handler is reminded, once; past it the committee's leaders are told, once; closed work is
/// left alone.
async fn deadlines_remind_the_handler_then_the_leaders(app: TestApp) {
    let s = setup(&app).await;
    let subject = "V/v rà soát thủ tục hành chính";
    send(&app, &s.sender, document(&s.stp, &s.halong, subject)).await;
    let id = arrived_and_accepted(&app, &s, subject).await;
    let body = json!({"direction": "information", "handler": "halong.chuyenvien", "co_handlers": ["halong.vanthu"], "days": 2});
    let (st, w) = json(app.post_json(&format!("/api/v1/documents/{id}/work"), &s.leader, body).await).await;
    assert_eq!(st, 201, "{w}");
    let due: jiff::Timestamp = w["due"].as_str().unwrap().parse().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut settings = motcua::app::ServerSettings { data_dir: dir.path().to_path_buf(), ..Default::default() };
    settings.notify.smtp_url = Some("smtp://127.0.0.1:9".into());
    settings.public_url = Some(app.base.clone());
    let state = motcua::app::AppState::new(app.db.store.clone(), settings);
    let works = motcua::documents::work::Works::of(&state);
    let cal = state.work_calendar().await.unwrap();
    let mut far = due;
    while cal.working_minutes_between(far, due).unwrap() <= cal.rules().hours.minutes_per_day() {
        far -= jiff::SignedDuration::from_mins(15);
    }
    let near = far + jiff::SignedDuration::from_mins(15);
    assert_eq!(works.remind(far).await.unwrap(), 0, "more than a working day before: nothing");
    assert_eq!(works.remind(near).await.unwrap(), 1, "within a working day: the handler is reminded");
    assert_eq!(works.remind(near).await.unwrap(), 0, "once");
    let sent = app.db.store.messages_about(&format!("work:{id}:remind")).await.unwrap();
    let to: Vec<&str> = sent.iter().filter(|n| n.note.channel == "email").map(|n| n.note.recipient.as_str()).collect();
    assert_eq!(to, ["halong.chuyenvien@demo.motcua.vn"], "the main handler only, not the co-handler");
    assert!(sent.iter().all(|n| n.note.body.contains(&format!("/van-ban/{id}/cong-viec"))));
    assert!(sent.iter().any(|n| n.note.subject.contains(subject)));

    assert_eq!(works.remind(due).await.unwrap(), 0, "at the deadline it is not late yet");
    let late = due + jiff::SignedDuration::from_mins(1);
    assert_eq!(works.remind(late).await.unwrap(), 1, "past it: the leaders are told");
    assert_eq!(works.remind(late).await.unwrap(), 0, "once");
    let told = app.db.store.messages_about(&format!("work:{id}:overdue")).await.unwrap();
    let to: Vec<&str> = told.iter().filter(|n| n.note.channel == "email").map(|n| n.note.recipient.as_str()).collect();
    assert_eq!(to, ["halong.lanhdao@demo.motcua.vn"], "the leaders only");

    // Closed: nothing more.
    let (st, _) = json(act(&app, &s.handler, id, json!({"action": "read"})).await).await;
    assert_eq!(st, 200);
    assert_eq!(works.remind(late + jiff::SignedDuration::from_hours(72)).await.unwrap(), 0);
}

/// The operations centre's work figures: assigned, done, done on time, overdue now — in all
/// and by organisation, filtered by organisation and period, as JSON, CSV, XLSX and on /ioc.
async fn figures_count_work_by_organisation_and_export(app: TestApp) {
    let s = setup(&app).await;
    let mut ids = Vec::new();
    for subject in ["V/v một", "V/v hai", "V/v ba"] {
        send(&app, &s.sender, document(&s.stp, &s.halong, subject)).await;
        ids.push(arrived_and_accepted(&app, &s, subject).await);
    }
    // Done on time (read, for information); open and in time.
    for (id, direction) in [(ids[0], "information"), (ids[1], "handle")] {
        let body = json!({"direction": direction, "handler": "halong.chuyenvien", "days": 3});
        let (st, w) = json(app.post_json(&format!("/api/v1/documents/{id}/work"), &s.leader, body).await).await;
        assert_eq!(st, 201, "{w}");
    }
    assert_eq!(act(&app, &s.handler, ids[0], json!({"action": "read"})).await.status(), 200);
    // Assigned on Monday 5 January 2026 for two working days and never done: overdue.
    use motcua_domain::work::{Actor, Assignment, Direction, WorkItem};
    let leader = Actor { username: motcua_domain::Username::parse("halong.lanhdao").unwrap(), leader: true };
    let cal = motcua_domain::calendar::WorkCalendar::new(Default::default(), vec![]).unwrap();
    let at = motcua_domain::calendar::vietnam().to_timestamp(jiff::civil::date(2026, 1, 5).at(9, 0, 0, 0)).unwrap();
    let a = Assignment {
        document: ids[2],
        org: motcua_domain::OrgCode::parse(&s.halong).unwrap(),
        direction: Direction::Handle,
        handler: motcua_domain::Username::parse("halong.chuyenvien").unwrap(),
        co_handlers: vec![],
        days: 2,
        note: None,
    };
    app.db.store.add_work(&WorkItem::assign(a, &leader, &cal, at).unwrap()).await.unwrap();

    let (st, r) = json(app.get("/api/v1/stats/work?from=01/01/2026").await).await;
    assert_eq!(st, 200, "{r}");
    let t = &r["total"];
    assert_eq!(
        [&t["assigned"], &t["done"], &t["done_on_time"], &t["overdue"]].map(|v| v.as_i64()),
        [Some(3), Some(1), Some(1), Some(1)],
        "{r}"
    );
    assert_eq!(t["on_time_rate"].as_f64(), Some(1.0));
    let row = r["by_org"].as_array().unwrap().iter().find(|x| x["key"] == s.halong.as_str()).cloned().expect("Hạ Long");
    assert_eq!(row["label"], "Ủy ban nhân dân phường Hạ Long");
    // Within another organisation: none of these; outside the period: none either.
    let (_, r) = json(app.get(&format!("/api/v1/stats/work?from=01/01/2026&org={}", s.stp)).await).await;
    assert_eq!(r["total"]["assigned"].as_i64(), Some(0), "{r}");
    let (_, r) = json(app.get("/api/v1/stats/work?from=01/01/2025&to=31/12/2025").await).await;
    assert_eq!(r["total"]["assigned"].as_i64(), Some(0), "{r}");
    // Exports and the operations centre.
    let csv = app.get("/api/v1/stats/work?from=01/01/2026&format=csv").await.text().await.unwrap();
    assert!(csv.contains(&format!("{},Ủy ban nhân dân phường Hạ Long,3,1,1,100.00,1", s.halong)), "{csv}");
    let xlsx = app.get("/api/v1/stats/work?from=01/01/2026&format=xlsx").await.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX file");
    let html = app.get("/ioc?from=01/01/2026").await.text().await.unwrap();
    let table = &html[html.find("id=\"work\"").expect("the work table")..];
    assert!(table.contains("Ủy ban nhân dân phường Hạ Long"), "{table}");
}

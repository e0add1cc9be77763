//! Paperless meetings through the real HTTP API, on both engines: the Hạ Long committee's
//! clerk calls a meeting chaired by its leader, with a register document and an uploaded file
//! in the pack, an officer of the committee and the Department of Justice's leader invited;
//! invitations queued; the department's leader sends a delegate; comments before the meeting;
//! the chair opens it and moves between items, which a live stream follows within a second
//! (on another server too, on PostgreSQL); opinions counted from those present; the minutes
//! written, signed by a leader and issued through the outgoing register to the department,
//! after which nothing changes. Who may see and do what.

use crate::common;

use std::time::Duration;

use common::{TestApp, assert_error, json, read_events_until};
use motcua_store::testing::Engine;
use serde_json::{Value, json};

// E-mail on (to a port nobody listens on): invitations are queued for it too.
on_both_backends!(
    @with |s| { s.notify.smtp_url = Some("smtp://127.0.0.1:9".into()); };
    a_meeting_from_invitation_to_signed_minutes,
    only_those_involved_see_a_meeting,
    the_meeting_by_clicks_on_tablets_in_chromium,
);

struct Setup {
    halong: String,
    stp: String,
    clerk: String,
    chair: String,
    officer: String,
    stp_leader: String,
    delegate: String,
}

async fn setup(app: &TestApp) -> Setup {
    let stp = app.org_of("stp.vanthu").await;
    let halong = app.org_of("halong.vanthu").await;
    app.enable_exchange(&[&stp, &halong]).await;
    Setup {
        halong,
        stp,
        clerk: app.token("halong.vanthu").await,
        chair: app.token("halong.lanhdao").await,
        officer: app.token("halong.chuyenvien").await,
        stp_leader: app.token("stp.lanhdao").await,
        delegate: app.token("stp.chuyenvien").await,
    }
}

fn starts_in_an_hour() -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string()
}

fn meeting(org: &str, title: &str, invitees: &[&str], document: Option<i64>) -> Value {
    json!({
        "org": org, "chair": "halong.lanhdao", "title": title, "starts_at": starts_in_an_hour(),
        "place": "Phòng họp tầng 3, UBND phường Hạ Long", "invitees": invitees,
        "items": [
            {"title": "Báo cáo tình hình giải quyết hồ sơ quý IV", "presenter": invitees[0],
             "documents": document.map(|d| vec![d]).unwrap_or_default(), "files": [1]},
            {"title": "Kế hoạch cải cách hành chính năm 2027", "presenter": "halong.lanhdao"}
        ]
    })
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Calls a meeting as multipart (the JSON and one PDF): the answer.
async fn call(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("meeting", body.to_string())
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("du-thao-bao-cao.pdf"));
    app.client.post(app.url("/api/v1/meetings")).bearer_auth(token).multipart(form).send().await.unwrap()
}

async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/meetings/{id}/actions"), token, body).await
}

/// A step that must pass; the meeting's view after it.
async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (st, m) = json(act(app, token, id, body).await).await;
    assert_eq!(st, 200, "{m}");
    m
}

async fn live(base: &str, token: &str, id: i64) -> reqwest::Response {
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v1/meetings/{id}/live"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r
}

/// A document in the committee's outgoing register (the draft the meeting reads): its id.
async fn register_document(app: &TestApp, s: &Setup) -> i64 {
    let doc = json!({
        "from": s.halong, "to": [s.stp], "notation": "UBND-VP", "document_type": "Báo cáo",
        "subject": "Báo cáo kết quả giải quyết hồ sơ quý IV", "content": "Quý IV tiếp nhận 1.204 hồ sơ.",
        "signer_position": "Chủ tịch", "signer_name": "Bùi Minh Tuấn"
    });
    let (st, v) = json(app.post_json("/api/v1/documents", &s.clerk, doc).await).await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn a_meeting_from_invitation_to_signed_minutes(app: TestApp) {
    let s = setup(&app).await;
    let doc = register_document(&app, &s).await;
    let title = "Họp giao ban cải cách hành chính tháng 12";

    // Only an officer of the organisation calls it; the chair must lead it.
    let body = meeting(&s.halong, title, &["halong.chuyenvien", "stp.lanhdao"], Some(doc));
    assert_error(call(&app, &s.stp_leader, body.clone()).await, 403, "forbidden").await;
    let mut not_leader = body.clone();
    not_leader["chair"] = json!("halong.chuyenvien");
    assert_error(call(&app, &s.clerk, not_leader).await, 422, "invalid_value").await;
    let mut past = body.clone();
    past["starts_at"] = json!("2020-01-01T08:00");
    assert_error(call(&app, &s.clerk, past).await, 422, "invalid_value").await;
    let mut foreign_doc = body.clone();
    foreign_doc["items"][0]["documents"] = json!([doc + 10_000]);
    assert_error(call(&app, &s.clerk, foreign_doc).await, 422, "invalid_value").await;

    let (st, m) = json(call(&app, &s.clerk, body).await).await;
    assert_eq!(st, 201, "{m}");
    let id = m["id"].as_i64().unwrap();
    assert_eq!((m["status"].as_str(), m["organiser"].as_str()), (Some("planned"), Some("halong.vanthu")));
    let papers = m["items"][0]["papers"].as_array().unwrap();
    assert_eq!(papers.len(), 2, "the register document and the file: {m}");
    assert_eq!((papers[0]["kind"].as_str(), papers[1]["kind"].as_str()), (Some("register"), Some("file")));

    // Invitations through the outbox, to the invitees and the chair.
    let notes = app.db.store.messages_about("meeting:").await.unwrap();
    let mut invited: Vec<&str> =
        notes.iter().filter(|n| n.note.channel == "email").map(|n| n.note.recipient.as_str()).collect();
    invited.sort_unstable();
    let expected = ["halong.chuyenvien@demo.motcua.vn", "halong.lanhdao@demo.motcua.vn", "stp.lanhdao@demo.motcua.vn"];
    assert_eq!(invited, expected, "the two invitees and the chair, once each");
    assert!(notes.iter().all(|n| n.note.subject.contains(title) && n.note.body.contains("/cuoc-hop")));

    // The department's leader reads the pack — the committee's register document too — and
    // sends a delegate of the department, who now sees it.
    let paper = app.get_as(&format!("/api/v1/meetings/{id}/items/1/papers/2"), &s.stp_leader).await;
    assert_eq!(paper.status(), 200);
    assert_eq!(paper.bytes().await.unwrap().as_ref(), PDF);
    let text = app.get_as(&format!("/api/v1/meetings/{id}/items/1/papers/1"), &s.stp_leader).await;
    assert!(text.text().await.unwrap().contains("Quý IV tiếp nhận 1.204 hồ sơ."));
    let r = act(&app, &s.stp_leader, id, json!({"action": "delegate", "to": "halong.vanthu"})).await;
    assert_error(r, 422, "invalid_value").await;
    let m = step(&app, &s.stp_leader, id, json!({"action": "delegate", "to": "stp.chuyenvien"})).await;
    let delegate = m["invitees"].as_array().unwrap().iter().find(|i| i["username"] == "stp.chuyenvien").unwrap();
    assert_eq!(delegate["delegate_of"], "stp.lanhdao");
    let told = app.db.store.messages_about("meeting:").await.unwrap();
    let to_delegate =
        told.iter().find(|n| n.note.recipient == "stp.chuyenvien@demo.motcua.vn").expect("the delegate is invited");
    assert!(
        to_delegate.note.body.contains(&format!("/cuoc-hop/{id}")) && to_delegate.note.body.contains("stp.lanhdao")
    );
    let (st, _) = json(app.get_as(&format!("/api/v1/meetings/{id}"), &s.delegate).await).await;
    assert_eq!(st, 200);

    // Before the meeting: the officer confirms and comments on the draft.
    step(&app, &s.officer, id, json!({"action": "confirm"})).await;
    let m = step(
        &app,
        &s.officer,
        id,
        json!({"action": "comment", "item": 1, "text": "Đề nghị bổ sung số liệu tháng 12."}),
    )
    .await;
    assert_eq!(m["items"][0]["comments"][0]["by"], "halong.chuyenvien");
    assert_error(act(&app, &s.officer, id, json!({"action": "start"})).await, 403, "forbidden").await;

    // The chair opens it; every screen follows the item change within a second — here, and on
    // PostgreSQL on a second server sharing the database.
    let mut screen = live(&app.base, &s.officer, id).await;
    read_events_until(&mut screen, "\"status\":\"planned\"", Duration::from_secs(5)).await;
    let other = match app.db.engine {
        Engine::Postgres => Some(app.beside(|_| {}).await),
        Engine::Sqlite => None,
    };
    let mut far_screen = match &other {
        Some(b) => {
            let mut r = live(&b.base, &s.delegate, id).await;
            read_events_until(&mut r, "\"status\":\"planned\"", Duration::from_secs(5)).await;
            Some(r)
        }
        None => None,
    };
    step(&app, &s.chair, id, json!({"action": "start"})).await;
    read_events_until(&mut screen, "\"current_item\":1", Duration::from_secs(1)).await;
    let moved = std::time::Instant::now();
    step(&app, &s.chair, id, json!({"action": "open", "item": 2})).await;
    read_events_until(&mut screen, "\"current_item\":2", Duration::from_secs(1)).await;
    if let Some(r) = far_screen.as_mut() {
        read_events_until(r, "\"current_item\":2", Duration::from_secs(1)).await;
    }
    assert!(moved.elapsed() < Duration::from_secs(1));

    // Opinions: asked for by the chair, given by those present, counted once each.
    step(&app, &s.chair, id, json!({"action": "ask", "item": 2})).await;
    let agree = json!({"action": "opinion", "item": 2, "choice": "agree"});
    assert_error(act(&app, &s.officer, id, agree.clone()).await, 403, "forbidden").await;
    step(&app, &s.officer, id, json!({"action": "check_in"})).await;
    step(&app, &s.delegate, id, json!({"action": "check_in"})).await;
    assert_error(act(&app, &s.stp_leader, id, json!({"action": "check_in"})).await, 422, "invalid_value").await;
    step(&app, &s.officer, id, agree).await;
    step(
        &app,
        &s.delegate,
        id,
        json!({"action": "opinion", "item": 2, "choice": "other", "text": "Lùi mốc số hóa sang quý II."}),
    )
    .await;
    let m = step(&app, &s.chair, id, json!({"action": "opinion", "item": 2, "choice": "agree"})).await;
    assert_eq!(m["items"][1]["tally"], json!({"agree": 2, "disagree": 0, "other": 1}));
    read_events_until(&mut screen, "\"present\":2", Duration::from_secs(2)).await;
    let r = act(&app, &s.officer, id, json!({"action": "opinion", "item": 1, "choice": "agree"})).await;
    assert_error(r, 422, "invalid_value").await;
    step(&app, &s.chair, id, json!({"action": "end"})).await;

    // The minutes: written by the organiser, signed by a leader, issued to the department.
    let minutes = json!({"action": "minutes", "text": "Cuộc họp thống nhất các nội dung.", "conclusion": "Giao phường hoàn thành số hóa trong quý II/2027."});
    assert_error(act(&app, &s.officer, id, minutes.clone()).await, 403, "forbidden").await;
    step(&app, &s.clerk, id, minutes.clone()).await;
    assert_error(act(&app, &s.clerk, id, json!({"action": "sign"})).await, 403, "forbidden").await;
    let m = step(&app, &s.chair, id, json!({"action": "sign"})).await;
    assert_eq!(m["status"], "signed");
    let out = m["signature"]["document"].as_i64().unwrap();
    let (_, d) = json(app.get_as(&format!("/api/v1/documents/{out}"), &s.clerk).await).await;
    assert_eq!(d["direction"], "out", "{d}");
    assert!(d["subject"].as_str().unwrap().contains(title));
    // The signed package's text carries the attendance and the counted opinions.
    let content = app.get_as(&format!("/api/v1/documents/{out}/edxml"), &s.clerk).await;
    assert_eq!(content.status(), 200);
    let xml = content.text().await.unwrap();
    assert!(xml.contains("2 đồng ý, 0 không đồng ý, 1 ý kiến khác") && xml.contains("Signature"), "{xml}");
    // It reaches the department's incoming register.
    let arrived = wait_incoming(&app, &s.stp_leader, title).await;
    assert!(arrived, "the minutes reach the department");

    // Final: nothing more changes, whoever tries.
    for (token, body) in [
        (&s.clerk, minutes),
        (&s.officer, json!({"action": "comment", "item": 1, "text": "Muộn."})),
        (&s.chair, json!({"action": "sign"})),
        (&s.chair, json!({"action": "cancel"})),
    ] {
        let (st, v) = json(act(&app, token, id, body).await).await;
        assert!(st == 409 || st == 403 || st == 422, "{st} {v}");
    }
    let (_, after) = json(app.get_as(&format!("/api/v1/meetings/{id}"), &s.officer).await).await;
    assert_eq!(after["minutes"]["conclusion"], "Giao phường hoàn thành số hóa trong quý II/2027.");
    drop(other);
}

async fn wait_incoming(app: &TestApp, token: &str, title: &str) -> bool {
    for _ in 0..200 {
        let (_, v) = json(app.get_as("/api/v1/documents?direction=in", token).await).await;
        if v["items"].as_array().unwrap().iter().any(|d| d["subject"].as_str().unwrap_or_default().contains(title)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn only_those_involved_see_a_meeting(app: TestApp) {
    let s = setup(&app).await;
    let (st, a) = json(call(&app, &s.clerk, meeting(&s.halong, "Họp A", &["halong.chuyenvien"], None)).await).await;
    assert_eq!(st, 201, "{a}");
    let (st, b) = json(call(&app, &s.clerk, meeting(&s.halong, "Họp B", &["stp.lanhdao"], None)).await).await;
    assert_eq!(st, 201, "{b}");
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());

    // An invitee of A sees nothing of B: not the meeting, its papers, its stream, its list entry.
    for path in [
        format!("/api/v1/meetings/{b}"),
        format!("/api/v1/meetings/{b}/items/1/papers/1"),
        format!("/api/v1/meetings/{b}/live"),
    ] {
        assert_error(app.get_as(&path, &s.officer).await, 404, "not_found").await;
    }
    assert_error(act(&app, &s.officer, b, json!({"action": "confirm"})).await, 404, "not_found").await;
    let (_, mine) = json(app.get_as("/api/v1/meetings", &s.officer).await).await;
    let ids: Vec<i64> = mine["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![a]);
    let (_, theirs) = json(app.get_as("/api/v1/meetings", &s.clerk).await).await;
    assert_eq!(theirs["total"], 2);
    // Signed out: 401; a citizen: nothing.
    assert_eq!(app.get(&format!("/api/v1/meetings/{a}")).await.status(), 401);
    let citizen = app.token("congdan").await;
    assert_error(app.get_as(&format!("/api/v1/meetings/{a}"), &citizen).await, 404, "not_found").await;
    assert_error(
        call(&app, &citizen, meeting(&s.halong, "Họp C", &["halong.chuyenvien"], None)).await,
        403,
        "forbidden",
    )
    .await;
    // A paper that is not there; an unknown step; a cancelled meeting cannot start.
    assert_error(app.get_as(&format!("/api/v1/meetings/{a}/items/1/papers/9"), &s.officer).await, 404, "not_found")
        .await;
    assert_error(act(&app, &s.clerk, a, json!({"action": "dance"})).await, 422, "invalid_action").await;
    step(&app, &s.clerk, a, json!({"action": "cancel"})).await;
    assert_error(act(&app, &s.chair, a, json!({"action": "start"})).await, 409, "action_not_allowed").await;
    let _ = s.stp;
}

/// `e2e/meeting.mjs`: the same meeting by clicks, on a desktop and two tablets; then what the
/// clicks did is what the API shows.
async fn the_meeting_by_clicks_on_tablets_in_chromium(app: TestApp) {
    let s = setup(&app).await;
    let Some(out) = crate::web::run_e2e_with(&app, "meeting.mjs", vec![]).await else { return };
    assert!(out.contains("meeting ok"), "{out}");
    let follow = out.lines().find(|l| l.starts_with("follow:")).expect("the measured follow times");
    eprintln!("{follow}");
    let (_, list) = json(app.get_as("/api/v1/meetings", &s.officer).await).await;
    let m = &list["items"][0];
    assert_eq!(m["status"], "signed", "{m}");
    assert_eq!(m["items"][1]["tally"], json!({"agree": 1, "disagree": 0, "other": 1}));
    assert_eq!(m["items"][0]["comments"][0]["text"], "Đề nghị bổ sung số liệu tháng 12.");
    assert!(m["invitees"].as_array().unwrap().iter().all(|i| i["present"] == true), "{m}");
    assert!(wait_incoming(&app, &s.stp_leader, "thử trên máy tính bảng").await, "the minutes reach the department");
}

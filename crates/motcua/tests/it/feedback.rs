//! Citizens' feedback and petitions through the real HTTP API, on both engines: sent signed
//! out and signed in, classified and sent to the competent organisation, answered there,
//! published without the sender, found with or without diacritics, rated once; refused with
//! its legal reason; every refusal with its code; and the same path by clicks in Chromium.

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    a_feedback_is_sent_classified_forwarded_answered_published_and_rated,
    bad_feedback_is_refused_with_a_code,
    the_whole_path_by_clicks_on_phones_in_chromium,
    figures_count_by_organisation_and_topic_and_export,
    deadlines_remind_the_officers_then_the_leaders_and_the_sender_hears_the_answer,
    files_go_with_a_feedback_and_its_answer_to_those_they_belong_to,
    the_queue_and_the_answers_come_by_pages_and_by_organisation,
);

/// A feedback kept straight in the store (its code made of `n`'s digits), received at `at`, answered with
/// `answer` (then published: the sender agreed) or left open.
async fn stored(app: &TestApp, n: u8, org: &str, title: &str, at: jiff::Timestamp, answer: Option<&str>) -> String {
    use motcua_domain::feedback::{Deadlines, Feedback, FeedbackCode, Sender, Submission, Topic};
    let cal = motcua_domain::calendar::WorkCalendar::new(Default::default(), vec![]).unwrap();
    let mut f = Feedback::receive(
        FeedbackCode::from_random([n % 10, n / 10 % 10, n / 100, 1, 2, 3, 4, 5, 6, 7]),
        Submission {
            topic: Topic::Procedure,
            about: None,
            title: motcua_domain::BoundedText::parse("t", title).unwrap(),
            content: motcua_domain::BoundedText::parse("c", "Đã gửi từ tháng Một.").unwrap(),
            sender: Sender {
                account: None,
                name: motcua_domain::Name::parse("n", "Lê Văn Cường").unwrap(),
                phone: Some(motcua_domain::Phone::parse("0987654321").unwrap()),
                email: None,
                address: None,
            },
            publish: answer.is_some(),
            org: motcua_domain::OrgCode::parse(org).unwrap(),
            files: vec![],
        },
        &cal,
        Deadlines::default(),
        at,
    )
    .unwrap();
    if let Some(a) = answer {
        f.answer(motcua_domain::BoundedText::parse("a", a).unwrap(), "staff:x", at).unwrap();
    }
    app.db.store.add_feedback(&f).await.unwrap();
    f.code.to_string()
}

/// The officers' queue comes 50 a page and, for an officer of two organisations, for the one
/// chosen (another's is refused); the published answers 20 a page, the search kept.
async fn the_queue_and_the_answers_come_by_pages_and_by_organisation(app: TestApp) {
    let now = jiff::Timestamp::now();
    for n in 0..51u8 {
        stored(&app, n, HALONG, &format!("Phản ánh số {n}"), now, None).await;
    }
    stored(&app, 60, BHXH, "Phản ánh gửi bảo hiểm xã hội", now, None).await;
    for n in 70..91u8 {
        stored(&app, n, HALONG, &format!("Lệ phí số {n}"), now, Some("Đã giảm lệ phí theo Nghị quyết.")).await;
    }
    // The committee's specialist is also one at the social insurance.
    let roles = [HALONG, BHXH].map(|org| motcua_domain::RoleAssignment {
        org: motcua_domain::OrgCode::parse(org).unwrap(),
        role: motcua_domain::Role::Specialist,
    });
    let who = motcua_domain::Username::parse("halong.chuyenvien").unwrap();
    assert!(app.db.store.set_roles(&who, &roles).await.unwrap());
    let b = common::browser();
    common::sign_in(&app, &b, "halong.chuyenvien").await;
    let page = |path: &str| {
        let b = b.clone();
        let url = app.url(path);
        async move {
            let r = b.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let items = |html: &str| html.matches("<h2><a href=\"/phan-anh/PA").count();

    let (s, first) = page(&format!("/phan-anh/xu-ly?org={HALONG}&status=received")).await;
    assert_eq!(s, 200);
    assert_eq!(items(&first), 50, "50 a page: {first}");
    assert!(first.contains("Trang 1/2 (51)") && first.contains("trang=2"), "{first}");
    assert!(first.contains("<select id=\"org\" name=\"org\">") && first.contains("Bảo hiểm xã hội"), "a chooser");
    let (_, second) = page(&format!("/phan-anh/xu-ly?org={HALONG}&status=received&trang=2")).await;
    assert_eq!(items(&second), 1);
    assert!(
        second.contains("Trang 2/2 (51)") && second.contains("status=received&#38;trang=1"),
        "the filter kept: {second}"
    );
    let (_, theirs) = page(&format!("/phan-anh/xu-ly?org={BHXH}&status=received")).await;
    assert!(theirs.contains("Phản ánh gửi bảo hiểm xã hội") && !theirs.contains("Phản ánh số 1<"), "{theirs}");
    assert!(theirs.contains(&format!("<option value=\"{BHXH}\" selected>")), "the one shown is chosen");
    let (s, _) = page("/phan-anh/xu-ly?org=000.00.01.H22").await;
    assert_eq!(s, 403, "not theirs");

    let (_, answers) = page("/phan-anh?q=le+phi").await;
    assert_eq!(answers.matches("<li>\n  <h3>").count(), 20, "20 answers a page");
    assert!(answers.contains("Trang 1/2 (21)") && answers.contains("q=le+phi&#38;trang=2"), "{answers}");
    let (_, last) = page("/phan-anh?q=le+phi&trang=2").await;
    assert_eq!(last.matches("<li>\n  <h3>").count(), 1);
}

/// A feedback's body and files, multipart (`feedback` JSON part, `file` parts).
async fn send_with_files(
    app: &TestApp,
    token: Option<&str>,
    body: &Value,
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("feedback", body.to_string());
    for (name, bytes) in files {
        form = form.part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    let r = app.client.post(app.url("/api/v1/feedback")).multipart(form);
    match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
    .send()
    .await
    .unwrap()
}

/// A file's bytes as `token` (None: signed out) downloads them; the status otherwise.
async fn download(app: &TestApp, token: Option<&str>, code: &str, index: i32) -> Result<(String, Vec<u8>), u16> {
    let r = app.client.get(app.url(&format!("/api/v1/feedback/{code}/files/{index}")));
    let r = match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
    .send()
    .await
    .unwrap();
    if r.status() != 200 {
        return Err(r.status().as_u16());
    }
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    Ok((kind, r.bytes().await.unwrap().to_vec()))
}

/// Sent signed out with a photo and a paper: the sender's files are the sender's and the
/// handling officers' (not whoever holds the code, not another organisation's, not the
/// public page); sent on, the new organisation's; the answer's letter is the sender's by the
/// code. Files are checked by content and counted, and a refused feedback keeps nothing.
async fn files_go_with_a_feedback_and_its_answer_to_those_they_belong_to(app: TestApp) {
    let photo: &[u8] = b"\x89PNG\r\n\x1a\n0000IHDR anh chup giay hen";
    let paper: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF giay bien nhan";
    let (s, f) =
        json(send_with_files(&app, None, &regulation(), &[("../ảnh hẹn.png", photo), ("biên nhận.pdf", paper)]).await)
            .await;
    assert_eq!(s, 201, "{f}");
    let code = f["code"].as_str().unwrap().to_owned();
    let listed: Vec<(i64, &str, &str, &str)> = f["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["index"].as_i64().unwrap(),
                x["filename"].as_str().unwrap(),
                x["content_type"].as_str().unwrap(),
                x["from"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(1, "ảnh hẹn.png", "image/png", "sender"), (2, "biên nhận.pdf", "application/pdf", "sender")],
        "the name without its path, the type by content"
    );

    // The code alone shows how it stands, not the sender's files.
    let (_, v) = json(app.get(&format!("/api/v1/feedback/{code}")).await).await;
    assert_eq!(v["files"], json!([]), "{v}");
    assert_eq!(download(&app, None, &code, 1).await, Err(404));
    // The committee's officers open both, byte for byte; the social insurance's cannot.
    let desk = app.token("halong.chuyenvien").await;
    let bhxh = app.token("bhxh.chuyenvien").await;
    assert_eq!(download(&app, Some(&desk), &code, 1).await, Ok(("image/png".into(), photo.to_vec())));
    assert_eq!(download(&app, Some(&desk), &code, 2).await, Ok(("application/pdf".into(), paper.to_vec())));
    assert_eq!(download(&app, Some(&desk), &code, 3).await, Err(404));
    assert_eq!(download(&app, Some(&bhxh), &code, 1).await, Err(404));
    let r = app
        .client
        .get(app.url(&format!("/api/v1/feedback/{code}/files/1?inline=true")))
        .bearer_auth(&desk)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"),
        "a picture never runs as the site"
    );
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));

    // Files go with an answer or a refusal only.
    let form = reqwest::multipart::Form::new()
        .text("action", json!({"action": "classify", "to_org": BHXH}).to_string())
        .part("file", reqwest::multipart::Part::bytes(paper.to_vec()).file_name("x.pdf"));
    let r = app.client.post(app.url(&format!("/api/v1/feedback/{code}/actions"))).bearer_auth(&desk).multipart(form);
    assert_error(r.send().await.unwrap(), 400, "invalid_multipart").await;
    // Sent on: the social insurance's now, no longer the committee's.
    let (s, v) = json(act(&app, Some(&desk), &code, json!({"action": "classify", "to_org": BHXH})).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(download(&app, Some(&bhxh), &code, 2).await, Ok(("application/pdf".into(), paper.to_vec())));
    assert_eq!(download(&app, Some(&desk), &code, 2).await, Err(404));

    // Answered with the letter: the sender (by the code) reads it; their own files stay theirs.
    let letter: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF cong van tra loi";
    let form = reqwest::multipart::Form::new()
        .text("action", json!({"action": "answer", "text": "Trả lời theo công văn đính kèm."}).to_string())
        .part("file", reqwest::multipart::Part::bytes(letter.to_vec()).file_name("công văn 15.pdf"));
    let r = app.client.post(app.url(&format!("/api/v1/feedback/{code}/actions"))).bearer_auth(&bhxh).multipart(form);
    let (s, v) = json(r.send().await.unwrap()).await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = json(app.get(&format!("/api/v1/feedback/{code}")).await).await;
    let seen: Vec<(i64, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["index"].as_i64().unwrap(), x["from"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(3, "answer")], "{v}");
    assert_eq!(download(&app, None, &code, 3).await, Ok(("application/pdf".into(), letter.to_vec())));
    assert_eq!(download(&app, None, &code, 1).await, Err(404));
    // Not on the public page.
    let (_, p) = json(app.get("/api/v1/feedback/published?q=cong%20van%20dinh%20kem").await).await;
    assert!(
        p["total"].as_i64().unwrap() >= 1 && !p.to_string().contains("files") && !p.to_string().contains(".pdf"),
        "{p}"
    );

    // Signed in, the sender's own files are theirs to open; another citizen's are not.
    let citizen = app.token("congdan").await;
    let body = json!({"topic": "dossier", "org": HALONG, "title": "Hồ sơ bị hẹn lại", "content": "Kèm giấy hẹn."});
    let (s, f) = json(send_with_files(&app, Some(&citizen), &body, &[("hen.png", photo)]).await).await;
    assert_eq!(s, 201, "{f}");
    let own = f["code"].as_str().unwrap().to_owned();
    assert_eq!(download(&app, Some(&citizen), &own, 1).await, Ok(("image/png".into(), photo.to_vec())));
    let other = common::register(&app, "tranthibinh", "001190004567").await;
    assert_eq!(download(&app, Some(&other), &own, 1).await, Err(404));

    // Refused, and nothing kept: a program, six files, a file that lies about its type, a
    // bad index.
    let (_, before) = json(app.get_as("/api/v1/feedback?limit=1", &desk).await).await;
    let exe: &[u8] = b"MZ\x90\x00 chuong trinh";
    assert_error(send_with_files(&app, None, &regulation(), &[("tep.exe", exe)]).await, 415, "unsupported_file_type")
        .await;
    assert_error(send_with_files(&app, None, &regulation(), &[("anh.pdf", exe)]).await, 415, "unsupported_file_type")
        .await;
    let six: Vec<(&str, &[u8])> = (0..6).map(|_| ("anh.png", photo)).collect();
    assert_error(send_with_files(&app, None, &regulation(), &six).await, 413, "too_many_files").await;
    let mut bad = regulation();
    bad["phone"] = Value::Null;
    assert_error(send_with_files(&app, None, &bad, &[("anh.png", photo)]).await, 400, "invalid_value").await;
    let (_, after) = json(app.get_as("/api/v1/feedback?limit=1", &desk).await).await;
    assert_eq!(before["total"], after["total"], "no feedback kept from a refused request");
    assert_error(app.get(&format!("/api/v1/feedback/{code}/files/abc")).await, 400, "invalid_path").await;
}

/// The half-minute pass at moments the test chooses (the use cases over the test's database,
/// e-mail on: messages are queued, not sent): a working day before the deadline the
/// committee's officers are reminded, once; past it its leaders are told, once; the answer
/// goes to the sender by SMS.
async fn deadlines_remind_the_officers_then_the_leaders_and_the_sender_hears_the_answer(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = motcua::app::ServerSettings { data_dir: dir.path().to_path_buf(), ..Default::default() };
    settings.notify.smtp_url = Some("smtp://127.0.0.1:9".into());
    settings.public_url = Some(app.base.clone());
    let state = motcua::app::AppState::new(app.db.store.clone(), settings);
    let feedbacks = motcua::feedback::Feedbacks::of(&state);
    let cal = state.work_calendar().await.unwrap();

    let (_, f) = json(send(&app, None, regulation()).await).await;
    let code = f["code"].as_str().unwrap().to_owned();
    let due: jiff::Timestamp = f["due"].as_str().unwrap().parse().unwrap();
    let mut far = due;
    while cal.working_minutes_between(far, due).unwrap() <= cal.rules().hours.minutes_per_day() {
        far -= jiff::SignedDuration::from_mins(15);
    }
    let near = far + jiff::SignedDuration::from_mins(15);
    assert_eq!(feedbacks.remind(far).await.unwrap(), 0, "more than a working day before: nothing");
    assert_eq!(feedbacks.remind(near).await.unwrap(), 1, "within a working day: the officers are reminded");
    assert_eq!(feedbacks.remind(near).await.unwrap(), 0, "once");
    let sent = app.db.store.messages_about(&format!("feedback:{code}:remind")).await.unwrap();
    let to: Vec<&str> = sent.iter().map(|n| n.note.recipient.as_str()).collect();
    assert!(
        to.contains(&"halong.chuyenvien@demo.motcua.vn") && to.contains(&"halong.lanhdao@demo.motcua.vn"),
        "{to:?}"
    );
    assert!(!to.iter().any(|r| r.starts_with("bhxh.")), "only the organisation holding it: {to:?}");
    assert!(sent.iter().all(|n| n.note.subject.contains("sắp đến hạn phân loại") && n.note.body.contains(&code)));

    assert_eq!(feedbacks.remind(due).await.unwrap(), 0, "at the deadline it is not late yet");
    let late = due + jiff::SignedDuration::from_mins(1);
    assert_eq!(feedbacks.remind(late).await.unwrap(), 1, "past it: the leaders are told");
    assert_eq!(feedbacks.remind(late).await.unwrap(), 0, "once");
    let told = app.db.store.messages_about(&format!("feedback:{code}:overdue")).await.unwrap();
    let to: Vec<&str> = told.iter().filter(|n| n.note.channel == "email").map(|n| n.note.recipient.as_str()).collect();
    assert_eq!(to, vec!["halong.lanhdao@demo.motcua.vn"], "the leaders only");

    // Answered: the sender, who gave a phone number, gets it by SMS.
    let officer = app.token("halong.chuyenvien").await;
    let (s, v) =
        json(act(&app, Some(&officer), &code, json!({"action": "answer", "text": "Đã bỏ yêu cầu bản sao."})).await)
            .await;
    assert_eq!(s, 200, "{v}");
    let to_sender = app.db.store.messages_about(&format!("feedback:{code}:closed")).await.unwrap();
    assert!(
        to_sender
            .iter()
            .any(|n| n.note.channel == "sms" && n.note.recipient == "0912345678" && n.note.body.contains(&code)),
        "{to_sender:?}"
    );
    assert_eq!(
        feedbacks.remind(late + jiff::SignedDuration::from_hours(48)).await.unwrap(),
        0,
        "answered: nothing more"
    );
}

/// The statistics of feedback: received, answered, refused, closed on time, overdue now; in
/// all, by organisation and by topic; filtered by organisation; as CSV and XLSX.
async fn figures_count_by_organisation_and_topic_and_export(app: TestApp) {
    let (s, before) = json(app.get("/api/v1/stats/feedback").await).await;
    assert_eq!(s, 200, "{before}");
    let base = before["total"]["received"].as_i64().unwrap();
    let desk = app.token("halong.chuyenvien").await;
    // One answered, one refused (both in time), one open at the social insurance.
    let mut codes = Vec::new();
    for (topic, org) in [("procedure", HALONG), ("organisation", HALONG), ("regulation", BHXH)] {
        let mut body = regulation();
        body["topic"] = json!(topic);
        body["org"] = json!(org);
        let (s, f) = json(send(&app, None, body).await).await;
        assert_eq!(s, 201, "{f}");
        codes.push(f["code"].as_str().unwrap().to_owned());
    }
    let ok = |r: reqwest::Response| async move { assert_eq!(r.status(), 200) };
    ok(act(&app, Some(&desk), &codes[0], json!({"action": "answer", "text": "Đã trả lời."})).await).await;
    ok(act(&app, Some(&desk), &codes[1], json!({"action": "refuse", "text": "Không thuộc phạm vi."})).await).await;
    // And one received at Hạ Long on Monday 5 January 2026 and never handled: overdue.
    let received =
        motcua_domain::calendar::vietnam().to_timestamp(jiff::civil::date(2026, 1, 5).at(9, 0, 0, 0)).unwrap();
    stored(&app, 3, HALONG, "Chưa ai trả lời", received, None).await;

    let (_, r) = json(app.get("/api/v1/stats/feedback?from=01/01/2026").await).await;
    let t = &r["total"];
    assert_eq!(t["received"].as_i64(), Some(base + 4), "{r}");
    let hl = r["by_org"].as_array().unwrap().iter().find(|x| x["key"] == HALONG).expect("Hạ Long's row").clone();
    let f = &hl["figures"];
    assert_eq!(hl["label"], "Ủy ban nhân dân phường Hạ Long");
    assert_eq!(
        (
            f["received"].as_i64(),
            f["answered"].as_i64(),
            f["refused"].as_i64(),
            f["closed_on_time"].as_i64(),
            f["overdue"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(2), Some(1)),
        "{hl}"
    );
    assert_eq!(f["on_time_rate"].as_f64(), Some(1.0));
    let topics: Vec<&str> = r["by_topic"].as_array().unwrap().iter().filter_map(|x| x["label"].as_str()).collect();
    assert!(topics.contains(&"Cơ quan, cán bộ") && topics.contains(&"Quy định hành chính"), "{topics:?}");
    // Within one organisation (and those below it).
    let (_, r) = json(app.get(&format!("/api/v1/stats/feedback?from=01/01/2026&org={BHXH}")).await).await;
    assert_eq!(r["total"]["received"].as_i64(), Some(1), "{r}");
    // Outside the period: none of these.
    let (_, r) = json(app.get("/api/v1/stats/feedback?from=01/01/2025&to=31/12/2025").await).await;
    assert_eq!(r["total"]["received"].as_i64(), Some(0), "{r}");
    // Exports.
    let csv = app.get("/api/v1/stats/feedback?from=01/01/2026&format=csv").await.text().await.unwrap();
    assert!(
        csv.contains("Tiếp nhận")
            && csv.contains(&format!("Cơ quan,{HALONG},Ủy ban nhân dân phường Hạ Long,3,1,1,2,100.00,1")),
        "{csv}"
    );
    let xlsx = app.get("/api/v1/stats/feedback?from=01/01/2026&format=xlsx").await.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX file");
    assert_error(app.get("/api/v1/stats/feedback?from=32/01/2026").await, 400, "invalid_filter").await;
}

/// `e2e/feedback.mjs`: sent signed out, sent on by the committee, answered at the social
/// insurance, rated by the sender with the code, found on the public page; every page fits a
/// phone and passes axe-core.
async fn the_whole_path_by_clicks_on_phones_in_chromium(app: TestApp) {
    let Some(out) = crate::web::run_e2e(&app, "feedback.mjs").await else { return };
    let code = out.split_whitespace().skip_while(|w| *w != "ok").nth(1).expect("a code printed").to_owned();
    // What the clicks did is what the API says.
    let (_, v) = json(app.get(&format!("/api/v1/feedback/{code}")).await).await;
    assert_eq!(
        (v["status"].as_str(), v["org"].as_str(), v["rating"].as_u64()),
        (Some("answered"), Some(BHXH), Some(5)),
        "{v}"
    );
}

const HALONG: &str = "000.00.37.H22";
const BHXH: &str = "000.00.22.H22";

async fn send(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let r = app.client.post(app.url("/api/v1/feedback")).json(&body);
    let r = match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    };
    r.send().await.unwrap()
}

async fn act(app: &TestApp, token: Option<&str>, code: &str, body: Value) -> reqwest::Response {
    let r = app.client.post(app.url(&format!("/api/v1/feedback/{code}/actions"))).json(&body);
    let r = match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    };
    r.send().await.unwrap()
}

fn regulation() -> Value {
    json!({
        "topic": "procedure", "about": "1.001193", "org": HALONG, "publish": true,
        "title": "Đăng ký khai sinh còn đòi bản sao giấy chứng sinh",
        "content": "Đề nghị bỏ yêu cầu nộp bản sao giấy chứng sinh khi bệnh viện đã gửi bản điện tử.",
        "name": "Trần Thị Bình", "phone": "0912 345 678", "address": "Tổ 5, khu 3, phường Hạ Long"
    })
}

async fn a_feedback_is_sent_classified_forwarded_answered_published_and_rated(app: TestApp) {
    // Sent signed out, with a name and a phone number: a tracking code and a deadline.
    let (s, f) = json(send(&app, None, regulation()).await).await;
    assert_eq!(s, 201, "{f}");
    let code = f["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("PA") && code.len() == 12, "{code}");
    assert_eq!((f["status"].as_str(), f["org"].as_str()), (Some("received"), Some(HALONG)));
    assert_eq!(f["sender"]["phone"], "0912345678", "the sender sees what they sent");
    assert!(f["due_at"].as_str().is_some() && f["overdue"] == false);

    // Whoever holds the code sees how it stands, never who sent it.
    let (s, v) = json(app.get(&format!("/api/v1/feedback/{code}")).await).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("received")));
    assert!(v["sender"].is_null() && !v.to_string().contains("0912345678"), "{v}");
    // Lower case works too (typed from a paper).
    assert_eq!(app.get(&format!("/api/v1/feedback/{}", code.to_lowercase())).await.status(), 200);

    // In the Hạ Long committee's queue, with the sender.
    let desk = app.token("halong.chuyenvien").await;
    let (s, list) = json(app.get_as("/api/v1/feedback?status=received", &desk).await).await;
    assert_eq!(s, 200, "{list}");
    let mine = list["items"].as_array().unwrap().iter().find(|x| x["code"] == code.as_str()).cloned();
    assert_eq!(mine.expect("in the queue")["sender"]["name"], "Trần Thị Bình");

    // Nobody else acts on it: signed out 401, another organisation's officer 403.
    assert_error(act(&app, None, &code, json!({"action": "classify"})).await, 401, "unauthenticated").await;
    let bhxh = app.token("bhxh.chuyenvien").await;
    assert_error(act(&app, Some(&bhxh), &code, json!({"action": "answer", "text": "x"})).await, 403, "forbidden").await;
    assert_error(app.get_as(&format!("/api/v1/feedback?org={HALONG}"), &bhxh).await, 403, "forbidden").await;

    // Classified as about a regulation and sent to the provincial social insurance.
    let (s, v) =
        json(act(&app, Some(&desk), &code, json!({"action": "classify", "topic": "regulation", "to_org": BHXH})).await)
            .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["org"].as_str(), v["topic"].as_str()),
        (Some("processing"), Some(BHXH), Some("regulation"))
    );
    // Sent on, it is no longer Hạ Long's to answer, and cannot be classified twice.
    assert_error(act(&app, Some(&desk), &code, json!({"action": "answer", "text": "x"})).await, 403, "forbidden").await;
    assert_error(act(&app, Some(&bhxh), &code, json!({"action": "classify"})).await, 409, "action_not_allowed").await;
    // Rating before an answer.
    assert_error(act(&app, None, &code, json!({"action": "rate", "stars": 5})).await, 409, "action_not_allowed").await;

    // Answered there, in time.
    let answer = "Từ ngày 01/01/2026 không yêu cầu bản sao giấy chứng sinh khi đã có bản điện tử.";
    let (s, v) = json(act(&app, Some(&bhxh), &code, json!({"action": "answer", "text": answer})).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["status"].as_str(), v["on_time"].as_bool()), (Some("answered"), Some(true)));

    // Published, without the sender; found with or without diacritics.
    for q in ["ban sao giay chung sinh", "bản sao giấy chứng sinh"] {
        let (s, p) = json(app.get(&format!("/api/v1/feedback/published?q={q}")).await).await;
        assert_eq!(s, 200, "{p}");
        let items = p["items"].as_array().unwrap();
        let title = "Đăng ký khai sinh còn đòi bản sao giấy chứng sinh";
        assert!(items.iter().any(|x| x["title"] == title && x["answer"] == answer), "{q}: {p}");
        // Nor the code, which is the sender's key (it follows and rates the feedback).
        assert!(!p.to_string().contains(&code) && items.iter().all(|x| x.get("code").is_none()), "{p}");
        assert!(!p.to_string().contains("Trần Thị Bình") && !p.to_string().contains("0912345678"), "{p}");
    }
    let (_, p) = json(app.get("/api/v1/feedback/published?q=Tran%20Thi%20Binh").await).await;
    assert_eq!(p["total"], 0, "the sender's name is not searchable");

    // The sender (by the code: sent signed out) rates the answer, once.
    let (s, v) = json(act(&app, None, &code, json!({"action": "rate", "stars": 5})).await).await;
    assert_eq!((s, v["rating"].as_u64()), (200, Some(5)), "{v}");
    assert_error(act(&app, None, &code, json!({"action": "rate", "stars": 4})).await, 409, "already_rated").await;

    // Signed in: the account's name and contact; only the sender lists and rates it.
    let citizen = app.token("congdan").await;
    let body = json!({"topic": "organisation", "org": HALONG, "title": "Cán bộ hẹn nhiều lần",
        "content": "Tôi đến nộp hồ sơ ba lần đều được hẹn hôm sau."});
    let (s, f) = json(send(&app, Some(&citizen), body).await).await;
    assert_eq!(s, 201, "{f}");
    let own = f["code"].as_str().unwrap().to_owned();
    assert_eq!(f["sender"]["name"], "Nguyễn Văn An");
    assert_eq!(f["publish"], false, "not published unless the sender agrees");
    let (_, list) = json(app.get_as("/api/v1/feedback", &citizen).await).await;
    assert!(list["items"].as_array().unwrap().iter().all(|x| x["code"] == own.as_str()), "only their own: {list}");
    // Refused with the legal reason; nothing to rate, and not on the public page.
    let reason = "Nội dung đang được giải quyết theo thủ tục khiếu nại (khoản 2 Điều 3 Nghị định 20/2008/NĐ-CP).";
    let leader = app.token("halong.lanhdao").await;
    let (s, v) = json(act(&app, Some(&leader), &own, json!({"action": "refuse", "text": reason})).await).await;
    assert_eq!((s, v["status"].as_str(), v["answer"].as_str()), (200, Some("refused"), Some(reason)), "{v}");
    assert_error(
        act(&app, Some(&citizen), &own, json!({"action": "rate", "stars": 1})).await,
        409,
        "action_not_allowed",
    )
    .await;
    assert_error(act(&app, None, &own, json!({"action": "rate", "stars": 1})).await, 401, "unauthenticated").await;
    let (_, p) = json(app.get("/api/v1/feedback/published").await).await;
    assert!(!p.to_string().contains(&own));
}

async fn bad_feedback_is_refused_with_a_code(app: TestApp) {
    let with = |change: Value| {
        let mut b = regulation();
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (with(json!({"phone": null})), 400, "invalid_value"),
        (with(json!({"phone": "12345"})), 400, "invalid_value"),
        (with(json!({"email": "not-an-address"})), 400, "invalid_value"),
        (with(json!({"title": "   "})), 400, "invalid_text"),
        (with(json!({"name": null})), 400, "invalid_text"),
        (with(json!({"content": "x".repeat(5001)})), 400, "invalid_text"),
        (with(json!({"org": "000.00.99.H22"})), 422, "unknown_org"),
        (with(json!({"org": "khong phai ma"})), 400, "invalid_body"),
        (with(json!({"topic": "weather"})), 400, "invalid_body"),
        (with(json!({"extra": 1})), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        assert_error(send(&app, None, body).await, status, code).await;
    }
    assert_error(app.get("/api/v1/feedback/PA0000000000").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/feedback/PA2222222222").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/feedback").await, 401, "unauthenticated").await;
    let (_, f) = json(send(&app, None, regulation()).await).await;
    let code = f["code"].as_str().unwrap();
    let desk = app.token("halong.chuyenvien").await;
    assert_error(act(&app, Some(&desk), code, json!({"action": "fly"})).await, 400, "invalid_action").await;
    assert_error(act(&app, Some(&desk), code, json!({"action": "answer"})).await, 400, "invalid_text").await;
    let bad_org = json!({"action": "classify", "to_org": "000.00.99.H22"});
    assert_error(act(&app, Some(&desk), code, bad_org).await, 422, "unknown_org").await;
    assert_error(act(&app, None, code, json!({"action": "rate", "stars": 9})).await, 400, "invalid_value").await;
}

//! Linked applications (liên thông) over HTTP, on SQLite and PostgreSQL: the two national
//! groups of the demo end to end — one application, branches processed by officers of three
//! organisations, a dependent branch waiting for its input, a supplement on one branch that
//! holds another, a refusal that lets the others go on, results returned together or each
//! when ready, and the statistics counting each branch as its own procedure; and both groups
//! by clicks on phones in Chromium (`e2e/linked.mjs`).

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

on_both_backends!(
    birth_residence_and_health_card_in_one_application,
    death_group_returns_each_result_when_ready,
    both_groups_by_clicks_on_phones_in_chromium,
);

const BIRTH_GROUP: &str = "9.LT0001";
const DEATH_GROUP: &str = "9.LT0002";

async fn act(app: &TestApp, user: &str, code: &str, body: Value) -> Value {
    let token = app.token(user).await;
    let (s, v) = json(app.post_json(&format!("/api/v1/dossiers/{code}/actions"), &token, body).await).await;
    assert_eq!(s, 200, "{user} on {code}: {v}");
    v
}

async fn dossier(app: &TestApp, user: &str, code: &str) -> Value {
    let token = app.token(user).await;
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &token).await).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn branch<'a>(group: &'a Value, key: &str) -> &'a Value {
    group["branches"].as_array().expect("branches").iter().find(|b| b["key"] == key).expect(key)
}

/// Appraisal, approval and signing by the organisation's officers: the branch is done.
async fn process(app: &TestApp, code: &str, specialist: &str, leader: &str, clerk: &str) {
    act(app, specialist, code, json!({"action": "forward"})).await;
    act(app, leader, code, json!({"action": "approve"})).await;
    let v = act(app, clerk, code, json!({"action": "sign"})).await;
    assert_eq!(v["status"], "done", "{v}");
}

async fn submit(app: &TestApp, procedure: &str) -> String {
    let citizen = app.token("congdan").await;
    let ha_long = app.org_of("halong.chuyenvien").await;
    let body = json!({"procedure": procedure, "org": ha_long});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &citizen, body).await).await;
    assert_eq!(s, 201, "{v}");
    // Not received yet: no branch has started, all wait.
    assert!(v["branches"].as_array().unwrap().iter().all(|b| b["state"] == "waiting"), "{v}");
    v["code"].as_str().unwrap().to_owned()
}

async fn birth_residence_and_health_card_in_one_application(app: TestApp) {
    let code = submit(&app, BIRTH_GROUP).await;
    // The desk receives the one application: the birth registration starts at the commune,
    // the residence and the health card wait for its result.
    act(&app, "halong.motcua", &code, json!({"action": "receive"})).await;
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(g["status"], "in_process", "{g}");
    let birth = branch(&g, "khai-sinh");
    assert_eq!((birth["state"].as_str(), birth["status"].as_str()), (Some("started"), Some("accepted")), "{g}");
    assert_eq!(birth["org"].as_str(), Some(app.org_of("halong.chuyenvien").await.as_str()));
    assert_eq!(branch(&g, "thuong-tru")["state"], "waiting");
    assert_eq!(branch(&g, "bhyt")["state"], "waiting");
    let birth = birth["dossier"].as_str().unwrap().to_owned();
    // The branch is a dossier of its own procedure, which the applicant follows too.
    let b = dossier(&app, "congdan", &birth).await;
    assert_eq!(
        (b["procedure_code"].as_str(), b["branch_of"]["group"].as_str()),
        (Some("1.001193"), Some(code.as_str()))
    );
    // The application itself is nobody's to process after reception.
    let desk = app.token("halong.motcua").await;
    let r = app.post_json(&format!("/api/v1/dossiers/{code}/actions"), &desk, json!({"action": "forward"})).await;
    assert_error(r, 409, "action_not_allowed").await;

    process(&app, &birth, "halong.chuyenvien", "halong.lanhdao", "halong.vanthu").await;
    // Results go back together: the desk cannot return the birth certificate alone.
    let r =
        app.post_json(&format!("/api/v1/dossiers/{birth}/actions"), &desk, json!({"action": "return_result"})).await;
    assert_error(r, 409, "linked_branch_waits").await;

    // From the birth registration, the commune police and the social insurance start at once.
    let g = dossier(&app, "congdan", &code).await;
    let (residence, card) = (branch(&g, "thuong-tru"), branch(&g, "bhyt"));
    assert_eq!((residence["state"].as_str(), card["state"].as_str()), (Some("started"), Some("started")), "{g}");
    assert_eq!(residence["org"].as_str(), Some(app.org_of("cax.halong.chuyenvien").await.as_str()));
    assert_eq!(card["org"].as_str(), Some(app.org_of("bhxh.chuyenvien").await.as_str()));
    let (residence, card) =
        (residence["dossier"].as_str().unwrap().to_owned(), card["dossier"].as_str().unwrap().to_owned());
    let r = dossier(&app, "cax.halong.chuyenvien", &residence).await;
    assert_eq!(r["branch_of"]["inputs"], json!([birth]), "{r}");
    // Two working days for the residence inside the group, not the procedure's seven.
    assert!(r["fee"]["total"].as_i64().unwrap() > 0, "the residence fee is the branch's: {r}");

    // The police ask for a supplement: the card waits for it (the workflow says so).
    let supplement =
        json!({"action": "request_supplement", "reason": "Thiếu giấy tờ chỗ ở", "items": ["Hợp đồng thuê nhà"]});
    act(&app, "cax.halong.chuyenvien", &residence, supplement).await;
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(branch(&g, "bhyt")["held_by"], "thuong-tru", "{g}");
    let bhxh = app.token("bhxh.chuyenvien").await;
    let r = app.post_json(&format!("/api/v1/dossiers/{card}/actions"), &bhxh, json!({"action": "forward"})).await;
    let m = assert_error(r, 409, "linked_branch_waits").await;
    assert!(m.contains("thuong-tru") || m.contains("thường trú"), "{m}");
    act(&app, "congdan", &residence, json!({"action": "supplement", "note": "Đã bổ sung"})).await;
    let g = dossier(&app, "congdan", &code).await;
    assert!(branch(&g, "bhyt")["held_by"].is_null(), "{g}");

    process(&app, &residence, "cax.halong.chuyenvien", "cax.halong.lanhdao", "cax.halong.vanthu").await;
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(g["status"], "in_process", "the card is not done yet: {g}");
    assert_eq!(branch(&g, "thuong-tru")["status"], "done");
    process(&app, &card, "bhxh.chuyenvien", "bhxh.lanhdao", "bhxh.vanthu").await;

    // The last one done: every result returned at once, the application closed.
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(g["status"], "returned", "{g}");
    for key in ["khai-sinh", "thuong-tru", "bhyt"] {
        let b = branch(&g, key);
        assert_eq!(b["status"], "returned", "{key}: {g}");
        assert!(b["result"].as_str().is_some_and(|r| !r.is_empty()), "{key}: {b}");
    }
    let token = app.token("congdan").await;
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &token).await).await;
    let actions: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "start_branch").count(), 3, "{actions:?}");
    assert_eq!(actions.last(), Some(&"join"), "{actions:?}");

    // Anyone with the code follows every branch, without the applicant or the officers.
    let (s, tr) = json(app.get(&format!("/api/v1/track/{code}")).await).await;
    assert_eq!(s, 200, "{tr}");
    let tracked = tr["branches"].as_array().unwrap();
    assert_eq!(tracked.len(), 3, "{tr}");
    assert!(tracked.iter().all(|b| b["status_code"] == 10 && b["org_name"].is_string()), "{tr}");
    let applicant = g["applicant"]["full_name"].as_str().unwrap();
    assert!(!tr.to_string().contains(applicant) && !tr.to_string().contains("officer"), "{tr}");

    // The applicant hears once that everything is back: the application's message, not one
    // per branch returned with it.
    let message = |code: String| {
        let store = app.db.store.clone();
        async move {
            let code = motcua_domain::DossierCode::parse(&code).unwrap();
            let d = store.dossier(&code).await.unwrap().unwrap().dossier;
            let last = store.events(&code).await.unwrap().pop().unwrap();
            (last.action.clone(), motcua::notifications::message_for(&last, &d, "Liên thông", "http://x"))
        }
    };
    let (action, m) = message(code.clone()).await;
    assert_eq!(action, "join");
    assert!(m.is_some_and(|m| m.subject.contains("đã có đủ kết quả")));
    let (action, m) = message(residence.clone()).await;
    assert_eq!((action.as_str(), m.is_none()), ("return_result", true));

    // Each branch counts as its own procedure at its own organisation; the application not.
    // (The days around today: a run started just before midnight may cross it.)
    let today = jiff::Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
    let span = format!("from={}&to={}", today.yesterday().unwrap(), today.tomorrow().unwrap());
    let (s, b) = json(app.get(&format!("/api/v1/stats/breakdown?{span}&by=procedure")).await).await;
    assert_eq!(s, 200, "{b}");
    let rows = b["rows"].as_array().unwrap();
    for p in ["1.001193", "1.004194", "9.BHYT01"] {
        let row = rows.iter().find(|r| r["key"] == p).unwrap_or_else(|| panic!("{p}: {b}"));
        assert_eq!(
            (row["figures"]["received"].as_i64(), row["figures"]["returned"].as_i64()),
            (Some(1), Some(1)),
            "{p}"
        );
    }
    assert!(rows.iter().all(|r| r["key"] != BIRTH_GROUP), "{b}");
    let (_, orgs) = json(app.get(&format!("/api/v1/stats/breakdown?{span}&by=org")).await).await;
    assert_eq!(orgs["rows"].as_array().unwrap().len(), 3, "three organisations: {orgs}");
}

async fn death_group_returns_each_result_when_ready(app: TestApp) {
    let code = submit(&app, DEATH_GROUP).await;
    act(&app, "halong.motcua", &code, json!({"action": "receive"})).await;
    let g = dossier(&app, "halong.motcua", &code).await;
    let death = branch(&g, "khai-tu")["dossier"].as_str().unwrap().to_owned();
    process(&app, &death, "halong.chuyenvien", "halong.lanhdao", "halong.vanthu").await;
    // As ready: the extract of the death registration goes back at once.
    let v = act(&app, "halong.motcua", &death, json!({"action": "return_result"})).await;
    assert_eq!(v["status"], "returned", "{v}");
    let g = dossier(&app, "congdan", &code).await;
    let removal = branch(&g, "xoa-thuong-tru")["dossier"].as_str().unwrap().to_owned();
    let allowance = branch(&g, "mai-tang")["dossier"].as_str().unwrap().to_owned();
    // The social insurance refuses the allowance; the removal of residence goes on.
    act(&app, "bhxh.chuyenvien", &allowance, json!({"action": "refuse", "reason": "Người mất không tham gia BHXH"}))
        .await;
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(branch(&g, "mai-tang")["status"], "not_accepted");
    assert_eq!(g["status"], "in_process");
    process(&app, &removal, "cax.halong.chuyenvien", "cax.halong.lanhdao", "cax.halong.vanthu").await;
    assert_eq!(dossier(&app, "congdan", &code).await["status"], "in_process", "not returned yet");
    act(&app, "halong.motcua", &removal, json!({"action": "return_result"})).await;
    let g = dossier(&app, "congdan", &code).await;
    assert_eq!(g["status"], "returned", "{g}");
    // Finished before its due time: early, or on time when the due time falls later the same
    // day in Vietnam (a run just after midnight there, when the deadline is that evening).
    let b = branch(&g, "xoa-thuong-tru");
    let day = |k: &str| {
        let at: jiff::Timestamp = b[k].as_str().unwrap_or_else(|| panic!("{k}: {g}")).parse().unwrap();
        at.to_zoned(motcua_domain::calendar::vietnam()).date()
    };
    assert!(day("finished_at") <= day("due_at"), "{g}");
    let want = if day("finished_at") < day("due_at") { "early" } else { "on_time" };
    assert_eq!(b["timeliness"], want, "{g}");
}

/// `e2e/linked.mjs`: both groups by clicks, every page on the way at 390 px and through
/// axe-core; the applications it made end as the journey says.
async fn both_groups_by_clicks_on_phones_in_chromium(app: TestApp) {
    let Some(stdout) = crate::web::run_e2e(&app, "linked.mjs").await else { return };
    let codes: Vec<&str> = stdout.trim().rsplit("linked ok ").next().unwrap_or_default().split(' ').collect();
    assert_eq!(codes.len(), 2, "{stdout}");
    let birth = dossier(&app, "congdan", codes[0]).await;
    assert_eq!(birth["status"], "returned", "{birth}");
    assert!(birth["branches"].as_array().unwrap().iter().all(|b| b["status"] == "returned"), "{birth}");
    let death = dossier(&app, "congdan", codes[1]).await;
    assert_eq!(
        (death["status"].as_str(), branch(&death, "khai-tu")["status"].as_str()),
        (Some("in_process"), Some("returned"))
    );
}

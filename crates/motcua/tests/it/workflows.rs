//! Workflows over HTTP, on SQLite and PostgreSQL: a workflow edited while dossiers are in
//! flight (they finish under the version they started under, new ones follow the new one),
//! and a procedure nobody can receive (refused before anything is written, said on the
//! submission page, listed for the province's administrator).

use crate::common;

use common::{TestApp, assert_error, browser, json, sign_in};
use motcua_domain::{OrgCode, ProcedureCode, Role};
use serde_json::{Value, json};

on_both_backends!(
    a_workflow_edited_in_flight_leaves_its_dossiers_alone,
    nobody_to_receive_it_is_refused_up_front,
    escalations_fire_once_at_their_working_day_moments,
);

async fn act(app: &TestApp, code: &str, token: &str, action: &str) -> Value {
    let r = app.post_json(&format!("/api/v1/dossiers/{code}/actions"), token, json!({ "action": action })).await;
    let (s, v) = json(r).await;
    assert_eq!(s, 200, "{action} → {v}");
    v
}

async fn put_workflow(app: &TestApp, token: &str, code: &str, body: &Value) -> reqwest::Response {
    let url = app.url(&format!("/api/v1/workflows/{code}"));
    app.client.put(url).bearer_auth(token).json(body).send().await.unwrap()
}

async fn a_workflow_edited_in_flight_leaves_its_dossiers_alone(app: TestApp) {
    let citizen = app.token("congdan").await;
    let (desk, specialist) = (app.token("halong.motcua").await, app.token("halong.chuyenvien").await);
    let (leader, clerk) = (app.token("halong.lanhdao").await, app.token("halong.vanthu").await);
    let old = app.submit_online(&citizen).await;
    assert_eq!((old["workflow"].as_str(), old["workflow_version"].as_u64()), (Some("5-buoc"), Some(1)), "{old}");
    let old = old["code"].as_str().unwrap().to_owned();
    act(&app, &old, &desk, "receive").await;

    // The province drops the leader's approval: the specialist's step goes straight to signing.
    let (s, list) = json(app.get("/api/v1/workflows").await).await;
    assert_eq!(s, 200);
    let mut five = list.as_array().unwrap().iter().find(|w| w["code"] == "5-buoc").cloned().unwrap();
    assert_eq!(five["version"], 1);
    let steps = five["steps"].as_array_mut().unwrap();
    steps.retain(|s| s["key"] != "approve");
    steps.iter_mut().find(|s| s["key"] == "appraise").unwrap()["next"] = json!("sign");
    let admin = app.token("tinh.quantri").await;
    // Only the province's administrator changes workflows.
    assert_error(put_workflow(&app, &specialist, "5-buoc", &five).await, 403, "forbidden").await;
    five["version"] = json!(0);
    let (s, saved) = json(put_workflow(&app, &admin, "5-buoc", &five).await).await;
    assert_eq!((s, saved["version"].as_u64()), (200, Some(2)), "{saved}");
    // The same text again is no new version.
    let (_, again) = json(put_workflow(&app, &admin, "5-buoc", &five).await).await;
    assert_eq!(again["version"], 2);

    // The dossier in flight keeps its version: the leader still approves it, and it ends.
    let v = act(&app, &old, &specialist, "forward").await;
    assert_eq!((v["step"]["key"].as_str(), v["workflow_version"].as_u64()), (Some("approve"), Some(1)), "{v}");
    act(&app, &old, &leader, "approve").await;
    act(&app, &old, &clerk, "sign").await;
    let v = act(&app, &old, &desk, "return_result").await;
    assert_eq!(v["status_code"], 10, "{v}");

    // A new dossier follows the new version: no approval step.
    let new = app.submit_online(&citizen).await;
    assert_eq!(new["workflow_version"], 2, "{new}");
    let new = new["code"].as_str().unwrap().to_owned();
    act(&app, &new, &desk, "receive").await;
    let v = act(&app, &new, &specialist, "forward").await;
    assert_eq!(v["step"]["key"], "sign", "{v}");
    let r = app.post_json(&format!("/api/v1/dossiers/{new}/actions"), &leader, json!({"action": "approve"})).await;
    assert_error(r, 409, "action_not_allowed").await;

    // Broken workflows are refused, whatever the version sent, and change nothing.
    let mut looped = five.clone();
    looped["steps"].as_array_mut().unwrap().last_mut().unwrap()["next"] = json!("receive");
    let m = assert_error(put_workflow(&app, &admin, "5-buoc", &looped).await, 422, "invalid_workflow").await;
    assert!(m.contains("vòng lặp"), "{m}");
    assert_error(put_workflow(&app, &admin, "lien-thong", &five).await, 400, "invalid_body").await;
    let mut unknown = five.clone();
    unknown["extra"] = json!(1);
    assert_error(put_workflow(&app, &admin, "5-buoc", &unknown).await, 400, "invalid_body").await;
    let (_, list) = json(app.get("/api/v1/workflows").await).await;
    assert_eq!(list.as_array().unwrap().iter().find(|w| w["code"] == "5-buoc").unwrap()["version"], 2);

    // Every stored dossier still agrees with the version it runs under.
    let report = motcua::dossiers::audit::verify(app.db.store.as_ref()).await.expect("the chains hold");
    assert_eq!(report.dossiers, 2);
    // The old version is kept, the new one is current.
    let v1 = app.db.store.workflow_version("5-buoc", 1).await.unwrap().unwrap();
    assert!(v1.step("approve").is_some());
    assert_eq!(app.db.store.workflow_versions().await.unwrap().iter().filter(|w| w.code == "5-buoc").count(), 2);
}

/// Locks every account holding `role` at `org` (at least one): who they were.
async fn lock_all(app: &TestApp, org: &OrgCode, role: Role) -> Vec<motcua_domain::Account> {
    let staff = app.db.store.list_staff(org).await.unwrap();
    let holders: Vec<_> =
        staff.into_iter().filter(|a| a.roles.iter().any(|r| &r.org == org && r.role == role)).collect();
    assert!(!holders.is_empty());
    for a in &holders {
        assert!(app.db.store.set_account_disabled(&a.username, true).await.unwrap());
    }
    holders
}

async fn nobody_to_receive_it_is_refused_up_front(app: TestApp) {
    // The procedure is handled by Hạ Long alone, and its centre's desk officers are all locked.
    let pcode = ProcedureCode::parse("1.004873").unwrap();
    let mut p = app.db.store.procedure(&pcode).await.unwrap().unwrap();
    let ha_long = OrgCode::parse("000.00.37.H22").unwrap();
    p.organisations.retain(|o| o == &ha_long);
    app.db.store.upsert_procedures(std::slice::from_ref(&p)).await.unwrap();
    let centre = OrgCode::parse("001.00.37.H22").unwrap();
    let officers = lock_all(&app, &centre, Role::DeskOfficer).await;
    assert!(!app.db.store.staffed(&centre, Role::DeskOfficer).await.unwrap());

    let citizen = app.token("congdan").await;
    let (_, before) = json(app.get_as("/api/v1/dossiers", &citizen).await).await;
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22"});
    let m =
        assert_error(app.post_json("/api/v1/dossiers", &citizen, body.clone()).await, 422, "no_one_to_receive").await;
    assert!(m.contains("chưa có cán bộ một cửa") && m.contains("chưa được nộp"), "{m}");
    let (_, after) = json(app.get_as("/api/v1/dossiers", &citizen).await).await;
    assert_eq!(before["total"], after["total"], "nothing written");

    // The citizen is told on the submission page, before filling anything in.
    let b = browser();
    sign_in(&app, &b, "congdan").await;
    let r = b.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("chưa nhận hồ sơ trực tuyến") && !html.contains("{\""), "a page, not JSON");

    // The province's administrator sees the procedure listed, with where and who is missing.
    let admin = browser();
    sign_in(&app, &admin, "tinh.quantri").await;
    let html = admin.get(app.url("/quan-tri/thu-tuc")).send().await.unwrap().text().await.unwrap();
    let warning = &html[html.find("Thủ tục không có người tiếp nhận").expect("the warning")..];
    let warning = &warning[..warning.find("</div>").unwrap()];
    assert!(warning.contains("1.004873") && warning.contains("Cán bộ một cửa"), "{warning}");

    // One officer back at the desk: the submission goes through.
    assert!(app.db.store.set_account_disabled(&officers[0].username, false).await.unwrap());
    let (s, v) = json(app.post_json("/api/v1/dossiers", &citizen, body).await).await;
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_owned();
    let desk = app.token(officers[0].username.as_str()).await;
    act(&app, &code, &desk, "receive").await;

    // No leader at work in Hạ Long: the specialist cannot pass the dossier on to nobody.
    let leaders = lock_all(&app, &ha_long, Role::Leader).await;
    let specialist = app.token("halong.chuyenvien").await;
    let r = app.post_json(&format!("/api/v1/dossiers/{code}/actions"), &specialist, json!({"action": "forward"})).await;
    let m = assert_error(r, 422, "no_one_to_receive").await;
    assert!(m.contains("lãnh đạo") && m.contains("vẫn ở bước hiện tại"), "{m}");
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &specialist).await).await;
    assert_eq!(d["step"]["key"], "appraise", "{d}");
    app.db.store.set_account_disabled(&leaders[0].username, false).await.unwrap();
    let v = act(&app, &code, &specialist, "forward").await;
    assert_eq!(v["step"]["key"], "approve");
    let html = admin.get(app.url("/quan-tri/thu-tuc")).send().await.unwrap().text().await.unwrap();
    let listed = html
        .find("Thủ tục không có người tiếp nhận")
        .is_some_and(|i| html[i..].split("</div>").next().unwrap_or_default().contains("1.004873"));
    assert!(!listed, "no longer listed");
}

/// The use cases over the test's database, with e-mail on (the messages are queued, not sent)
/// and a clock the test chooses.
fn escalations_state(app: &TestApp, dir: &std::path::Path) -> motcua::app::AppState {
    let mut settings = motcua::app::ServerSettings { data_dir: dir.to_path_buf(), ..Default::default() };
    settings.notify.smtp_url = Some("smtp://127.0.0.1:9".into());
    settings.public_url = Some(app.base.clone());
    motcua::app::AppState::new(app.db.store.clone(), settings)
}

async fn escalations_fire_once_at_their_working_day_moments(app: TestApp) {
    use motcua::dossiers::escalation::Escalations;
    let dir = tempfile::tempdir().unwrap();
    let state = escalations_state(&app, dir.path());
    let escalations = Escalations::of(&state);
    let cal = state.work_calendar().await.unwrap();
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let desk = app.token("halong.motcua").await;
    let v = act(&app, &code, &desk, "receive").await;
    let due: jiff::Timestamp = v["due_at"].as_str().unwrap().parse().unwrap();
    let at_step = |v: &Value| v["step"]["key"].as_str().map(str::to_owned);
    assert_eq!(at_step(&v).as_deref(), Some("appraise"));

    // Walk back from the due time a quarter of an hour at a time to the last moment more than
    // one working day before it (nights, weekends and holidays do not count).
    let mut far = due;
    while cal.working_minutes_between(far, due).unwrap() <= cal.rules().hours.minutes_per_day() {
        far -= jiff::SignedDuration::from_mins(15);
    }
    let near = far + jiff::SignedDuration::from_mins(15);
    assert_eq!(escalations.run(far).await.unwrap(), 0, "more than a working day before: nothing");
    assert_eq!(escalations.run(near).await.unwrap(), 1, "within a working day: the specialists are reminded");
    assert_eq!(escalations.run(near).await.unwrap(), 0, "once");
    let sent = app.db.store.messages_about(&format!("escalation:{code}:")).await.unwrap();
    let to: Vec<&str> = sent.iter().map(|n| n.note.recipient.as_str()).collect();
    assert!(to.contains(&"halong.chuyenvien@demo.motcua.vn"), "{to:?}");
    assert!(!to.iter().any(|r| r.starts_with("halong.lanhdao")), "leaders are not told yet: {to:?}");
    assert!(sent.iter().all(|n| n.note.subject.contains("sắp đến hạn") && n.note.body.contains(&code)));

    // The leaders' page lists nothing yet; past the due time they are told, once.
    let leader = browser();
    sign_in(&app, &leader, "halong.lanhdao").await;
    let inbox = leader.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(!inbox.contains("Hồ sơ báo cáo lãnh đạo"));
    assert_eq!(escalations.run(due).await.unwrap(), 0, "at the due time it is not late yet");
    let late = due + jiff::SignedDuration::from_mins(1);
    assert_eq!(escalations.run(late).await.unwrap(), 1);
    assert_eq!(escalations.run(late + jiff::SignedDuration::from_hours(30)).await.unwrap(), 0, "once");
    let sent = app.db.store.messages_about(&format!("escalation:{code}:")).await.unwrap();
    assert!(
        sent.iter().any(|n| n.note.recipient == "halong.lanhdao@demo.motcua.vn" && n.note.subject.contains("quá hạn"))
    );
    let inbox = leader.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    let listed = &inbox[inbox.find("Hồ sơ báo cáo lãnh đạo").expect("the leader's escalations")..];
    assert!(listed[..listed.find("</section>").unwrap()].contains(&code));
    let ioc = app.get("/ioc").await.text().await.unwrap();
    assert!(ioc.contains("1 đã báo cáo lãnh đạo"), "counted on the operations centre");

    // Passed on to the leader's own step, the escalation no longer stands.
    let specialist = app.token("halong.chuyenvien").await;
    act(&app, &code, &specialist, "forward").await;
    let inbox = leader.get(app.url("/ho-so")).send().await.unwrap().text().await.unwrap();
    assert!(!inbox.contains("Hồ sơ báo cáo lãnh đạo"));
    assert!(app.get("/ioc").await.text().await.unwrap().contains("0 đã báo cáo lãnh đạo"));
}

//! Dossiers over HTTP, on SQLite and PostgreSQL: submission, the five steps, refusals of
//! wrong actions, visibility, idempotency, supplements and apologies, public tracking, and
//! 1,000 simultaneous submissions.

use crate::common;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

// One citizen submits a thousand dossiers here: no daily quota (tests/it/hardening.rs has them).
on_both_backends!(
    @with |s| s.quotas = motcua::app::AccountQuotas { dossiers_per_day: 0, bytes_per_day: 0 };
    citizen_dossier_through_five_steps,
    wrong_actions_change_nothing,
    only_applicant_and_involved_staff_see_a_dossier,
    lists_go_on_from_the_last_row_shown,
    desk_officer_enters_a_dossier_for_an_applicant,
    idempotency_key_returns_the_same_dossier,
    supplement_and_apology,
    submissions_are_validated,
    thousand_simultaneous_submissions_get_gap_free_codes,
    attachments_are_checked_stored_and_served,
    printable_forms,
    assign_send_back_payment_transfer_stop_withdraw,
    supplement_and_result_files_follow_the_dossier,
    applicant_rates_once_after_return,
);

const HA_LONG_UBND: &str = "000.00.37.H22";
const HA_LONG_DESK: &str = "001.00.37.H22";

async fn action(app: &TestApp, code: &str, token: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/dossiers/{code}/actions"), token, body).await
}

async fn ok_action(app: &TestApp, code: &str, token: &str, body: Value) -> Value {
    let (s, v) = json(action(app, code, token, body.clone()).await).await;
    assert_eq!(s, 200, "{body} → {v}");
    v
}

async fn citizen_dossier_through_five_steps(app: TestApp) {
    let citizen = app.token("congdan").await;
    let d = app.submit_online(&citizen).await;
    let code = d["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with(&format!("{HA_LONG_DESK}-")), "received by the commune centre: {code}");
    assert!(code.ends_with("-0001"));
    assert_eq!((d["status_code"].as_u64(), d["step"]["key"].as_str()), (Some(1), Some("receive")));
    assert_eq!(d["applicant"]["full_name"], "Nguyễn Văn An", "prefilled from the account");
    assert_eq!(d["allowed_actions"], json!(["withdraw"]));
    assert!(d["due_at"].is_null());

    let desk = app.token("halong.motcua").await;
    let (_, inbox) = json(app.get_as("/api/v1/dossiers", &desk).await).await;
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["items"][0]["allowed_actions"], json!(["receive", "request_supplement", "refuse"]));

    let v = ok_action(&app, &code, &desk, json!({"action": "receive"})).await;
    assert_eq!((v["status_code"].as_u64(), v["step"]["key"].as_str()), (Some(2), Some("appraise")));
    assert!(v["due_at"].as_str().unwrap().ends_with("+07:00"));
    assert_eq!(v["step"]["org"], HA_LONG_UBND);
    // Now in the specialist's inbox, not the desk's.
    let (_, inbox) = json(app.get_as("/api/v1/dossiers", &desk).await).await;
    assert_eq!(inbox["total"], 0);
    let specialist = app.token("halong.chuyenvien").await;
    let (_, inbox) = json(app.get_as("/api/v1/dossiers?step=appraise", &specialist).await).await;
    assert_eq!(inbox["total"], 1);

    ok_action(&app, &code, &specialist, json!({"action": "forward"})).await;
    let leader = app.token("halong.lanhdao").await;
    ok_action(&app, &code, &leader, json!({"action": "approve"})).await;
    let clerk = app.token("halong.vanthu").await;
    let v = ok_action(&app, &code, &clerk, json!({"action": "sign"})).await;
    assert_eq!((v["status_code"].as_u64(), v["step"]["key"].as_str()), (Some(9), Some("return")));
    let v = ok_action(&app, &code, &desk, json!({"action": "return_result"})).await;
    assert_eq!((v["status_code"].as_u64(), v["step"].is_null()), (Some(10), true));
    assert_eq!(v["timeliness"], "early");
    assert!(v["time_used_minutes"].as_i64().unwrap() >= 0);
    assert_error(action(&app, &code, &desk, json!({"action": "return_result"})).await, 409, "dossier_closed").await;

    // The audit trail: six events, chained.
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &citizen).await).await;
    let events = events.as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["submit", "receive", "forward", "approve", "sign", "return_result"]);
    // The applicant sees the officer's name and role, not the sign-in name; staff see it.
    assert_eq!(
        (events[1]["actor"].as_str(), events[1]["actor_name"].as_str()),
        (Some("staff"), Some("Đỗ Thị Mai (Cán bộ một cửa)"))
    );
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &desk).await).await;
    assert_eq!(events[1]["actor"], "staff:halong.motcua");
    // Public tracking tells the status and the timeline, not who applied.
    let r = app.get(&format!("/api/v1/track/{code}")).await;
    let (s, t) = json(r).await;
    assert_eq!((s, t["status_code"].as_u64(), t["timeline"].as_array().unwrap().len()), (200, Some(10), 6));
    let text = t.to_string();
    assert!(!text.contains("Nguyễn Văn An") && !text.contains("022090001234") && !text.contains("halong"), "{text}");
    assert_eq!(t["procedure_name"], "Cấp Giấy xác nhận tình trạng hôn nhân");
}

async fn wrong_actions_change_nothing(app: TestApp) {
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let desk = app.token("halong.motcua").await;
    let leader = app.token("halong.lanhdao").await;
    // Not this step's action; not this step's role; not the applicant's to move.
    let m = assert_error(action(&app, &code, &desk, json!({"action": "sign"})).await, 409, "action_not_allowed").await;
    assert!(m.contains("Tiếp nhận"), "{m}");
    assert_error(action(&app, &code, &leader, json!({"action": "receive"})).await, 403, "forbidden").await;
    assert_error(action(&app, &code, &citizen, json!({"action": "receive"})).await, 403, "forbidden").await;
    // Missing reason, unknown action, missing action.
    assert_error(action(&app, &code, &desk, json!({"action": "refuse"})).await, 400, "invalid_action").await;
    assert_error(action(&app, &code, &desk, json!({"action": "fly"})).await, 400, "invalid_body").await;
    assert_error(action(&app, &code, &desk, json!({})).await, 400, "invalid_action").await;
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &desk).await).await;
    assert_eq!(events.as_array().unwrap().len(), 1, "only the submission");
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &desk).await).await;
    assert_eq!(d["status_code"], 1);
    // Refusal at reception ends it.
    let v = ok_action(&app, &code, &desk, json!({"action": "refuse", "reason": "Không thuộc thẩm quyền"})).await;
    assert_eq!(v["status_code"], 3);
    assert_error(
        action(&app, &code, &citizen, json!({"action": "withdraw", "reason": "x"})).await,
        409,
        "dossier_closed",
    )
    .await;
}

async fn only_applicant_and_involved_staff_see_a_dossier(app: TestApp) {
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/dossiers/{code}");
    assert_eq!(app.get_as(&path, &citizen).await.status(), 200);
    assert_eq!(app.get_as(&path, &app.token("halong.vanthu").await).await.status(), 200);
    // Other organisations are told it does not exist, as for a code that was never issued.
    for other in ["tienyen.motcua", "stp.quantri"] {
        let token = app.token(other).await;
        assert_error(app.get_as(&path, &token).await, 404, "not_found").await;
        assert_error(action(&app, &code, &token, json!({"action": "receive"})).await, 404, "not_found").await;
        let (_, list) = json(app.get_as("/api/v1/dossiers?scope=all", &token).await).await;
        assert_eq!(list["total"], 0);
    }
    let never = format!("{HA_LONG_DESK}-250101-9999");
    assert_error(app.get_as(&format!("/api/v1/dossiers/{never}"), &citizen).await, 404, "not_found").await;
    assert_error(app.get(&path).await, 401, "unauthenticated").await;
    assert_error(app.get_as("/api/v1/dossiers/abc", &citizen).await, 400, "invalid_dossier_code").await;
    // The citizen's list holds their own dossier.
    let (_, mine) = json(app.get_as("/api/v1/dossiers", &citizen).await).await;
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["code"].as_str()), (Some(1), Some(code.as_str())));
}

/// Every page of a list, `limit` at a time, following `next`: the codes, and the totals the
/// pages said.
async fn pages(app: &TestApp, path: &str, token: &str, limit: u32) -> (Vec<String>, Vec<Value>) {
    let (mut codes, mut totals, mut after) = (Vec::new(), Vec::new(), String::new());
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, v) = json(app.get_as(&format!("{path}{sep}limit={limit}&after={after}"), token).await).await;
        assert_eq!(s, 200, "{v}");
        let items = v["items"].as_array().unwrap();
        codes.extend(items.iter().map(|d| d["code"].as_str().unwrap().to_owned()));
        totals.push(json!([v["total"], v["total_exact"]]));
        match v["next"].as_str() {
            Some(next) => {
                assert_eq!(items.len() as u32, limit, "a page with a next one is full");
                after = next.to_owned();
            }
            None => return (codes, totals),
        }
    }
}

async fn lists_go_on_from_the_last_row_shown(app: TestApp) {
    let citizen = app.token("congdan").await;
    let mut submitted = Vec::new();
    for _ in 0..5 {
        submitted.push(app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned());
    }
    // The citizen's own, latest first, two at a time: each once, the count on every page.
    let (mine, totals) = pages(&app, "/api/v1/dossiers", &citizen, 2).await;
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    assert_eq!(mine, newest_first);
    assert_eq!(totals, vec![json!([5, true]); 3]);
    // The desk's "all dossiers of my units" the same way; its inbox by deadline.
    let desk = app.token("halong.motcua").await;
    let (all, totals) = pages(&app, "/api/v1/dossiers?scope=all", &desk, 3).await;
    assert_eq!(all, newest_first);
    assert_eq!(totals, vec![json!([5, true]); 2]);
    let (inbox, _) = pages(&app, "/api/v1/dossiers?scope=inbox", &desk, 1).await;
    let mut sorted = inbox.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((inbox.len(), sorted.len()), (5, 5), "{inbox:?}");
    // A page size outside 1–500 is taken as the nearest bound, as on every list, and the
    // answer says which was used.
    for (asked, used, items) in [("0", 1, 1), ("-3", 1, 1), ("100000", 500, 5)] {
        let path = format!("/api/v1/dossiers?scope=all&limit={asked}");
        let (s, v) = json(app.get_as(&path, &desk).await).await;
        assert_eq!((s, v["limit"].as_i64(), v["items"].as_array().map(Vec::len)), (200, Some(used), Some(items)));
    }
    // A cursor is the `next` of the same list: anything else is refused with a reason.
    let (_, first) = json(app.get_as("/api/v1/dossiers?scope=inbox&limit=1", &desk).await).await;
    let due_cursor = first["next"].as_str().unwrap().to_owned();
    for bad in ["abc", "r12~x", &due_cursor, "r1~000.00.37.H22-250101-0001~"] {
        let path = format!("/api/v1/dossiers?scope=all&after={}", bad.replace('~', "%7E"));
        assert_error(app.get_as(&path, &desk).await, 400, "invalid_query").await;
    }
    let (s, v) = json(app.get_as(&format!("/api/v1/dossiers?after={due_cursor}"), &desk).await).await;
    assert_eq!((s, v["items"].as_array().map(Vec::len)), (200, Some(4)), "the inbox goes on: {v}");
    // A search among all of the unit's dossiers finds the applicant by name or CCCD, newest
    // first, a page at a time.
    for q in ["nguyen%20van%20an", "V%C4%83n%20An", "022090001234"] {
        let (found, totals) = pages(&app, &format!("/api/v1/dossiers?scope=all&q={q}"), &desk, 2).await;
        assert_eq!(found, newest_first, "{q}");
        assert_eq!(totals[0], json!([5, true]), "{q}");
    }
}

async fn desk_officer_enters_a_dossier_for_an_applicant(app: TestApp) {
    let desk = app.token("halong.motcua").await;
    let body = json!({
        "procedure": "2.001035", "org": HA_LONG_UBND,
        "applicant": {"full_name": "Trần Thị Bình", "cccd": "022185004321", "phone": "0987654321", "address": "Tổ 5, khu 3, phường Hạ Long"}
    });
    let (s, v) = json(app.post_json("/api/v1/dossiers", &desk, body.clone()).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["status_code"].as_u64(), v["channel"].as_str(), v["step"]["key"].as_str()),
        (Some(2), Some("in_person"), Some("appraise"))
    );
    assert!(v["received_at"].is_string() && v["due_at"].is_string());
    let (_, events) =
        json(app.get_as(&format!("/api/v1/dossiers/{}/events", v["code"].as_str().unwrap()), &desk).await).await;
    assert_eq!(events[0]["action"], "receive");

    let mut no_applicant = body.clone();
    no_applicant.as_object_mut().unwrap().remove("applicant");
    assert_error(app.post_json("/api/v1/dossiers", &desk, no_applicant).await, 400, "applicant_required").await;
    let mut bad_cccd = body.clone();
    bad_cccd["applicant"]["cccd"] = json!("12345");
    assert_error(app.post_json("/api/v1/dossiers", &desk, bad_cccd).await, 400, "invalid_body").await;
    // A desk officer of another commune cannot receive for Hạ Long.
    let other = app.token("tienyen.motcua").await;
    assert_error(app.post_json("/api/v1/dossiers", &other, body).await, 403, "forbidden").await;
}

async fn idempotency_key_returns_the_same_dossier(app: TestApp) {
    let citizen = app.token("congdan").await;
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let citizen = citizen.clone();
        async move {
            app.client
                .post(app.url("/api/v1/dossiers"))
                .bearer_auth(citizen)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let body = json!({"procedure": "1.004873", "org": HA_LONG_UBND});
    let (s1, v1) = json(send("retry-1", body.clone()).await).await;
    let (s2, v2) = json(send("retry-1", body.clone()).await).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(v1["code"], v2["code"]);
    let (_, mine) = json(app.get_as("/api/v1/dossiers", &citizen).await).await;
    assert_eq!(mine["total"], 1, "no second dossier");
    let other = json!({"procedure": "1.004194", "org": "002.00.37.H22"});
    assert_error(send("retry-1", other).await, 422, "idempotency_key_reused").await;
}

async fn supplement_and_apology(app: TestApp) {
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    let desk = app.token("halong.motcua").await;
    ok_action(&app, &code, &desk, json!({"action": "receive"})).await;
    let specialist = app.token("halong.chuyenvien").await;
    assert_error(
        action(&app, &code, &specialist, json!({"action": "request_supplement", "reason": "Thiếu giấy tờ"})).await,
        400,
        "invalid_action",
    )
    .await;
    let v = ok_action(
        &app,
        &code,
        &specialist,
        json!({"action": "request_supplement", "reason": "Thiếu giấy tờ", "items": ["Bản sao quyết định ly hôn"]}),
    )
    .await;
    assert_eq!((v["status_code"].as_u64(), v["supplement_requests"].as_u64()), (Some(5), Some(1)));
    assert_error(action(&app, &code, &specialist, json!({"action": "forward"})).await, 409, "action_not_allowed").await;
    let v = ok_action(&app, &code, &citizen, json!({"action": "supplement", "note": "Đã tải lên bản sao"})).await;
    assert_eq!(v["status_code"], 2);
    let leader = app.token("halong.lanhdao").await;
    let due: jiff::Timestamp = v["due_at"].as_str().unwrap().parse().unwrap();
    let new_due = (due + jiff::SignedDuration::from_hours(72)).to_string();
    let v = ok_action(
        &app,
        &code,
        &leader,
        json!({"action": "apologise", "reason": "Cần xác minh thêm", "new_due_at": new_due}),
    )
    .await;
    assert_eq!(v["apologised"], true);
    assert!(v["original_due_at"].is_string());
    let again = assert_error(
        action(&app, &code, &leader, json!({"action": "apologise", "reason": "x", "new_due_at": new_due})).await,
        400,
        "invalid_action",
    )
    .await;
    assert!(again.contains("một lần"), "{again}");
}

async fn submissions_are_validated(app: TestApp) {
    let citizen = app.token("congdan").await;
    assert_error(
        app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "9.999999"})).await,
        422,
        "unknown_procedure",
    )
    .await;
    assert_error(
        app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "1.004873"})).await,
        400,
        "org_required",
    )
    .await;
    assert_error(
        app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "1.004873", "org": "000.00.01.H22"})).await,
        422,
        "org_not_for_procedure",
    )
    .await;
    // Authentication of a signature happens in person only.
    assert_error(
        app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "2.001035", "org": HA_LONG_UBND})).await,
        422,
        "not_online",
    )
    .await;
    assert_error(app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "bad"})).await, 400, "invalid_body")
        .await;
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&citizen).body("{}").send().await.unwrap();
    assert_error(r, 415, "unsupported_media_type").await;
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&citizen)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "malformed_json").await;
    assert_error(
        app.client.post(app.url("/api/v1/dossiers")).json(&json!({})).send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    // The inter-agency procedure: received at the commune desk, processed by the province.
    let (s, v) =
        json(app.post_json("/api/v1/dossiers", &citizen, json!({"procedure": "1.012788", "desk": HA_LONG_DESK})).await)
            .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["desk_org"].as_str(), v["processing_org"].as_str()), (Some(HA_LONG_DESK), Some("000.00.04.H22")));
}

async fn thousand_simultaneous_submissions_get_gap_free_codes(app: TestApp) {
    let citizen = app.token("congdan").await;
    let n = 1000;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/dossiers"), citizen.clone());
        tasks.spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"procedure": "1.004873", "org": HA_LONG_UBND}))
                .send()
                .await
                .unwrap();
            let (s, v) = json(r).await;
            assert_eq!(s, 201, "{v}");
            v["code"].as_str().unwrap().to_owned()
        });
    }
    let codes: Vec<String> = tasks.join_all().await;
    let day = &codes[0][..codes[0].len() - 5];
    let mut seqs: Vec<u32> = codes
        .iter()
        .map(|c| {
            assert!(c.starts_with(day), "one unit, one day: {c}");
            c.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=n).collect::<Vec<u32>>());
}

fn form(dossier: Value, files: Vec<(&str, &str, Vec<u8>)>) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new().text("dossier", dossier.to_string());
    for (part, name, bytes) in files {
        f = f.part(part.to_owned(), reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    }
    f
}

async fn attachments_are_checked_stored_and_served(app: TestApp) {
    let citizen = app.token("congdan").await;
    let body = json!({"procedure": "1.004873", "org": HA_LONG_UBND});
    let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF".to_vec();
    let png = b"\x89PNG\r\n\x1a\n0000IHDR".to_vec();
    let send = |form: reqwest::multipart::Form, key: Option<&'static str>| {
        let mut r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&citizen).multipart(form);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        r.send()
    };
    let files = || vec![("component-0", "../../tờ khai.pdf", pdf.clone()), ("file", "anh.png", png.clone())];
    let (s, v) = json(send(form(body.clone(), files()), Some("upload-1")).await.unwrap()).await;
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_owned();
    // A retry (new multipart boundary, same content) is the same dossier.
    let (s, again) = json(send(form(body.clone(), files()), Some("upload-1")).await.unwrap()).await;
    assert_eq!((s, again["code"].as_str()), (200, Some(code.as_str())));

    let (_, list) = json(app.get_as(&format!("/api/v1/dossiers/{code}/attachments"), &citizen).await).await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["filename"].as_str(), list[0]["content_type"].as_str(), list[0]["component"].as_i64()),
        (Some("tờ khai.pdf"), Some("application/pdf"), Some(0))
    );
    assert_eq!(list[1]["content_type"], "image/png");
    let sha = list[0]["sha256"].as_str().unwrap();
    // A small file is kept in the database with its dossier, named by its content; no file
    // of its own on disk.
    assert_eq!(app.db.store.kept_file(sha).await.unwrap().as_deref(), Some(pdf.as_slice()), "kept in the database");
    assert!(!app.data_dir.path().join("blobs").join(&sha[..2]).join(&sha[2..]).exists(), "no file on disk");
    let r = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/1"), &citizen).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename*=UTF-8''t%E1%BB%9D")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf.as_slice());
    // The submission event commits to the files' hashes.
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &citizen).await).await;
    assert_eq!(events[0]["details"]["attachments"][0]["sha256"], sha);
    // Staff of another commune cannot fetch them.
    let other = app.token("tienyen.motcua").await;
    assert_error(app.get_as(&format!("/api/v1/dossiers/{code}/attachments/1"), &other).await, 404, "not_found").await;
    assert_error(app.get_as(&format!("/api/v1/dossiers/{code}/attachments/9"), &citizen).await, 404, "not_found").await;

    // Refusals, each leaving no dossier behind.
    let exe = vec![("file", "giay-to.pdf", b"MZ\x90\x00 not a pdf".to_vec())];
    assert_error(send(form(body.clone(), exe), None).await.unwrap(), 415, "unsupported_file_type").await;
    // Archives are refused by their first bytes, whatever they are called: nothing is ever
    // unpacked, so a zip or gzip bomb has nothing to expand.
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend(std::iter::repeat_n(0u8, 4096));
    let gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec();
    for (name, bytes) in [("ho-so.pdf", zip.clone()), ("ho-so.zip", zip), ("anh.png", gzip)] {
        let r = send(form(body.clone(), vec![("file", name, bytes)]), None).await.unwrap();
        assert_error(r, 415, "unsupported_file_type").await;
    }
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_error(send(form(body.clone(), vec![("file", "to.pdf", big)]), None).await.unwrap(), 413, "file_too_large")
        .await;
    assert_error(send(form(body.clone(), vec![("file", "rong.pdf", vec![])]), None).await.unwrap(), 400, "empty_file")
        .await;
    assert_error(
        send(form(body.clone(), vec![("component-7", "a.pdf", pdf.clone())]), None).await.unwrap(),
        400,
        "invalid_component",
    )
    .await;
    assert_error(
        send(form(body.clone(), vec![("evil", "a.pdf", pdf.clone())]), None).await.unwrap(),
        400,
        "invalid_multipart",
    )
    .await;
    let no_json =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(pdf.clone()).file_name("a.pdf"));
    assert_error(send(no_json, None).await.unwrap(), 400, "invalid_multipart").await;
    let (_, mine) = json(app.get_as("/api/v1/dossiers", &citizen).await).await;
    assert_eq!(mine["total"], 1);
}

async fn form_page(app: &TestApp, code: &str, n: &str, token: &str) -> (u16, String) {
    let r = app.get_as(&format!("/dossiers/{code}/forms/{n}"), token).await;
    let status = r.status().as_u16();
    if status == 200 {
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    }
    (status, r.text().await.unwrap())
}

async fn printable_forms(app: TestApp) {
    let desk = app.token("halong.motcua").await;
    let body = json!({
        "procedure": "1.004873", "org": HA_LONG_UBND,
        "applicant": {"full_name": "Lê <b>Văn</b> Tâm", "cccd": "022090005678", "address": "Tổ 1, khu 2"}
    });
    let (s, v) = json(app.post_json("/api/v1/dossiers", &desk, body).await).await;
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_owned();

    let (s, html) = form_page(&app, &code, "01", &desk).await;
    assert_eq!(s, 200, "{html}");
    for expected in [
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        code.as_str(),
        "022090005678",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "3 ngày làm việc",
        "Trung tâm Phục vụ hành chính công phường Hạ Long",
        "Đỗ Thị Mai",
        "<svg",
    ] {
        assert!(html.contains(expected), "form 01 lacks {expected}");
    }
    assert!(
        html.contains("Lê &#60;b&#62;Văn&#60;/b&#62; Tâm") || html.contains("Lê &lt;b&gt;Văn&lt;/b&gt; Tâm"),
        "applicant data is escaped"
    );
    assert!(!html.contains("<b>Văn</b>"));

    assert_error(app.get_as(&format!("/dossiers/{code}/forms/02"), &desk).await, 409, "form_not_available").await;
    let specialist = app.token("halong.chuyenvien").await;
    ok_action(&app, &code, &specialist, json!({"action": "request_supplement", "reason": "Thiếu giấy tờ", "items": ["Bản sao trích lục ly hôn", "Ảnh 4x6"]})).await;
    let (s, html) = form_page(&app, &code, "02", &specialist).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<li>Bản sao trích lục ly hôn</li>")
            && html.contains("<li>Ảnh 4x6</li>")
            && html.contains("Hoàng Văn Nam"),
        "{html}"
    );

    let (s, html) = form_page(&app, &code, "05", &desk).await;
    assert_eq!(s, 200);
    assert!(html.contains("Yêu cầu bổ sung hồ sơ") && html.contains("Tiếp nhận hồ sơ"), "control sheet rows");

    assert_error(app.get_as(&format!("/dossiers/{code}/forms/03"), &desk).await, 409, "form_not_available").await;
    assert_error(app.get_as(&format!("/dossiers/{code}/forms/04"), &desk).await, 409, "form_not_available").await;
    assert_error(app.get_as(&format!("/dossiers/{code}/forms/06"), &desk).await, 404, "not_found").await;
    let other = app.token("tienyen.motcua").await;
    assert_error(app.get_as(&format!("/dossiers/{code}/forms/01"), &other).await, 404, "not_found").await;
    assert_error(app.get(&format!("/dossiers/{code}/forms/01")).await, 401, "unauthenticated").await;
}

async fn assign_send_back_payment_transfer_stop_withdraw(app: TestApp) {
    let citizen = app.token("congdan").await;
    let desk = app.token("halong.motcua").await;
    let specialist = app.token("halong.chuyenvien").await;
    let leader = app.token("halong.lanhdao").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    ok_action(&app, &code, &desk, json!({"action": "receive"})).await;

    // Assign: only to someone holding the step's role there.
    let (_, me) = json(app.get_as("/api/v1/me", &specialist).await).await;
    let (_, leader_me) = json(app.get_as("/api/v1/me", &leader).await).await;
    assert_error(
        action(&app, &code, &specialist, json!({"action": "assign", "assignee": leader_me["id"]})).await,
        400,
        "invalid_assignee",
    )
    .await;
    let v = ok_action(&app, &code, &specialist, json!({"action": "assign", "assignee": me["id"]})).await;
    assert_eq!((v["assignee"].as_i64(), v["status_code"].as_u64()), (me["id"].as_i64(), Some(4)));

    // Payment: the dossier waits at status 6 until the desk confirms.
    let v =
        ok_action(&app, &code, &specialist, json!({"action": "request_payment", "reason": "Lệ phí 15.000 ₫"})).await;
    assert_eq!(v["status_code"], 6);
    assert_error(action(&app, &code, &specialist, json!({"action": "forward"})).await, 409, "action_not_allowed").await;
    let v = ok_action(&app, &code, &specialist, json!({"action": "confirm_payment"})).await;
    assert_eq!(v["status_code"], 4);

    // Forward, then the leader sends it back with a reason.
    ok_action(&app, &code, &specialist, json!({"action": "forward"})).await;
    assert_error(action(&app, &code, &leader, json!({"action": "send_back"})).await, 400, "invalid_action").await;
    let v = ok_action(&app, &code, &leader, json!({"action": "send_back", "reason": "Cần xác minh thêm"})).await;
    assert_eq!(v["step"]["key"], "appraise");

    // Transfer to another organisation: it must exist and handle the procedure (it would see
    // the applicant's identity and files); then the new one holds it.
    assert_error(
        action(&app, &code, &specialist, json!({"action": "transfer", "to_org": "000.99.99.H22", "reason": "x"})).await,
        422,
        "unknown_org",
    )
    .await;
    let department = app.org_of("stp.quantri").await;
    assert_error(
        action(&app, &code, &specialist, json!({"action": "transfer", "to_org": department, "reason": "x"})).await,
        422,
        "org_not_for_procedure",
    )
    .await;
    let stp = app.token("stp.chuyenvien").await;
    assert_error(app.get_as(&format!("/api/v1/dossiers/{code}"), &stp).await, 404, "not_found").await;
    let v = ok_action(
        &app,
        &code,
        &specialist,
        json!({"action": "transfer", "to_org": "000.00.56.H22", "reason": "Không thuộc địa bàn"}),
    )
    .await;
    assert_eq!(
        (v["processing_org"].as_str(), v["step"]["org"].as_str()),
        (Some("000.00.56.H22"), Some("000.00.56.H22"))
    );
    // Hạ Long's committee no longer holds it (its desk still does); Tiên Yên's does.
    assert_error(action(&app, &code, &specialist, json!({"action": "forward"})).await, 404, "not_found").await;
    assert_error(action(&app, &code, &desk, json!({"action": "forward"})).await, 403, "forbidden").await;
    let tien_yen = app.token("tienyen.chuyenvien").await;
    let (_, inbox) = json(app.get_as("/api/v1/dossiers", &tien_yen).await).await;
    assert_eq!(inbox["items"][0]["code"], code);

    // The processing leader stops it; nothing more can happen.
    let tien_yen_leader = app.token("tienyen.lanhdao").await;
    let v =
        ok_action(&app, &code, &tien_yen_leader, json!({"action": "stop", "reason": "Người nộp đề nghị dừng"})).await;
    assert_eq!(v["status_code"], 8);

    // Another dossier: the applicant withdraws it, with a reason.
    let code2 = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    assert_error(action(&app, &code2, &citizen, json!({"action": "withdraw"})).await, 400, "invalid_action").await;
    let v = ok_action(&app, &code2, &citizen, json!({"action": "withdraw", "reason": "Nộp nhầm thủ tục"})).await;
    assert_eq!(v["status_code"], 7);
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &citizen).await).await;
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "submit",
            "receive",
            "assign",
            "request_payment",
            "confirm_payment",
            "forward",
            "send_back",
            "transfer",
            "stop"
        ]
    );
}

/// Takes an action carrying files (multipart: an `action` JSON part and `file` parts).
async fn act_with_files(
    app: &TestApp,
    code: &str,
    token: &str,
    body: Value,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut f = reqwest::multipart::Form::new().text("action", body.to_string());
    for (name, bytes) in files {
        f = f.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    }
    app.client
        .post(app.url(&format!("/api/v1/dossiers/{code}/actions")))
        .bearer_auth(token)
        .multipart(f)
        .send()
        .await
        .unwrap()
}

async fn kinds(app: &TestApp, code: &str, token: &str) -> Vec<(u64, String)> {
    let (s, list) = json(app.get_as(&format!("/api/v1/dossiers/{code}/attachments"), token).await).await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| (a["index"].as_u64().unwrap(), a["kind"].as_str().unwrap().to_owned()))
        .collect()
}

async fn supplement_and_result_files_follow_the_dossier(app: TestApp) {
    let citizen = app.token("congdan").await;
    let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF".to_vec();
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&citizen)
        .multipart(form(
            json!({"procedure": "1.004873", "org": HA_LONG_UBND}),
            vec![("component-0", "to-khai.pdf", pdf.clone())],
        ))
        .send()
        .await
        .unwrap();
    let (s, d) = json(r).await;
    assert_eq!(s, 201, "{d}");
    let code = d["code"].as_str().unwrap().to_owned();
    let desk = app.token("halong.motcua").await;

    // Files only come with the actions that bring them: nothing changes otherwise.
    let r = act_with_files(&app, &code, &desk, json!({"action": "receive"}), vec![("x.pdf", pdf.clone())]).await;
    assert_error(r, 400, "files_not_allowed").await;
    let (_, still) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &desk).await).await;
    assert_eq!(still["status_code"], 1);
    assert_eq!(kinds(&app, &code, &desk).await, vec![(1, "applicant".to_owned())]);

    ok_action(
        &app,
        &code,
        &desk,
        json!({"action": "request_supplement", "items": ["Bản sao CCCD"], "reason": "Thiếu giấy tờ"}),
    )
    .await;
    let png = b"\x89PNG\r\n\x1a\n0000IHDR".to_vec();
    let r =
        act_with_files(&app, &code, &citizen, json!({"action": "supplement"}), vec![("cccd.png", png.clone())]).await;
    let (s, v) = json(r).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(kinds(&app, &code, &citizen).await, vec![(1, "applicant".into()), (2, "supplement".into())]);
    let (_, events) = json(app.get_as(&format!("/api/v1/dossiers/{code}/events"), &desk).await).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["details"]["attachments"][0]["kind"].as_str()),
        (Some("supplement"), Some("supplement"))
    );
    // A file that is not PDF, PNG or JPEG is refused with the action.
    let r =
        act_with_files(&app, &code, &citizen, json!({"action": "supplement"}), vec![("a.exe", b"MZ\x90\x00".to_vec())])
            .await;
    assert_error(r, 415, "unsupported_file_type").await;
    // Supplemented before being received: back at the desk, which receives it.
    ok_action(&app, &code, &desk, json!({"action": "receive"})).await;
    app.act_as("halong.chuyenvien", &code, "forward").await;
    app.act_as("halong.lanhdao", &code, "approve").await;
    let clerk = app.token("halong.vanthu").await;
    let result = b"%PDF-1.7\nGiay xac nhan tinh trang hon nhan\n%%EOF".to_vec();
    let r = act_with_files(&app, &code, &clerk, json!({"action": "sign"}), vec![("ket-qua.pdf", result.clone())]).await;
    assert_eq!(r.status(), 200);
    // The applicant does not see the result until it is returned to them; staff do.
    assert_eq!(kinds(&app, &code, &citizen).await.len(), 2);
    assert_eq!(kinds(&app, &code, &desk).await.last().unwrap(), &(3, "result".to_owned()));
    let hidden = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/3"), &citizen).await;
    assert_eq!(hidden.status(), 404);
    app.act_as("halong.motcua", &code, "return_result").await;
    let got = app.get_as(&format!("/api/v1/dossiers/{code}/attachments/3"), &citizen).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), result);
}

async fn applicant_rates_once_after_return(app: TestApp) {
    let citizen = app.token("congdan").await;
    let d = app.submit_online(&citizen).await;
    let code = d["code"].as_str().unwrap().to_owned();
    let rate = |token: String, body: Value| {
        let (app, code) = (&app, code.clone());
        async move { app.post_json(&format!("/api/v1/dossiers/{code}/rating"), &token, body).await }
    };
    assert_error(rate(citizen.clone(), json!({"stars": 5})).await, 409, "not_returned").await;
    app.walk_to_returned(&code).await;
    assert_error(rate(citizen.clone(), json!({"stars": 6})).await, 400, "invalid_rating").await;
    assert_error(rate(citizen.clone(), json!({"stars": 0})).await, 400, "invalid_rating").await;
    let desk = app.token("halong.motcua").await;
    assert_error(rate(desk.clone(), json!({"stars": 5})).await, 403, "not_applicant").await;
    let other = common::register(&app, "tranthibinh", "001190004567").await;
    assert_error(rate(other, json!({"stars": 1})).await, 404, "not_found").await;
    let (s, v) =
        json(rate(citizen.clone(), json!({"stars": 4, "comment": "  Cán bộ hướng dẫn tận tình  "})).await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["stars"].as_u64(), v["label"].as_str()), (Some(4), Some("Hài lòng")));
    assert_eq!(v["comment"], "Cán bộ hướng dẫn tận tình");
    assert_error(rate(citizen.clone(), json!({"stars": 1})).await, 409, "already_rated").await;
    let (_, seen) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &desk).await).await;
    assert_eq!(seen["rating"]["stars"], 4, "staff see the rating");
}

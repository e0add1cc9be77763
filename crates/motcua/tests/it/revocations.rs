//! Revoking a signed result (issue 24, on SQLite and PostgreSQL): only a leader of the
//! organisation that issued it may, with a reason and optionally the corrected result that
//! replaces it; once; the public verification (API and page) says "revoked", when and why,
//! and links the replacement.

use crate::common;

use common::{TestApp, assert_error, browser, csrf_of, json, sign_in};
use serde_json::{Value, json};

on_both_backends!(
    a_result_is_revoked_by_its_issuer_once_and_verification_says_so,
    a_leader_revokes_from_the_dossier_page,
);

async fn returned_with_two_results(app: &TestApp) -> (String, Vec<String>) {
    // The commune's certificate signs its results.
    app.enable_exchange(&[&app.org_of("halong.chuyenvien").await]).await;
    let citizen = app.token("congdan").await;
    let code = app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    common::sign_result(&app.client, &app.base, &code, b"%PDF-1.4\nKet qua sai ngay sinh\n%%EOF\n").await;
    // The corrected result, signed as a second file of the same dossier.
    let clerk = app.token("halong.vanthu").await;
    let form = reqwest::multipart::Form::new().text("action", json!({"action": "return_result"}).to_string()).part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\nKet qua dinh chinh\n%%EOF\n".to_vec()).file_name("dinh-chinh.pdf"),
    );
    let desk = app.token("halong.motcua").await;
    let r = app.client.post(app.url(&format!("/api/v1/dossiers/{code}/actions"))).bearer_auth(&desk).multipart(form);
    assert_eq!(r.send().await.unwrap().status(), 200);
    let (s, list) = json(app.get_as(&format!("/api/v1/dossiers/{code}/results"), &clerk).await).await;
    assert_eq!(s, 200, "{list}");
    let numbers = list.as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_owned()).collect();
    (code, numbers)
}

async fn revoke(app: &TestApp, user: &str, body: Value) -> reqwest::Response {
    let token = app.token(user).await;
    app.post_json("/api/v1/revocations", &token, body).await
}

async fn a_result_is_revoked_by_its_issuer_once_and_verification_says_so(app: TestApp) {
    let (_, numbers) = returned_with_two_results(&app).await;
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    let (wrong, right) = (&numbers[0], &numbers[1]);
    let (_, v) = json(app.get(&format!("/api/v1/verify/{wrong}")).await).await;
    assert_eq!((v["valid"].as_bool(), v["revoked"].is_null()), (Some(true), true), "{v}");

    let body = json!({"number": wrong, "reason": "Sai ngày sinh của người được cấp", "replaced_by": right});
    // Not the issuer's leader: the clerk who signed it, another organisation's leader, the
    // province's administrator, the applicant.
    for user in ["halong.vanthu", "stp.lanhdao", "tinh.quantri", "congdan"] {
        assert_error(revoke(&app, user, body.clone()).await, 403, "forbidden").await;
    }
    // What the request says is checked.
    let no_reason = json!({"number": wrong, "reason": "  "});
    assert_error(revoke(&app, "halong.lanhdao", no_reason).await, 400, "invalid_text").await;
    let bad_replacement = json!({"number": wrong, "reason": "x", "replaced_by": "khong-co"});
    assert_error(revoke(&app, "halong.lanhdao", bad_replacement).await, 422, "invalid_value").await;
    assert_error(revoke(&app, "halong.lanhdao", json!({"number": "khong-co", "reason": "x"})).await, 404, "not_found")
        .await;

    let r = revoke(&app, "halong.lanhdao", body.clone()).await;
    let (s, view) = json(r).await;
    assert_eq!((s, view["kind"].as_str(), view["replaced_by"].as_str()), (201, Some("result"), Some(right.as_str())));
    // Once: the first revocation stands.
    assert_error(revoke(&app, "halong.lanhdao", body).await, 409, "already_revoked").await;

    // Anyone verifying it is told it was revoked, when and why; the replacement is valid.
    let (_, v) = json(app.get(&format!("/api/v1/verify/{wrong}")).await).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["revoked"]["reason"], "Sai ngày sinh của người được cấp");
    assert!(v["reason"].as_str().unwrap().starts_with("Đã bị thu hồi"), "{v}");
    let (_, v) = json(app.get(&format!("/api/v1/verify/{right}")).await).await;
    assert_eq!((v["valid"].as_bool(), v["revoked"].is_null()), (Some(true), true), "{v}");
    let html = app.get(&format!("/xac-minh/{wrong}")).await.text().await.unwrap();
    assert!(html.contains("đã bị cơ quan cấp THU HỒI") && html.contains(&format!("/xac-minh/{right}")), "{html}");
}

/// The dossier's page offers the leader a form per result (and nobody else); posting it
/// revokes the result and the page then marks it.
async fn a_leader_revokes_from_the_dossier_page(app: TestApp) {
    let (code, numbers) = returned_with_two_results(&app).await;
    let clerk = browser();
    sign_in(&app, &clerk, "halong.vanthu").await;
    let html = clerk.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("/thu-hoi"), "only a leader is offered the form");

    let leader = browser();
    sign_in(&app, &leader, "halong.lanhdao").await;
    let page = leader.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    let action = format!("/ho-so/{code}/ket-qua/{}/thu-hoi", numbers[0]);
    assert!(page.contains(&action), "{page}");
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("reason", "Ghi sai số định danh".to_owned()),
            ("replaced_by", numbers[1].clone()),
        ]
    };
    let r = leader.post(app.url(&action)).form(&form("sai")).send().await.unwrap();
    assert_eq!(r.status(), 403, "a form without its token revokes nothing");
    // A number that is not one of this dossier's results.
    let other = format!("/ho-so/{code}/ket-qua/khong-co/thu-hoi");
    let r = leader.post(app.url(&other)).form(&form(&csrf_of(&page))).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = leader.post(app.url(&action)).form(&form(&csrf_of(&page))).send().await.unwrap();
    assert_eq!(r.status(), 303, "back to the dossier");
    let page = leader.get(app.url(&format!("/ho-so/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Đã thu hồi") && page.contains("Ghi sai số định danh"), "{page}");
    assert!(!page.contains(&action), "revoked once: no form any more");
    let (_, v) = json(app.get(&format!("/api/v1/verify/{}", numbers[0])).await).await;
    assert_eq!((v["valid"].as_bool(), v["revoked"]["replaced_by"].as_str()), (Some(false), Some(numbers[1].as_str())));
}

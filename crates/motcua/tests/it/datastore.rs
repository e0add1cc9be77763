//! The citizen's data store: accepted papers and returned results become reusable in a later
//! submission, which is flagged as reusing digitised data; nobody reuses what is not theirs.

use crate::common;

use common::{TestApp, assert_error, json, register};
use serde_json::{Value, json};

on_both_backends!(papers_and_results_are_reused_by_their_owner_only);

const ID_CARD: &[u8] = b"%PDF-1.4\nBan sao can cuoc cong dan\n%%EOF\n";
const RESULT: &[u8] = b"%PDF-1.4\nGiay xac nhan tinh trang hon nhan\n%%EOF\n";

async fn store_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = json(app.get_as("/api/v1/me/documents", token).await).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn submit(app: &TestApp, token: &str, body: Value, file: Option<&[u8]>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("dossier", body.to_string());
    if let Some(f) = file {
        form = form.part("component-0", reqwest::multipart::Part::bytes(f.to_vec()).file_name("cccd.pdf"));
    }
    app.client.post(app.url("/api/v1/dossiers")).bearer_auth(token).multipart(form).send().await.unwrap()
}

async fn papers_and_results_are_reused_by_their_owner_only(app: TestApp) {
    let citizen = app.token("congdan").await;
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22"});
    let (s, first) = json(submit(&app, &citizen, body.clone(), Some(ID_CARD)).await).await;
    assert_eq!(s, 201, "{first}");
    let code = first["code"].as_str().unwrap().to_owned();
    assert_eq!(first["reused_data"], false);
    assert!(store_of(&app, &citizen).await.is_empty(), "not before the state accepts it");
    app.act_as("halong.motcua", &code, "receive").await;
    let papers = store_of(&app, &citizen).await;
    assert_eq!(papers.len(), 1);
    let paper = &papers[0];
    assert_eq!((paper["kind"].as_str(), paper["dossier"].as_str()), (Some("paper"), Some(code.as_str())));
    assert_eq!(paper["sha256"], motcua_domain::audit::sha256_hex(ID_CARD).as_str());

    // The result joins the store once returned.
    app.act_as("halong.chuyenvien", &code, "forward").await;
    app.act_as("halong.lanhdao", &code, "approve").await;
    let clerk = app.token("halong.vanthu").await;
    let form = reqwest::multipart::Form::new()
        .text("action", json!({"action": "sign"}).to_string())
        .part("file", reqwest::multipart::Part::bytes(RESULT.to_vec()).file_name("ket-qua.pdf"));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{code}/actions")))
        .bearer_auth(&clerk)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(store_of(&app, &citizen).await.len(), 1, "not before it is returned");
    app.act_as("halong.motcua", &code, "return_result").await;
    let papers = store_of(&app, &citizen).await;
    assert_eq!(papers.iter().map(|p| p["kind"].as_str().unwrap()).collect::<Vec<_>>(), vec!["paper", "result"]);

    // A new dossier reuses both without uploading anything.
    let reuse = json!({"procedure": "1.004873", "org": "000.00.37.H22", "reuse": [
        {"sha256": motcua_domain::audit::sha256_hex(ID_CARD), "component": 0},
        {"sha256": motcua_domain::audit::sha256_hex(RESULT)}
    ]});
    let (s, second) = json(submit(&app, &citizen, reuse.clone(), None).await).await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["reused_data"], true);
    let code2 = second["code"].as_str().unwrap();
    let (_, files) = json(app.get_as(&format!("/api/v1/dossiers/{code2}/attachments"), &citizen).await).await;
    assert_eq!(files.as_array().unwrap().len(), 2, "{files}");
    let got = app.get_as(&format!("/api/v1/dossiers/{code2}/attachments/1"), &citizen).await.bytes().await.unwrap();
    assert_eq!(got.as_ref(), ID_CARD);
    // Mixed with a new upload, numbered after it.
    let (s, third) = json(submit(&app, &citizen, json!({"procedure": "1.004873", "org": "000.00.37.H22", "reuse": [{"sha256": motcua_domain::audit::sha256_hex(RESULT)}]}), Some(b"%PDF-1.4 moi")).await).await;
    assert_eq!(s, 201, "{third}");
    let (_, files) =
        json(app.get_as(&format!("/api/v1/dossiers/{}/attachments", third["code"].as_str().unwrap()), &citizen).await)
            .await;
    assert_eq!(files.as_array().unwrap().iter().map(|f| f["index"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2]);

    // Not theirs, or not there: refused, nothing created.
    let other = register(&app, "tranthibinh", "022190004321").await;
    assert!(store_of(&app, &other).await.is_empty());
    assert_error(submit(&app, &other, reuse.clone(), None).await, 422, "not_in_data_store").await;
    let unknown = json!({"procedure": "1.004873", "org": "000.00.37.H22", "reuse": [{"sha256": "ab".repeat(32)}]});
    assert_error(submit(&app, &citizen, unknown, None).await, 422, "not_in_data_store").await;
    let (_, mine) = json(app.get_as("/api/v1/dossiers?limit=100", &other).await).await;
    assert_eq!(mine["total"], 0);
    // On the web form, a stored paper answers a component; the dossier is flagged the same.
    let b = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let csrf_of = |html: &str| {
        let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        html[at..at + 64].to_owned()
    };
    let login = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    b.post(app.url("/dang-nhap"))
        .form(&[("csrf", csrf_of(&login).as_str()), ("username", "congdan"), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    let html = b.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap().text().await.unwrap();
    let id_sha = motcua_domain::audit::sha256_hex(ID_CARD);
    assert!(html.contains("name=\"kho-2\"") && html.contains(&format!("value=\"{id_sha}\"")), "{html}");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&html))
        .text("org", "000.00.37.H22")
        .text("do", "review")
        .text("kho-2", id_sha.clone())
        .part("component-0", reqwest::multipart::Part::bytes(b"%PDF-1.4 to khai".to_vec()).file_name("to-khai.pdf"));
    let r = b.post(app.url("/nop-ho-so/1.004873")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let review = r.headers()["location"].to_str().unwrap().to_owned();
    let html = b.get(app.url(&review)).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Cần đính kèm trước khi nộp") && html.contains("cccd.pdf"), "{html}");
    let draft = review.rsplit('=').next().unwrap().to_owned();
    let r = b
        .post(app.url("/nop-ho-so/1.004873/xem-lai"))
        .form(&[("csrf", csrf_of(&html)), ("nhap", draft)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let code4 =
        r.headers()["location"].to_str().unwrap().trim_start_matches("/ho-so/").split('?').next().unwrap().to_owned();
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code4}"), &citizen).await).await;
    assert_eq!(d["reused_data"], true, "{d}");
    // Staff have no store of their own.
    let desk = app.token("halong.motcua").await;
    assert!(store_of(&app, &desk).await.is_empty());
}

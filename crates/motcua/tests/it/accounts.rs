//! A forgotten password, set anew with a code sent to the account's phone: through the API and
//! through the pages, on SQLite and PostgreSQL.

use crate::common;

use common::{PASSWORD, TestApp, assert_error, browser, csrf_of, json};
use serde_json::{Value, json};

on_both_backends!(
    a_forgotten_password_is_set_anew_with_a_code,
    a_reset_tells_nobody_who_has_an_account,
    a_forgotten_password_through_the_pages,
);

const NEW: &str = "Mat-khau-moi-2026";

/// The code of the newest reset SMS to the demo citizen's phone.
async fn reset_code(app: &TestApp) -> Option<String> {
    let notes = app.db.store.messages_about("otp:").await.unwrap();
    let sms = notes.iter().rev().find(|n| n.note.channel == "sms" && n.note.body.starts_with("Ma dat lai"))?;
    assert_eq!(sms.note.recipient, "0912345678");
    sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned)
}

async fn ask(app: &TestApp, username: &str) -> Value {
    let r = app.client.post(app.url("/api/v1/auth/password-reset")).json(&json!({"username": username}));
    let (s, v) = json(r.send().await.unwrap()).await;
    assert_eq!(s, 202, "{v}");
    v
}

async fn confirm(app: &TestApp, challenge: &Value, code: &str, password: &str) -> reqwest::Response {
    let body = json!({"username": "congdan", "challenge": challenge, "code": code, "new_password": password});
    app.client.post(app.url("/api/v1/auth/password-reset/confirm")).json(&body).send().await.unwrap()
}

async fn login(app: &TestApp, password: &str) -> u16 {
    let body = json!({"username": "congdan", "password": password});
    app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap().status().as_u16()
}

async fn a_forgotten_password_is_set_anew_with_a_code(app: TestApp) {
    let (phone, laptop) = (app.token("congdan").await, app.token("congdan").await);
    // Five wrong passwords from this address: the username is locked here.
    for _ in 0..5 {
        assert_eq!(login(&app, "khong-phai-mat-khau").await, 401);
    }
    assert_eq!(login(&app, PASSWORD).await, 429, "locked after five wrong passwords");

    let v = ask(&app, "congdan").await;
    assert!(v["message"].as_str().unwrap().contains("mã đặt lại mật khẩu"), "{v}");
    let code = reset_code(&app).await.expect("a code went to the phone");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let m = assert_error(confirm(&app, &v["challenge"], wrong, NEW).await, 401, "wrong_code").await;
    assert!(m.contains("còn 4 lần thử"), "{m}");
    // A password the policy refuses is refused before the code is spent.
    assert_error(confirm(&app, &v["challenge"], &code, "ngan").await, 400, "weak_password").await;
    assert_eq!(confirm(&app, &v["challenge"], &code, NEW).await.status(), 204);
    // Once: the code is spent.
    assert_error(confirm(&app, &v["challenge"], &code, NEW).await, 401, "code_expired").await;

    // Every earlier session ended; the old password is gone, the new one works, and the
    // lock the wrong passwords made is lifted (the holder just proved the phone).
    for t in [&phone, &laptop] {
        assert_eq!(app.get_as("/api/v1/me", t).await.status(), 401);
    }
    assert_eq!(login(&app, PASSWORD).await, 401);
    assert_eq!(login(&app, NEW).await, 200);
}

async fn a_reset_tells_nobody_who_has_an_account(app: TestApp) {
    let sent = || async { app.db.store.messages_about("otp:").await.unwrap().len() };
    let before = sent().await;
    // An unknown username and a staff account: the same answer, and nothing sent.
    let unknown = ask(&app, "khong.co.ai").await;
    let staff = ask(&app, "halong.lanhdao").await;
    let citizen = ask(&app, "congdan").await;
    for v in [&unknown, &staff] {
        assert_eq!(v["message"], citizen["message"]);
        assert_eq!(v["challenge"].as_str().map(str::len), Some(48));
    }
    assert_eq!(sent().await - before, 1, "only the citizen's phone got a code");
    assert_error(confirm(&app, &unknown["challenge"], "123456", NEW).await, 401, "code_expired").await;
    // A username that is no username: 400, as any malformed request.
    let r = app.client.post(app.url("/api/v1/auth/password-reset")).json(&json!({"username": "có dấu cách"}));
    assert_eq!(r.send().await.unwrap().status(), 400);

    // A kiosk sign-in code to the same phone never resets the password.
    let r = app.client.post(app.url("/api/v1/kiosk/code")).json(&json!({"cccd": "022090001234"}));
    let (s, kiosk) = json(r.send().await.unwrap()).await;
    assert_eq!(s, 202, "{kiosk}");
    let notes = app.db.store.messages_about("otp:").await.unwrap();
    let sms = notes.iter().rev().find(|n| n.note.channel == "sms" && n.note.body.starts_with("Ma xac thuc")).unwrap();
    let code = sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap();
    assert_error(confirm(&app, &kiosk["challenge"], code, NEW).await, 401, "code_expired").await;
    assert_eq!(login(&app, PASSWORD).await, 200, "the password did not change");
}

async fn a_forgotten_password_through_the_pages(app: TestApp) {
    let b = browser();
    let html = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/quen-mat-khau\""), "the sign-in page links to it");
    let html = b.get(app.url("/quen-mat-khau")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = b.post(app.url("/quen-mat-khau")).form(&[("csrf", "x"), ("username", "congdan")]).send().await.unwrap();
    assert_eq!(r.status(), 403, "a form without its token sends nothing");
    let r = b.post(app.url("/quen-mat-khau")).form(&[("csrf", csrf.as_str()), ("username", "congdan")]);
    let html = r.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"code\"") && html.contains("autocomplete=\"one-time-code\""), "{html}");
    let marker = "name=\"challenge\" value=\"";
    let at = html.find(marker).expect("the challenge") + marker.len();
    let challenge = html[at..at + 48].to_owned();
    let code = reset_code(&app).await.expect("a code went to the phone");
    let form = |code: &str, new2: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("username", "congdan".to_owned()),
            ("challenge", challenge.clone()),
            ("code", code.to_owned()),
            ("new", NEW.to_owned()),
            ("new2", new2.to_owned()),
        ]
    };
    let r = b.post(app.url("/quen-mat-khau/dat-lai")).form(&form(&code, "khac-hang")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Hai lần nhập mật khẩu mới không khớp"));
    let r = b.post(app.url("/quen-mat-khau/dat-lai")).form(&form(&code, NEW)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/quen-mat-khau?xong=1");
    let html = b.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Đã đặt mật khẩu mới") && html.contains("role=\"status\""), "{html}");
    assert_eq!(login(&app, NEW).await, 200);
}

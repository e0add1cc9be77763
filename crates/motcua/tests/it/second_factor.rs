//! Officers' second factor: a leader enrols an authenticator and signs in with its codes,
//! computed by an independent implementation (Python's pyotp), through the API and the pages,
//! on SQLite and PostgreSQL.

use crate::common;

use common::{PASSWORD, TestApp, assert_error, browser, csrf_of, json, sign_in};
use motcua_domain::second_factor::DEFAULT_ROLES;
use serde_json::{Value, json};

on_both_backends!(
    a_leader_enrols_and_signs_in_with_codes_from_pyotp,
    wrong_second_factor_codes_lock_the_sign_in,
    the_pages_enrol_an_authenticator_and_ask_for_its_code,
    officers_the_policy_does_not_name_sign_in_with_a_password,
    an_administrator_sets_the_policy_and_resets_a_lost_phone,
);

const LEADER: &str = "stp.lanhdao";

/// pyotp's code for base32 `secret`, `offset` seconds from now — the server's now: this
/// process's clock (the server runs in it), passed to Python, whose own clock may be shifted
/// differently when the suite runs under libfaketime (`scripts/test-at`).
fn pyotp(secret: &str, offset: i64) -> String {
    let at = jiff::Timestamp::now().as_second() + offset;
    let script = "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, secret, &at.to_string()])
        .output()
        .expect("python3 runs (scripts/install-deps installs pyotp)");
    assert!(out.status.success(), "pyotp: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// pyotp reads our `otpauth://` URI (what the QR code holds) and gives the same code.
fn pyotp_from_uri(uri: &str) -> String {
    let at = jiff::Timestamp::now().as_second();
    let script = "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).at(int(sys.argv[2])))";
    let out =
        std::process::Command::new("python3").args(["-c", script, uri, &at.to_string()]).output().expect("python3");
    assert!(out.status.success(), "pyotp: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A six-digit code that is not `right`.
fn other_than(right: &str) -> &'static str {
    if right == "000000" { "111111" } else { "000000" }
}

/// Turns the default policy (leaders, clerks, administrators) back on for the leader's
/// organisation (the demo turns it off so that its README logins need only a password).
async fn require_second_factor(app: &TestApp) {
    let org = motcua_domain::OrgCode::parse(&app.org_of(LEADER).await).unwrap();
    app.db.store.set_second_factor_policy(&org, &DEFAULT_ROLES, jiff::Timestamp::now()).await.unwrap();
}

async fn login(app: &TestApp) -> (u16, Value, bool) {
    let r = app.login(LEADER, PASSWORD).await;
    let cookie = r.headers().contains_key("set-cookie");
    let (s, v) = json(r).await;
    (s, v, cookie)
}

async fn answer(app: &TestApp, challenge: &Value, code: &str) -> reqwest::Response {
    let body = json!({"challenge": challenge, "code": code});
    app.client.post(app.url("/api/v1/auth/login/second-factor")).json(&body).send().await.unwrap()
}

async fn a_leader_enrols_and_signs_in_with_codes_from_pyotp(app: TestApp) {
    require_second_factor(&app).await;
    // The password alone opens no session: an authenticator must be enrolled.
    let (s, v, cookie) = login(&app).await;
    assert_eq!(s, 202, "{v}");
    assert!(!cookie && v.get("token").is_none(), "no session before the second factor: {v}");
    assert_eq!(v["second_factor"], "enrol");
    let secret = v["secret"].as_str().unwrap().to_owned();
    let uri = v["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/motcua:stp%2Elanhdao?secret="), "{uri}");
    let code = pyotp(&secret, 0);
    let from_qr = pyotp_from_uri(uri);
    assert!(from_qr == code || from_qr == pyotp(&secret, 0), "the QR code's URI holds the same secret");
    let m = assert_error(answer(&app, &v["challenge"], other_than(&code)).await, 401, "wrong_code").await;
    assert!(m.contains("còn 4 lần thử"), "{m}");
    assert_error(answer(&app, &v["challenge"], "").await, 400, "invalid_second_factor_code").await;
    let (s, enrolled) = json(answer(&app, &v["challenge"], &code).await).await;
    assert_eq!(s, 200, "{enrolled}");
    let recovery: Vec<String> =
        enrolled["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);
    let token = enrolled["token"].as_str().unwrap();
    let (s, me) = json(app.get_as("/api/v1/me", token).await).await;
    assert_eq!((s, me["username"].as_str()), (200, Some(LEADER)));
    // The challenge opened its session: it cannot open another.
    assert_error(answer(&app, &v["challenge"], &code).await, 401, "code_expired").await;

    // Signing in again asks for a code of the enrolled authenticator.
    let (s, v, cookie) = login(&app).await;
    assert_eq!((s, v["second_factor"].as_str(), cookie), (202, Some("totp"), false), "{v}");
    assert!(v.get("secret").is_none(), "the secret is given once: {v}");
    // The code just used, and an old one, are refused (RFC 6238 §5.2).
    assert_error(answer(&app, &v["challenge"], &code).await, 401, "wrong_code").await;
    assert_error(answer(&app, &v["challenge"], &pyotp(&secret, -90)).await, 401, "wrong_code").await;
    let next = pyotp(&secret, 30);
    let (s, done) = json(answer(&app, &v["challenge"], &next).await).await;
    assert_eq!(s, 200, "the next code signs in: {done}");
    assert!(done.get("recovery_codes").is_none(), "recovery codes are shown only at enrolment");

    // A recovery code signs in once, in place of the authenticator.
    let (_, v, _) = login(&app).await;
    let (s, _) = json(answer(&app, &v["challenge"], &recovery[3].to_uppercase()).await).await;
    assert_eq!(s, 200, "a recovery code, typed in capitals");
    let (_, v, _) = login(&app).await;
    assert_error(answer(&app, &v["challenge"], &recovery[3]).await, 401, "wrong_code").await;
    let id = me["id"].as_i64().unwrap();
    assert_eq!(app.db.store.recovery_codes_left(id).await.unwrap(), 9);

    // Its administrator resets it (a lost phone): sessions end, and the next sign-in enrols.
    assert!(app.db.store.reset_second_factor(id).await.unwrap());
    assert_eq!(app.get_as("/api/v1/me", token).await.status(), 401, "sessions ended");
    let (s, v, _) = login(&app).await;
    assert_eq!((s, v["second_factor"].as_str()), (202, Some("enrol")), "{v}");
    assert_ne!(v["secret"].as_str(), Some(secret.as_str()), "a new secret");
}

async fn wrong_second_factor_codes_lock_the_sign_in(app: TestApp) {
    require_second_factor(&app).await;
    let (_, v, _) = login(&app).await;
    let secret = v["secret"].as_str().unwrap().to_owned();
    let (s, _) = json(answer(&app, &v["challenge"], &pyotp(&secret, 0)).await).await;
    assert_eq!(s, 200);
    // A right password does not forgive wrong codes: five, over several sign-ins, lock the
    // username here as five wrong passwords do.
    let mut wrong = 0;
    while wrong < 5 {
        let (s, v, _) = login(&app).await;
        assert_eq!(s, 202, "{v}");
        for _ in 0..2 {
            if wrong < 5 {
                assert_error(answer(&app, &v["challenge"], other_than(&pyotp(&secret, 0))).await, 401, "wrong_code")
                    .await;
                wrong += 1;
            }
        }
    }
    let (s, v, _) = login(&app).await;
    assert_eq!(s, 429, "locked: {v}");
    assert_eq!(v["error"]["code"], "too_many_attempts");
}

async fn the_pages_enrol_an_authenticator_and_ask_for_its_code(app: TestApp) {
    require_second_factor(&app).await;
    let b = browser();
    let r = sign_in(&app, &b, LEADER).await;
    assert_eq!(r.status(), 200, "the second step is a page, not a redirect");
    assert!(r.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().contains("motcua_session=")));
    let html = r.text().await.unwrap();
    assert!(html.contains("Xác thực hai lớp") && html.contains("<svg"), "a QR code to enrol");
    let secret = between(&html, "<code class=\"secret\">", "</code>").replace(' ', "");
    assert_eq!(secret.len(), 32, "{secret}");
    let challenge = between(&html, "name=\"challenge\" value=\"", "\"");
    let post = |code: String, csrf: String, challenge: String| {
        let b = b.clone();
        let url = app.url("/dang-nhap/xac-thuc");
        async move { b.post(url).form(&[("csrf", csrf), ("challenge", challenge), ("code", code)]).send().await.unwrap() }
    };
    let r = post(pyotp(&secret, 0), "0".repeat(64), challenge.clone()).await;
    assert_eq!(r.status(), 403, "a form from elsewhere (no CSRF token) is refused, the code not tried");
    let r = post(other_than(&pyotp(&secret, 0)).to_owned(), csrf_of(&html), challenge.clone()).await;
    assert_eq!(r.status(), 401);
    let again = r.text().await.unwrap();
    assert!(again.contains("còn 4 lần thử") && again.contains(&secret[..4]), "asked again, with the QR code");
    let r = post(pyotp(&secret, 0), csrf_of(&again), challenge).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().contains("motcua_session="));
    let codes_page = r.text().await.unwrap();
    assert_eq!(codes_page.matches("<li><code>").count(), 10, "ten recovery codes, once");
    let recovery = between(&codes_page, "<li><code>", "</code>");
    let (s, me) = json(b.get(app.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!((s, me["username"].as_str()), (200, Some(LEADER)), "signed in");

    // Signed out, then in again: the code page has no QR code; a recovery code lets them in.
    let b = browser();
    let html = sign_in(&app, &b, LEADER).await.text().await.unwrap();
    assert!(html.contains("Mã xác thực") && !html.contains("<svg") && !html.contains(&secret[..8]));
    let challenge = between(&html, "name=\"challenge\" value=\"", "\"");
    let form = [("csrf", csrf_of(&html)), ("challenge", challenge), ("code", recovery)];
    let r = b.post(app.url("/dang-nhap/xac-thuc")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "on to the officer's pages");
    assert_eq!(b.get(app.url("/api/v1/me")).send().await.unwrap().status(), 200);
    // An expired or spent challenge goes back to the sign-in page.
    let form = [("csrf", csrf_of(&html)), ("challenge", "ab".repeat(32)), ("code", "123456".into())];
    let r = b.post(app.url("/dang-nhap/xac-thuc")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("id=\"password\""), "the sign-in form again");
}

async fn officers_the_policy_does_not_name_sign_in_with_a_password(app: TestApp) {
    require_second_factor(&app).await;
    // The desk officer of the same department: not named by the default policy.
    let (s, v) = json(app.login("stp.motcua", PASSWORD).await).await;
    assert_eq!(s, 200, "{v}");
    // A policy naming desk officers asks them too; an empty one asks nobody.
    let org = motcua_domain::OrgCode::parse(&app.org_of("stp.motcua").await).unwrap();
    let desk = [motcua_domain::Role::DeskOfficer];
    app.db.store.set_second_factor_policy(&org, &desk, jiff::Timestamp::now()).await.unwrap();
    assert_eq!(app.login("stp.motcua", PASSWORD).await.status(), 202);
    app.db.store.set_second_factor_policy(&org, &[], jiff::Timestamp::now()).await.unwrap();
    assert_eq!(app.login("stp.motcua", PASSWORD).await.status(), 200);
    assert_eq!(app.login(LEADER, PASSWORD).await.status(), 200, "the leader too, once it is off");

    // An organisation that set no policy (not the demo's): its leader is asked by default.
    use motcua_domain::{AccountKind, Name, NewAccount, OrgKind, Organisation, Role, RoleAssignment, Username};
    let mut new_org = app.db.store.organisation(&org).await.unwrap().unwrap();
    new_org = Organisation {
        code: motcua_domain::OrgCode::parse("000.00.98.H22").unwrap(),
        name: Name::parse("Tên", "Sở Mới").unwrap(),
        kind: OrgKind::Department,
        parent: None,
        ..new_org
    };
    app.db.store.upsert_organisations(std::slice::from_ref(&new_org)).await.unwrap();
    let username = Username::parse("somoi.lanhdao").unwrap();
    let password = motcua_domain::Password::parse(PASSWORD, &username).unwrap();
    let leader = NewAccount {
        username,
        full_name: Name::parse("Họ và tên", "Lê Văn Mới").unwrap(),
        kind: AccountKind::Staff,
        cccd: None,
        email: None,
        phone: None,
        roles: vec![RoleAssignment { org: new_org.code.clone(), role: Role::Leader }],
        password_hash: motcua::accounts::auth::hash_password(&password).unwrap(),
    };
    app.db.store.create_account(&leader).await.unwrap();
    let (s, v) = json(app.login("somoi.lanhdao", PASSWORD).await).await;
    assert_eq!((s, v["second_factor"].as_str()), (202, Some("enrol")), "on by default: {v}");
}

async fn an_administrator_sets_the_policy_and_resets_a_lost_phone(app: TestApp) {
    let org = app.org_of(LEADER).await;
    let admin = browser();
    assert_eq!(sign_in(&app, &admin, "stp.quantri").await.status(), 303, "the demo asks nobody");
    let staff_page = format!("/quan-tri/can-bo?org={org}");
    let html = admin.get(app.url(&staff_page)).send().await.unwrap().text().await.unwrap();
    assert!(!policy_of(&html).contains("checked"), "the demo ticks no role: {}", policy_of(&html));
    assert!(!html.contains("Cán bộ cần đăng ký lại"), "nobody to reset yet");
    let form = [("csrf", csrf_of(&html)), ("org", org.clone()), ("role", "leader".into()), ("role", "clerk".into())];
    let r = admin.post(app.url("/quan-tri/can-bo/xac-thuc-hai-lop")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (s, v, _) = login(&app).await;
    assert_eq!((s, v["second_factor"].as_str()), (202, Some("enrol")), "the leader is asked now: {v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    let (s, done) = json(answer(&app, &v["challenge"], &pyotp(&secret, 0)).await).await;
    assert_eq!(s, 200);
    let token = done["token"].as_str().unwrap();
    assert_eq!(app.login("stp.quantri", PASSWORD).await.status(), 200, "administrators are not ticked");

    let html = admin.get(app.url(&staff_page)).send().await.unwrap().text().await.unwrap();
    assert!(policy_of(&html).contains("value=\"leader\" checked") && html.contains("Có xác thực hai lớp"));
    assert!(!policy_of(&html).contains("value=\"administrator\" checked"));
    let reset = |who: &str| [("csrf", csrf_of(&html)), ("org", org.clone()), ("username", who.to_owned())];
    let r = admin.post(app.url("/quan-tri/can-bo/xac-thuc-hai-lop/dat-lai")).form(&reset(LEADER)).send().await;
    assert_eq!(r.unwrap().status(), 303);
    assert_eq!(app.get_as("/api/v1/me", token).await.status(), 401, "the lost phone's sessions end");
    let (s, v, _) = login(&app).await;
    assert_eq!((s, v["second_factor"].as_str()), (202, Some("enrol")), "enrols again: {v}");
    let r = admin.post(app.url("/quan-tri/can-bo/xac-thuc-hai-lop/dat-lai")).form(&reset("stp.quantri")).send().await;
    assert_eq!(r.unwrap().status(), 409, "not one's own");
    // Another organisation's administrator may do neither.
    let other = browser();
    assert_eq!(sign_in(&app, &other, "halong.quantri").await.status(), 303);
    let html = other.get(app.url("/quan-tri")).send().await.unwrap().text().await.unwrap();
    let form = [("csrf", csrf_of(&html)), ("org", org.clone())];
    let r = other.post(app.url("/quan-tri/can-bo/xac-thuc-hai-lop")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let form = [("csrf", csrf_of(&html)), ("org", org.clone()), ("username", LEADER.to_owned())];
    let r = other.post(app.url("/quan-tri/can-bo/xac-thuc-hai-lop/dat-lai")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.login(LEADER, PASSWORD).await.status(), 202, "the policy stands");
}

/// The policy's checkboxes on the staff page.
fn policy_of(html: &str) -> String {
    between(html, "Vai trò phải xác thực hai lớp", "</fieldset>")
}

fn between(html: &str, start: &str, end: &str) -> String {
    let at = html.find(start).unwrap_or_else(|| panic!("{start} in page")) + start.len();
    let len = html[at..].find(end).unwrap();
    html[at..at + len].to_owned()
}

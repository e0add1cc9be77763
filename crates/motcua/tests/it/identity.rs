//! Signing in through an OpenID Connect provider: a real one (`e2e/oidc-provider.mjs`, the npm
//! package oidc-provider run by node) on 127.0.0.1, with motcua as its client, driven the way a
//! browser is (cookies kept, redirects followed by hand). The account is made from the CCCD
//! claim and found again; a local account with that number is linked only by its password; and
//! a wrong or foreign `state`, a replayed code, a wrong nonce, an expired ID token, another
//! audience and a key the provider never published are all refused, while a rotated key is
//! fetched and accepted.

use motcua::app::ServerSettings;
use motcua_store::testing::Engine;
use serde_json::{Value, json};
use std::io::BufRead;

use crate::common::{PASSWORD, TestApp, browser, csrf_of};

/// The provider's process (ended when dropped) and its issuer URL.
pub struct Provider {
    child: std::process::Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider; `None` when node or the e2e modules are missing (a failure if
    /// MOTCUA_REQUIRE_CHROMIUM=1, as for the browser tests).
    pub async fn start() -> Option<Self> {
        let e2e = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
        let has_node = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
        if !(has_node && e2e.join("node_modules/oidc-provider").exists()) {
            assert!(
                std::env::var("MOTCUA_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
                "MOTCUA_REQUIRE_CHROMIUM=1 but node or e2e/node_modules/oidc-provider is missing"
            );
            eprintln!("skipping: needs node and e2e/node_modules/oidc-provider");
            return None;
        }
        // Under scripts/test-at the provider keeps the tests' shifted clock (libfaketime stays
        // preloaded), so its tokens are not expired by motcua's clock.
        let mut child = std::process::Command::new("node")
            .arg(e2e.join("oidc-provider.mjs"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .expect("the provider says where it listens");
        let issuer = serde_json::from_str::<Value>(&line).expect("JSON")["issuer"].as_str().expect("issuer").to_owned();
        Some(Self { child, issuer })
    }

    /// The settings that make a server its client.
    pub fn settings(&self) -> impl FnOnce(&mut ServerSettings) + use<> {
        let issuer = self.issuer.clone();
        move |s: &mut ServerSettings| {
            s.identity = Some(motcua::accounts::provider::ProviderSettings {
                issuer,
                client_id: "motcua".into(),
                client_secret: Some("motcua-test-secret".into()),
                scopes: vec!["profile".into(), "phone".into(), "address".into(), "cccd".into()],
                cccd_claim: "cccd".into(),
                level2_acr: vec!["level2".into()],
                display_name: "VNeID".into(),
            })
        }
    }

    /// Registers `app` as the provider's client (its port is known only now).
    pub async fn register(&self, app: &TestApp) {
        let r = reqwest::Client::new()
            .post(format!("{}/__setup", self.issuer))
            .json(&json!({
                "redirect_uri": app.url(motcua::accounts::identity::RETURN_PATH),
                "post_logout_redirect_uri": app.url("/"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    /// Makes the provider's next token response carry a tampered ID token (or rotate keys).
    pub async fn tamper(&self, mode: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/__tamper", self.issuer))
            .json(&json!({"mode": mode}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

/// Starts the provider and a server that is its client.
async fn provider_and_app(engine: Engine) -> Option<(Provider, TestApp)> {
    let provider = Provider::start().await?;
    let app = TestApp::spawn_with(engine, provider.settings()).await?;
    provider.register(&app).await;
    Some((provider, app))
}

fn location(r: &reqwest::Response, base: &str) -> String {
    let l = r.headers().get("location").expect("a redirect").to_str().unwrap();
    if l.starts_with("http") { l.to_owned() } else { format!("{base}{l}") }
}

/// In browser `b`, from the sign-in page's button through the provider's login page (as
/// `cccd`, at `level`) to the URL the provider sends the browser back to motcua with.
async fn through_provider(app: &TestApp, p: &Provider, b: &reqwest::Client, cccd: &str, level: &str) -> String {
    let r = b.get(app.url("/dang-nhap/vneid?next=/ho-so")).send().await.unwrap();
    assert_eq!(r.status(), 303, "off to the provider");
    let mut url = location(&r, &app.base);
    assert!(url.starts_with(&format!("{}/auth?", p.issuer)), "{url}");
    for (k, want) in [("code_challenge_method", "S256"), ("response_type", "code"), ("client_id", "motcua")] {
        assert!(url.contains(&format!("{k}={want}")), "{k} in {url}");
    }
    assert!(url.contains("state=") && url.contains("nonce=") && url.contains("code_challenge="), "{url}");
    for _ in 0..10 {
        if url.starts_with(&app.base) {
            return url;
        }
        let r = b.get(&url).send().await.unwrap();
        if r.status() == 200 && url.contains("/interaction/") {
            let r = b.post(format!("{url}/login")).form(&[("cccd", cccd), ("level", level)]).send().await.unwrap();
            assert!(r.status().is_redirection(), "the provider signs the person in: {}", r.status());
            url = location(&r, &p.issuer);
            continue;
        }
        assert!(r.status().is_redirection(), "{url}: {} {}", r.status(), r.text().await.unwrap_or_default());
        url = location(&r, &p.issuer);
    }
    panic!("the provider never sent the browser back");
}

/// Whether `b` holds a session: the account page opens.
async fn signed_in_name(app: &TestApp, b: &reqwest::Client) -> Option<String> {
    let r = b.get(app.url("/ho-so")).send().await.unwrap();
    if r.status() != 200 {
        return None;
    }
    Some(r.text().await.unwrap())
}

/// The CCCD claim makes the account, and the next sign-in finds the same one.
async fn an_account_is_made_from_the_identity_and_found_again(p: &Provider, app: &TestApp) {
    let b = browser();
    let back = through_provider(app, p, &b, "001090012345", "level2").await;
    let r = b.get(&back).send().await.unwrap();
    if r.status() != 303 {
        panic!("not signed in: {} {}", r.status(), r.text().await.unwrap());
    }
    assert_eq!(r.headers()["location"], "/ho-so");
    let page = signed_in_name(app, &b).await.expect("a session");
    assert!(page.contains("Nguyễn Thị Định Danh"), "the name comes from the provider");
    let cccd = motcua_domain::Cccd::parse("001090012345").unwrap();
    let store = app.db.store.as_ref();
    let account = motcua_store::identity::IdentityStore::account_by_cccd(store, &cccd).await.unwrap().expect("made");
    assert!(account.username.as_str().starts_with("vneid."), "{}", account.username);
    assert!(!account.username.as_str().contains("001090012345"), "the number is not the username");

    // The residence declaration (CT01) opens filled in from the verified identity: name,
    // number, birth date, sex and the address, as the 2025 units' codes.
    let form = b.get(app.url("/nop-ho-so/1.004194")).send().await.unwrap().text().await.unwrap();
    let value_of = |name: &str| {
        let at = form.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("{name} on the form"));
        let tag = &form[at..at + form[at..].find('>').unwrap()];
        tag.split("value=\"").nth(1).map(|v| v[..v.find('"').unwrap()].to_owned()).unwrap_or_default()
    };
    assert_eq!(value_of("tk.ho_ten"), "Nguyễn Thị Định Danh");
    assert_eq!(value_of("tk.so_dinh_danh"), "001090012345");
    assert_eq!(value_of("tk.ngay_sinh"), "1990-05-17");
    assert_eq!(value_of("tk.dia_chi_cu_tru.detail"), "Số 12 phố Lê Thánh Tông");
    assert!(form.contains("<option value=\"06688\" selected>Phường Hạ Long</option>"), "the commune is chosen");
    assert!(form.contains("<option selected>Nữ</option>"), "the sex is the provider's");

    // The ID card the identity stands in for need not be attached (and is not counted missing
    // at review); a password session is asked for it as before.
    let stands_in = "thay cho giấy tờ này";
    let form = b.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains(stands_in), "offered instead of an upload");
    let by_password = browser();
    assert_eq!(crate::common::sign_in(app, &by_password, "congdan").await.status(), 303);
    let form = by_password.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap().text().await.unwrap();
    assert!(!form.contains(stands_in), "not for a password session");

    // Signing out ends the provider's session too.
    let csrf = csrf_of(&page);
    let r = b.post(app.url("/dang-xuat")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r, &app.base);
    assert!(to.starts_with(&format!("{}/session/end?", p.issuer)), "{to}");
    assert!(to.contains("id_token_hint=") && to.contains("post_logout_redirect_uri="), "{to}");
    assert!(signed_in_name(app, &b).await.is_none(), "signed out here");

    // Again, in another browser: the same account, nothing new made.
    let b2 = browser();
    let back = through_provider(app, p, &b2, "001090012345", "level1").await;
    assert_eq!(b2.get(&back).send().await.unwrap().status(), 303);
    assert!(signed_in_name(app, &b2).await.is_some());
    let again = motcua_store::identity::IdentityStore::account_by_cccd(store, &cccd).await.unwrap().unwrap();
    assert_eq!(again.id, account.id, "the same account");
}

/// Each broken sign-in is refused with no session, and the one after it, unbroken, works.
async fn broken_sign_ins_are_refused(p: &Provider, app: &TestApp) {
    let refused = |r: reqwest::Response| async move {
        let status = r.status();
        let has_session =
            r.headers().get_all("set-cookie").iter().any(|c| {
                c.to_str().is_ok_and(|c| c.starts_with("motcua_session=") && !c.starts_with("motcua_session=;"))
            });
        let body = r.text().await.unwrap();
        assert_eq!(status, 401, "{body}");
        assert!(!has_session, "no session cookie");
        assert!(body.contains("<html"), "a page, not JSON");
    };
    // A wrong state.
    let b = browser();
    let back = through_provider(app, p, &b, "001090012346", "level2").await;
    let wrong = back.replace("state=", "state=x");
    refused(b.get(&wrong).send().await.unwrap()).await;

    // The right state, in a browser that did not ask (a login forced on someone else).
    let b = browser();
    let back = through_provider(app, p, &b, "001090012346", "level2").await;
    refused(browser().get(&back).send().await.unwrap()).await;
    // That try did not spend it: the browser that asked still signs in with it.
    assert_eq!(b.get(&back).send().await.unwrap().status(), 303);

    // A replayed code: once signs in, twice does not.
    let b = browser();
    let back = through_provider(app, p, &b, "001090012346", "level2").await;
    let state = back.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    assert_eq!(b.get(&back).send().await.unwrap().status(), 303);
    let replay = browser();
    let r = replay.get(&back).header("cookie", format!("motcua_oidc={state}")).send().await.unwrap();
    refused(r).await;

    // ID tokens that fail a check.
    for mode in ["nonce", "aud", "expired", "unknown_key"] {
        let b = browser();
        p.tamper(mode).await;
        let back = through_provider(app, p, &b, "001090012346", "level2").await;
        eprintln!("tampered: {mode}");
        refused(b.get(&back).send().await.unwrap()).await;
        // The same, untampered, signs in (the refusal was the tampering's).
        let b = browser();
        let back = through_provider(app, p, &b, "001090012346", "level2").await;
        assert_eq!(b.get(&back).send().await.unwrap().status(), 303, "after {mode}");
    }

    // The provider rotates its keys: motcua fetches them again and accepts the new one.
    p.tamper("rotate").await;
    let b = browser();
    let back = through_provider(app, p, &b, "001090012346", "level2").await;
    assert_eq!(b.get(&back).send().await.unwrap().status(), 303, "a rotated key is accepted");
}

/// A citizen with a local account (the demo's `congdan`, CCCD 022090001234) links it by its
/// password; a wrong password links nothing; afterwards the provider signs in to it directly.
async fn a_local_account_is_linked_by_its_password(p: &Provider, app: &TestApp) {
    let b = browser();
    let back = through_provider(app, p, &b, "022090001234", "level2").await;
    let r = b.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 200, "asked for the password");
    let html = r.text().await.unwrap();
    assert!(html.contains("congdan") && html.contains("Liên kết"), "{html}");
    assert!(signed_in_name(app, &b).await.is_none(), "not signed in before the password");
    let offer = html.split("name=\"offer\" value=\"").nth(1).unwrap()[..64].to_owned();
    let csrf = csrf_of(&html);
    let form = |pw: &'static str| {
        vec![("csrf", csrf.clone()), ("offer", offer.clone()), ("username", "congdan".into()), ("password", pw.into())]
    };
    let r = b.post(app.url("/dang-nhap/vneid/lien-ket")).form(&form("Sai-mat-khau-123")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("không đúng"));
    assert!(signed_in_name(app, &b).await.is_none());
    let r = b.post(app.url("/dang-nhap/vneid/lien-ket")).form(&form(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), 303, "linked and signed in");
    assert!(signed_in_name(app, &b).await.is_some());
    // The offer is spent.
    let r = b.post(app.url("/dang-nhap/vneid/lien-ket")).form(&form(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // From now on the provider signs in to `congdan` without the password.
    let b = browser();
    let back = through_provider(app, p, &b, "022090001234", "level1").await;
    assert_eq!(b.get(&back).send().await.unwrap().status(), 303);
    let page = signed_in_name(app, &b).await.expect("signed in");
    assert!(page.contains("congdan") || page.contains("Nguyễn Văn An"), "the local account");
}

/// A procedure may ask for e-identification level 2 to be submitted online: a password
/// session and a level 1 one are refused (the API and the page alike), a level 2 one submits.
async fn a_procedure_can_ask_for_level_two(p: &Provider, app: &TestApp) {
    let store = app.db.store.as_ref();
    let code = motcua_domain::ProcedureCode::parse("1.004873").unwrap();
    let mut procedure = store.procedure(&code).await.unwrap().unwrap();
    procedure.assurance = motcua_domain::identity::Assurance::Level2;
    store.upsert_procedures(&[procedure]).await.unwrap();
    let body = json!({"procedure": "1.004873", "org": "000.00.37.H22"});

    let token = app.token("congdan").await;
    crate::common::assert_error(
        app.post_json("/api/v1/dossiers", &token, body.clone()).await,
        403,
        "insufficient_assurance",
    )
    .await;
    let b = browser();
    assert_eq!(crate::common::sign_in(app, &b, "congdan").await.status(), 303);
    let r = b.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("định danh điện tử mức 2"));

    for (level, allowed) in [("level1", false), ("level2", true)] {
        let b = browser();
        let back = through_provider(app, p, &b, "001090012345", level).await;
        assert_eq!(b.get(&back).send().await.unwrap().status(), 303);
        let page = b.get(app.url("/nop-ho-so/1.004873")).send().await.unwrap().status();
        let api = b.post(app.url("/api/v1/dossiers")).header("origin", &app.base).json(&body).send().await.unwrap();
        if allowed {
            assert_eq!(page, 200, "{level}");
            assert_eq!(api.status(), 201, "{level}: {}", api.text().await.unwrap());
        } else {
            assert_eq!(page, 403, "{level}");
            crate::common::assert_error(api, 403, "insufficient_assurance").await;
        }
    }
}

/// The form at `marker` on a page: its action and its fields' (name, value) pairs.
fn hidden_form(html: &str, marker: &str) -> (String, Vec<(String, String)>) {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker} in {html}"));
    let form = &html[at..at + html[at..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\"")).nth(1).map(|v| v[..v.find('"').unwrap()].to_owned()).unwrap_or_default()
    };
    let action = attr(form, "action");
    let fields = form
        .split("<input")
        .skip(1)
        .map(|tag| (attr(tag, "name"), attr(tag, "value").replace("&#x2F;", "/").replace("&#x3D;", "=")))
        .collect();
    (action, fields)
}

/// On the phone `b`: the provider's device page with the code, approved, signed in.
async fn phone_approves(p: &Provider, b: &reqwest::Client, user_code: &str) {
    let mut r = b.get(format!("{}/device?user_code={}", p.issuer, user_code)).send().await.unwrap();
    for _ in 0..12 {
        let url = r.url().to_string();
        if r.status().is_redirection() {
            let next = location(&r, &p.issuer);
            r = b.get(next).send().await.unwrap();
            continue;
        }
        assert_eq!(r.status(), 200, "{url}");
        let html = r.text().await.unwrap();
        if url.contains("/interaction/") {
            let form = [("cccd", "001090012345"), ("level", "level2")];
            r = b.post(format!("{url}/login")).form(&form).send().await.unwrap();
        } else if html.contains("op.deviceConfirmForm") || html.contains("Submitting Callback") {
            // The code to confirm; then the page that posts itself back (form_post).
            let marker = if html.contains("op.deviceConfirmForm") { "id=\"op.deviceConfirmForm\"" } else { "<form" };
            let (action, fields) = hidden_form(&html, marker);
            let action = if action.starts_with("http") { action } else { format!("{}{action}", p.issuer) };
            r = b.post(action).form(&fields).send().await.unwrap();
        } else {
            assert!(html.to_lowercase().contains("sign-in success") || html.contains("success"), "{html}");
            return;
        }
    }
    panic!("the phone never finished");
}

/// A kiosk session opened with the citizen's phone (the device authorization grant, RFC
/// 8628): the kiosk shows a code, waits (204) until the phone approves, then opens the
/// citizen's dossiers; the ticket is then spent.
async fn a_kiosk_session_opens_with_the_phone(p: &Provider, app: &TestApp) {
    let centre = app.org_of("halong.motcua").await;
    let kiosk = browser();
    let html = kiosk.get(app.url(&format!("/kiosk/{centre}/cua-toi"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/kiosk/{centre}/vneid")), "the phone button");
    let csrf = csrf_of(&html);
    let r =
        kiosk.post(app.url(&format!("/kiosk/{centre}/vneid"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code");
    let poll = html.split("data-poll=\"").nth(1).map(|v| v[..v.find('"').unwrap()].to_owned()).expect("poll");
    let user_code = html.split("class=\"user-code\">").nth(1).map(|v| v[..v.find('<').unwrap()].to_owned()).unwrap();
    assert!(!user_code.is_empty());
    assert_eq!(kiosk.get(app.url(&poll)).send().await.unwrap().status(), 204, "not approved yet");

    phone_approves(p, &browser(), &user_code).await;
    // Another centre's kiosk cannot use this ticket, approved or not.
    let other = app.org_of("tienyen.motcua").await;
    assert_ne!(other, centre);
    let elsewhere = poll.replace(&centre, &other);
    assert_eq!(browser().get(app.url(&elsewhere)).send().await.unwrap().status(), 410);
    let r = kiosk.get(app.url(&poll)).send().await.unwrap();
    assert_eq!(r.status(), 303, "approved: signed in at the kiosk");
    assert_eq!(location(&r, ""), format!("/kiosk/{centre}/ho-so"));
    let mine = kiosk.get(app.url(&format!("/kiosk/{centre}/ho-so"))).send().await.unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(kiosk.get(app.url(&poll)).send().await.unwrap().status(), 410, "the ticket is spent");
}

async fn sign_in_through_the_provider(engine: Engine) {
    let Some((p, app)) = provider_and_app(engine).await else { return };
    an_account_is_made_from_the_identity_and_found_again(&p, &app).await;
    broken_sign_ins_are_refused(&p, &app).await;
    a_local_account_is_linked_by_its_password(&p, &app).await;
    a_procedure_can_ask_for_level_two(&p, &app).await;
    a_kiosk_session_opens_with_the_phone(&p, &app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_provider_on_sqlite() {
    sign_in_through_the_provider(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_provider_on_postgres() {
    sign_in_through_the_provider(Engine::Postgres).await;
}

/// Without a provider configured, its pages say so (a page, not a fault).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_the_button_is_not_shown() {
    let app = TestApp::spawn(Engine::Sqlite).await.unwrap();
    let b = browser();
    let html = b.get(app.url("/dang-nhap")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("/dang-nhap/vneid"), "no button");
    let r = b.get(app.url("/dang-nhap/vneid")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("định danh điện tử"));
    let r = b.get(app.url("/dang-nhap/vneid/ve?code=x&state=y")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

/// By clicks in headless Chromium on a phone-sized window (`e2e/vneid.mjs`): signed in through
/// the provider, the declaration prefilled, signed out at both ends, signed in again to the
/// same account; here, one account holds the number and it is linked to the identity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_signs_in_through_the_provider_by_clicks_in_chromium() {
    let Some((_provider, app)) = provider_and_app(Engine::Sqlite).await else { return };
    let centre = app.org_of("halong.motcua").await;
    let Some(out) = crate::web::run_e2e_with(&app, "vneid.mjs", vec![("MOTCUA_CENTRE", centre)]).await else { return };
    assert!(out.contains("vneid ok"), "{out}");
    let store = app.db.store.as_ref();
    let cccd = motcua_domain::Cccd::parse("001090012345").unwrap();
    let account = motcua_store::identity::IdentityStore::account_by_cccd(store, &cccd).await.unwrap().expect("made");
    let profile = motcua_store::identity::IdentityStore::identity_profile(store, account.id).await.unwrap();
    assert!(profile.is_some_and(|p| p.contains("1990-05-17")), "linked, with what the provider said");
}

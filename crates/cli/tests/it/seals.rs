//! Papers checked with no network: the result sheet, the receipt and forms 01 and 04, printed in headless
//! Chromium to PNG, carry a seal in their QR code; an outside decoder (`zbarimg`) reads it,
//! and three verifiers that share no code (motcua's `verify --qr`, Python's pycose under the
//! exported CA, the browser page `/kiem-tra-qr` with the network cut) accept it and refuse a
//! changed byte, another organisation's key and an expired certificate.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TestApp, json};
use motcua_exchange::seal::{self, PaperClaims};
use serde_json::json;

on_both_backends!(papers_are_checked_offline_by_three_verifiers);

const RESULT: &[u8] = b"%PDF-1.7\nGiay khai sinh so 120/2026\n%%EOF\n";

/// A dossier of a procedure with a fee, paid at the desk (a receipt) and signed (a result),
/// returned to the applicant. Its code.
async fn paid_and_signed(app: &TestApp) -> String {
    let citizen = app.token("congdan").await;
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("component-0", reqwest::multipart::Part::bytes(RESULT.to_vec()).file_name("to-khai.pdf"));
    let r = app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&citizen).multipart(form);
    let (s, d) = json(r.send().await.unwrap()).await;
    assert_eq!(s, 201, "{d}");
    let code = d["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    app.act_as("halong.chuyenvien", &code, "request_payment").await;
    app.act_as("halong.chuyenvien", &code, "confirm_payment").await;
    // Late: the leader apologises with a new date (form 04).
    let leader = app.token("halong.lanhdao").await;
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &leader).await).await;
    let due: jiff::Timestamp = d["due_at"].as_str().unwrap().parse().unwrap();
    let new_due = (due + jiff::SignedDuration::from_hours(72)).to_string();
    let body = json!({"action": "apologise", "reason": "Cần xác minh thêm", "new_due_at": new_due});
    let (s, v) = json(app.post_json(&format!("/api/v1/dossiers/{code}/actions"), &leader, body).await).await;
    assert_eq!(s, 200, "{v}");
    common::sign_result(&app.client, &app.base, &code, RESULT).await;
    app.act_as("halong.motcua", &code, "return_result").await;
    code
}

/// Runs an e2e script with node; None when node, chromium or the modules are missing (a
/// failure when MOTCUA_REQUIRE_CHROMIUM=1).
fn e2e(app: &TestApp, script: &str, env: &[(&str, String)]) -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    let ready = dir.join("node_modules/playwright-core").exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(std::env::var("MOTCUA_REQUIRE_CHROMIUM").as_deref() != Ok("1"), "node and e2e/node_modules needed");
        return None;
    }
    let out = Command::new("node")
        .arg(dir.join(script))
        .arg(&app.base)
        .arg(screenshots(app))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Some(stdout)
}

/// One folder per engine: the SQLite and PostgreSQL runs of a test are parallel processes,
/// and neither may read the other's picture (signed by the other's CA).
fn screenshots(app: &TestApp) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/screenshots")
        .join(format!("seals-{:?}", app.db.engine).to_lowercase());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What zbarimg reads off a picture: the QR code's text.
fn zbarimg(png: &Path) -> String {
    let out = Command::new("zbarimg").args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"]).arg(png).output();
    let out = out.expect("zbarimg (Debian's zbar-tools; scripts/install-deps installs it)");
    assert!(out.status.success(), "zbarimg found no QR code in {}", png.display());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn motcua_verify_qr(qr: &str, ca: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["verify", "--qr", qr, "--ca"])
        .arg(ca)
        .env("MOTCUA_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn pycose(text: &str, ca: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/verify_seal.py");
    let out = Command::new("python3").arg(script).arg(text).arg(ca).output().expect("python3");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The same seal with one byte of its message changed.
fn one_byte_changed(text: &str, at: usize) -> String {
    let mut bytes = base45::decode(&text[seal::PREFIX.len()..]).unwrap();
    let i = at % bytes.len();
    bytes[i] ^= 0x01;
    format!("{}{}", seal::PREFIX, base45::encode(&bytes))
}

async fn papers_are_checked_offline_by_three_verifiers(app: TestApp) {
    let halong = app.org_of("halong.vanthu").await;
    let bhxh = app.org_of("bhxh.vanthu").await;
    app.enable_exchange(&[&halong, &bhxh]).await;
    let code = paid_and_signed(&app).await;
    let citizen = app.token("congdan").await;
    let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &citizen).await).await;
    let receipt = d["payment"]["receipts"][0]["number"].as_str().expect("a receipt").to_owned();
    let number = format!("{code}-KQ1");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, app.get("/api/v1/exchange/ca.pem").await.bytes().await.unwrap()).unwrap();
    let anchors = motcua_exchange::TrustAnchors::new(
        motcua_exchange::pki::parse_certificates(&std::fs::read(&ca).unwrap()).unwrap(),
    );

    // Printed in Chromium, read back by zbarimg: a seal each, for the number printed.
    let mut texts = Vec::new();
    for (sheet, paper) in [
        (format!("/dossiers/{code}/results/{number}"), &number),
        (format!("/dossiers/{code}/receipts/{receipt}"), &receipt),
    ] {
        // A page to print: its own styles apply, no script runs.
        let r = app.get_as(&sheet, &citizen).await;
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("style-src 'unsafe-inline'") && csp.contains("default-src 'none'"), "{csp}");
        let Some(out) = e2e(&app, "seal.mjs", &[("SEAL_PHASE", "print".into()), ("SEAL_SHEET", sheet)]) else { return };
        assert!(out.contains("seal printed"), "{out}");
        let png = dir.path().join(format!("{paper}.png"));
        std::fs::copy(screenshots(&app).join("seal-sheet.png"), &png).unwrap();
        let text = zbarimg(&png);
        assert!(text.starts_with("MC1:") && text.len() < 1_400, "{} characters: {text}", text.len());
        let opened = seal::open(&text, &anchors, jiff::Timestamp::now()).expect("motcua opens the seal");
        assert_eq!(&opened.claims.number, paper);
        assert_eq!(opened.claims.issuer.as_str(), halong);
        assert_eq!(opened.claims.holder, "Nguyễn V. A.", "masked as public pages mask it");
        // motcua verify --qr, from the picture and from the text.
        for qr in [png.to_str().unwrap(), text.as_str()] {
            let (ok, out) = motcua_verify_qr(qr, &ca);
            assert!(
                ok && out.contains("HỢP LỆ") && out.contains(paper.as_str()) && out.contains("kiểm tra trực tuyến"),
                "{out}"
            );
        }
        // Python, pycose: the same claims.
        let (ok, out) = pycose(&text, &ca);
        assert!(ok && out.contains(paper.as_str()) && out.contains(&halong), "{out}");
        texts.push((png, text, opened.claims));
    }
    // Forms 01 (reception, with the date promised) and 04 (the apology, with the new date):
    // sealed by the processing organisation, numbered with the dossier's code.
    for (form, kind) in [("01", seal::PaperKind::Form01), ("04", seal::PaperKind::Form04)] {
        let sheet = format!("/dossiers/{code}/forms/{form}");
        let out = e2e(&app, "seal.mjs", &[("SEAL_PHASE", "print".into()), ("SEAL_SHEET", sheet)]).expect("ran before");
        assert!(out.contains("seal printed"), "{out}");
        let png = dir.path().join(format!("form-{form}.png"));
        std::fs::copy(screenshots(&app).join("seal-sheet.png"), &png).unwrap();
        let text = zbarimg(&png);
        let opened = seal::open(&text, &anchors, jiff::Timestamp::now()).expect("form's seal");
        assert_eq!((opened.claims.kind, opened.claims.number.as_str()), (kind, code.as_str()));
        assert_eq!(opened.claims.issuer.as_str(), halong);
        let (_, d) = json(app.get_as(&format!("/api/v1/dossiers/{code}"), &citizen).await).await;
        let due: jiff::Timestamp = d["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(opened.claims.due.map(|t| t.as_second()), Some(due.as_second()), "the date promised");
        let (ok, out) = motcua_verify_qr(&text, &ca);
        assert!(ok && out.contains("hẹn") && out.contains(&format!("/tra-cuu?ma={code}")), "{out}");
        let (ok, out) = pycose(&text, &ca);
        assert!(ok && out.contains(&code), "{out}");
    }

    let (result_png, result_text, result_claims) = &texts[0];
    assert_eq!(result_claims.kind, seal::PaperKind::Result);
    assert_eq!(result_claims.sha256, seal::sha256_bytes(&motcua_domain::audit::sha256_hex(RESULT)));
    assert_eq!(texts[1].2.kind, seal::PaperKind::Receipt);
    assert!(texts[1].2.amount.is_some_and(|a| a > 0), "the receipt's amount");

    // Forgeries: one changed byte, another organisation's key, an expired certificate.
    let x = motcua::documents::exchange::Exchange::new(
        app.db.store.clone(),
        Some(app.passphrase.clone()),
        Default::default(),
    );
    let other = x
        .identity(motcua_store::documents::CertRole::Org, Some(&motcua_domain::OrgCode::parse(&bhxh).unwrap()))
        .await
        .unwrap()
        .expect("the other organisation's identity");
    let ca_identity = x.identity(motcua_store::documents::CertRole::Ca, None).await.unwrap().expect("the CA");
    let expired = {
        let org = motcua_domain::OrgCode::parse(&halong).unwrap();
        let subject = motcua_exchange::pki::Subject { org: Some(&org), common_name: "UBND phường Hạ Long (cũ)" };
        let past = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
        let pass = app.passphrase.bytes();
        let issued = motcua_exchange::pki::issue(
            &ca_identity,
            &subject,
            motcua_exchange::KeyAlgorithm::EcdsaP256,
            1,
            Some(past),
            pass,
        )
        .unwrap();
        motcua_exchange::pki::load_identity(&issued.cert_pem, &issued.encrypted_key_pem, pass).unwrap()
    };
    let claims: &PaperClaims = result_claims;
    // A byte of the claims (they sit just before the 64-byte signature).
    let len = base45::decode(&result_text[seal::PREFIX.len()..]).unwrap().len();
    let bad = vec![
        ("one byte changed", one_byte_changed(result_text, len - 80), "sửa hoặc giả mạo"),
        ("another organisation's key", seal::seal(&other, claims).unwrap(), "không thuộc cơ quan ghi trên giấy tờ"),
        ("an expired certificate", seal::seal(&expired, claims).unwrap(), "hết hạn"),
    ];
    for (what, text, reason) in &bad {
        let err = seal::open(text, &anchors, jiff::Timestamp::now()).expect_err(what);
        assert!(err.to_string().contains(reason), "{what}: {err}");
        let (ok, out) = motcua_verify_qr(text, &ca);
        assert!(!ok && out.contains("KHÔNG HỢP LỆ") && out.contains(reason), "{what}: {out}");
        let (ok, out) = pycose(text, &ca);
        assert!(!ok && out.contains("refused"), "{what}: pycose accepted it: {out}");
    }
    // Every single byte changed is refused by motcua (the browser and pycose get one each).
    for at in 0..len {
        assert!(seal::open(&one_byte_changed(result_text, at), &anchors, jiff::Timestamp::now()).is_err(), "byte {at}");
    }

    // The browser page, network cut: the printed result sheet and form 01 are valid, each
    // forgery refused with its reason. Form 01's page is the taller (3,936 px at 3 pixels a
    // CSS pixel): shrunk to 1,600 px its seal is unreadable, so it needs the page's second,
    // larger reading.
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, serde_json::to_string(&bad).unwrap()).unwrap();
    let pngs = json!([result_png, dir.path().join("form-01.png")]);
    let env = [
        ("SEAL_PHASE", "check".to_owned()),
        ("SEAL_PNGS", pngs.to_string()),
        ("SEAL_BAD", bad_json.display().to_string()),
        // The browser's clock is the tests' (shifted in the shifted-clock run).
        ("SEAL_NOW", jiff::Timestamp::now().as_millisecond().to_string()),
    ];
    let out = e2e(&app, "seal.mjs", &env).expect("ran before");
    assert!(out.contains(&format!("seal ok {number} {code}")), "{out}");

    // Online, the verification page still says whether it was revoked since.
    let leader = app.token("halong.lanhdao").await;
    let body = json!({"number": number, "reason": "Ghi sai ngày sinh"});
    let (s, v) = json(app.post_json("/api/v1/revocations", &leader, body).await).await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = json(app.get(&format!("/api/v1/verify/{number}")).await).await;
    assert_eq!(v["valid"], false, "{v}");
    // Offline, the seal still verifies: it says to check online, which is what says revoked.
    let (ok, out) = motcua_verify_qr(result_text, &ca);
    assert!(ok && out.contains(&format!("/xac-minh/{number}")), "{out}");
}

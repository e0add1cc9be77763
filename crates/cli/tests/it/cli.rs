//! The `motcua` binary as a user runs it: serve, crash, restart, import, export, add users.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::process;

use motcua_store::testing::{Engine, TestDb};
use process::{Server, motcua, run, start_server, text};
use serde_json::Value;

async fn get_json(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.expect("json"))
}

async fn login(base: &str, username: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_survives_kill_9_and_loads_demo_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, base, lines) = start_server(dir.path(), &["--demo"]);
    let out = lines.join("\n");
    assert!(out.contains("Đã nạp dữ liệu mẫu"), "{out}");
    assert!(
        out.contains("stp.motcua") && out.contains("congdan") && out.contains(motcua::demo::DEMO_PASSWORD),
        "{out}"
    );
    assert!(dir.path().join("motcua.db").exists(), "SQLite file in the data dir");

    let (s, v) = get_json(&format!("{base}/healthz")).await;
    assert_eq!((s, v["database"].as_str()), (200, Some("sqlite")));
    assert_eq!(login(&base, "tienyen.lanhdao", motcua::demo::DEMO_PASSWORD).await, 200);
    let (_, before) = get_json(&format!("{base}/api/v1/procedures?limit=1")).await;
    // A dossier with a file, acknowledged just before the crash.
    let client = reqwest::Client::new();
    let token = |base: String| {
        let client = client.clone();
        async move {
            let r = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": "congdan", "password": motcua::demo::DEMO_PASSWORD}))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
        }
    };
    let form = reqwest::multipart::Form::new()
        .text("dossier", serde_json::json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 crash test".to_vec()).file_name("a.pdf"));
    let r = client
        .post(format!("{base}/api/v1/dossiers"))
        .bearer_auth(token(base.clone()).await)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let code = r.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned();

    // Crash, then start again with --demo: everything is there, nothing duplicated.
    server.kill9();
    let (server, base, lines) = start_server(dir.path(), &["--demo"]);
    assert!(lines.join("\n").contains("Dữ liệu mẫu đã có sẵn"), "{lines:?}");
    let (_, after) = get_json(&format!("{base}/api/v1/procedures?limit=1")).await;
    assert_eq!(before["total"], after["total"]);
    let (_, units) = get_json(&format!("{base}/api/v1/units?limit=1")).await;
    assert_eq!(units["total"], 3355);
    assert_eq!(login(&base, "tienyen.lanhdao", motcua::demo::DEMO_PASSWORD).await, 200);
    let t = token(base.clone()).await;
    let r = client.get(format!("{base}/api/v1/dossiers/{code}/attachments/1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200, "the acknowledged dossier and its file survived");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 crash test");
    server.kill9();
    let out = run(motcua(dir.path()).args(["audit", "verify"]), None);
    assert!(
        out.status.success() && text(&out.stdout).contains("Toàn vẹn"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_and_database_url_flags_override_environment() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let url = motcua_store::sqlite_url(&other.path().join("elsewhere.db"));
    let mut server = Server(
        motcua(dir.path())
            .env("MOTCUA_LISTEN", "127.0.0.1:1")
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(server.0.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    server.kill9();
    assert!(other.path().join("elsewhere.db").exists());
    assert!(!dir.path().join("motcua.db").exists(), "--database-url wins over the data dir");
}

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run(motcua(dir.path()).arg("demo"), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn exported_codes(dir: &Path) -> Vec<String> {
    let out = run(motcua(dir).args(["catalog", "export"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).expect("export is JSON");
    v.iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect()
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn procedure_json(code: &str, org: &str) -> String {
    serde_json::json!({
        "code": code, "name": "Thủ tục thử nghiệm", "field": "Thử nghiệm", "level": "province",
        "agency": "Sở Tư pháp", "organisations": [org], "online": "full",
        "time_limit": {"kind": "working_days", "value": 5}, "fees": [],
        "components": [{"name": "Tờ khai", "required": true, "form": "original"}],
        "applicants": ["Công dân Việt Nam"], "legal_basis": ["Luật thử nghiệm"],
        "result": "Kết quả", "description": "Mô tả"
    })
    .to_string()
}

#[test]
fn catalog_import_reports_every_bad_record_and_loads_nothing() {
    let dir = demo_dir();
    let before = exported_codes(dir.path());
    let file = write(
        dir.path(),
        "bad.json",
        &format!(
            "[\n{},\n{},\n{},\n{}\n]\n",
            procedure_json("9.000001", "000.00.01.H22"),
            procedure_json("not-a-code", "000.00.01.H22"),
            procedure_json("9.000003", "000.00.99.H22"),
            procedure_json("9.000001", "000.00.01.H22"),
        ),
    );
    let out = run(motcua(dir.path()).args(["catalog", "import"]).arg(&file), None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("3 bản ghi không hợp lệ"), "{err}");
    assert!(err.contains("bản ghi #2 (dòng 3, cột"), "{err}");
    assert!(err.contains("Mã thủ tục hành chính không hợp lệ"), "{err}");
    assert!(err.contains("bản ghi #3 (dòng 4, cột 1): cơ quan 000.00.99.H22 chưa có"), "{err}");
    assert!(err.contains("bản ghi #4 (dòng 5, cột 1): mã thủ tục 9.000001 trùng với bản ghi #1"), "{err}");
    assert_eq!(exported_codes(dir.path()), before, "nothing was loaded");

    let bad_syntax = write(dir.path(), "syntax.json", "[\n{\"code\": \n");
    let out = run(motcua(dir.path()).args(["catalog", "import"]).arg(&bad_syntax), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("dòng"), "{}", text(&out.stderr));

    // A good file loads, from a path or from stdin, and export gives it back.
    let good = write(dir.path(), "good.json", &format!("[{}]", procedure_json("9.000001", "000.00.01.H22")));
    let out = run(motcua(dir.path()).args(["catalog", "import"]).arg(&good), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Đã nạp 1 thủ tục"));
    let out = run(
        motcua(dir.path()).args(["catalog", "import", "-"]),
        Some(&format!("[{}]", procedure_json("9.000002", "000.00.01.H22"))),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = exported_codes(dir.path());
    assert_eq!(after.len(), before.len() + 2);
    assert!(after.contains(&"9.000001".to_owned()) && after.contains(&"9.000002".to_owned()));
}

#[test]
fn catalog_export_round_trips_through_import() {
    let dir = demo_dir();
    let out = run(motcua(dir.path()).args(["catalog", "export"]), None);
    let exported = text(&out.stdout);
    let file = write(dir.path(), "export.json", &exported);
    let out = run(motcua(dir.path()).args(["catalog", "import"]).arg(&file), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = run(motcua(dir.path()).args(["catalog", "export"]), None);
    assert_eq!(text(&again.stdout), exported);
}

#[test]
fn units_import_reports_positions_and_accepts_the_published_list() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "units.json",
        "[\n{\"code\":\"22\",\"name\":\"Quảng Ninh\",\"kind\":\"tỉnh\"},\n{\"code\":\"06688\",\"name\":\"Phường Hạ Long\",\"kind\":\"phường\",\"parent\":\"99\"},\n{\"code\":\"x\",\"name\":\"Sai\",\"kind\":\"xã\",\"parent\":\"22\"}\n]",
    );
    let out = run(motcua(dir.path()).args(["units", "import"]).arg(&bad), None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bản ghi #3 (dòng 4"), "{err}");
    let out = run(motcua(dir.path()).args(["units", "export"]), None);
    assert_eq!(text(&out.stdout), "[\n]\n", "nothing loaded");

    // The built-in list: 34 provinces and 3,321 communes.
    let out = run(motcua(dir.path()).args(["units", "import"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("3355"));
    let exported = text(&run(motcua(dir.path()).args(["units", "export"]), None).stdout);
    let units: Vec<Value> = serde_json::from_str(&exported).unwrap();
    assert_eq!(units.iter().filter(|u| u["parent"].is_null()).count(), 34);
    assert_eq!(units.iter().filter(|u| !u["parent"].is_null()).count(), 3321);
    assert_eq!(exported, motcua::demo::UNITS_2025, "the shipped file is exactly what export writes");

    // The shipped file is generated from the published list: importing that gives the same.
    let published = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vn-divisions-2025.json");
    if published.exists() {
        let fresh = tempfile::tempdir().unwrap();
        let out = run(motcua(fresh.path()).args(["units", "import"]).arg(&published), None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let regenerated = text(&run(motcua(fresh.path()).args(["units", "export"]), None).stdout);
        assert_eq!(regenerated, motcua::demo::UNITS_2025);
    } else {
        eprintln!("shared/data not beside the checkout: regeneration check not run");
    }
}

#[test]
fn orgs_import_checks_units_and_parents() {
    let dir = demo_dir();
    let file = write(
        dir.path(),
        "orgs.json",
        r#"[
{"code":"003.00.37.H22","name":"Bộ phận thử","kind":"other","unit":"06688","parent":"000.00.37.H22"},
{"code":"004.00.37.H22","name":"Sai đơn vị","kind":"other","unit":"99999"},
{"code":"005.00.37.H22","name":"Sai cấp trên","kind":"other","unit":"06688","parent":"009.09.09.H22"}
]"#,
    );
    let out = run(motcua(dir.path()).args(["orgs", "import"]).arg(&file), None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("2 bản ghi") && err.contains("99999") && err.contains("009.09.09.H22"), "{err}");
    let good = write(
        dir.path(),
        "good.json",
        r#"[{"code":"003.01.37.H22","name":"Tổ con","kind":"other","unit":"06688","parent":"003.00.37.H22"},
{"code":"003.00.37.H22","name":"Bộ phận thử","kind":"other","unit":"06688","parent":"000.00.37.H22"}]"#,
    );
    let out = run(motcua(dir.path()).args(["orgs", "import"]).arg(&good), None);
    assert!(out.status.success(), "child before parent in the file is fine: {}", text(&out.stderr));
    let exported = text(&run(motcua(dir.path()).args(["orgs", "export"]), None).stdout);
    assert!(exported.contains("003.01.37.H22"));
}

/// `motcua user add ARGS`, the password on stdin; returns (success, stdout, stderr).
fn user_add(dir: &Path, args: &[&str], password: &str) -> (bool, String, String) {
    let out = run(motcua(dir).args(["user", "add"]).args(args), Some(&format!("{password}\n")));
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn user_add_reads_password_from_stdin() {
    let dir = demo_dir();
    let d = dir.path();
    let staff = ["--username", "stp.thu", "--full-name", "Phạm Thị Thu", "--role", "000.00.01.H22:clerk"];
    let (ok, out, err) = user_add(d, &[&staff[..], &["--email", "thu@example.vn"]].concat(), "Ha-Long-2025!");
    assert!(ok && out.contains("Đã tạo tài khoản stp.thu"), "{err}");

    // Each refusal says why.
    let cases: [(&[&str], &str, &str); 5] = [
        (&staff, "Ha-Long-2025!", "đã được dùng"),
        (
            &["--username", "stp.ngan", "--full-name", "A", "--role", "000.00.01.H22:clerk"],
            "ngan",
            "Mật khẩu không đạt yêu cầu",
        ),
        (
            &["--username", "x.y", "--full-name", "A", "--role", "000.00.01.H22:king"],
            "Ha-Long-2025!",
            "vai trò không hợp lệ",
        ),
        (
            &["--username", "x.y", "--full-name", "A", "--role", "000.99.99.H22:clerk"],
            "Ha-Long-2025!",
            "chưa có trong hệ thống",
        ),
        (&["--username", "x.y", "--full-name", "A", "--citizen"], "Ha-Long-2025!", "phải có số căn cước"),
    ];
    for (args, password, expected) in cases {
        let (ok, _, err) = user_add(d, args, password);
        assert!(!ok && err.contains(expected), "{args:?}: {err}");
    }

    let citizen = ["--username", "dan.moi", "--full-name", "Dân Mới", "--citizen", "--cccd", "022301001234"];
    let (ok, _, err) = user_add(d, &citizen, "Cong-dan-2025");
    assert!(ok, "{err}");

    // Locking and unlocking from the command line.
    let out = run(motcua(d).args(["user", "disable", "dan.moi"]), None);
    assert!(text(&out.stdout).contains("Đã khóa tài khoản dan.moi"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["user", "disable", "khong.co"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("không có tài khoản khong.co"));

    // The new staff member can log in on a server over the same data; the locked citizen
    // cannot until unlocked.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, base, _) = start_server(d, &[]);
    assert_eq!(rt.block_on(login(&base, "stp.thu", "Ha-Long-2025!")), 200);
    assert_eq!(rt.block_on(login(&base, "dan.moi", "Cong-dan-2025")), 403);
    let out = run(motcua(d).args(["user", "enable", "dan.moi"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rt.block_on(login(&base, "dan.moi", "Cong-dan-2025")), 200);

    // An officer who forgot their password: the administrator sets a new one from the command
    // line, and every session of the account ends.
    let session = rt.block_on(async {
        let body = serde_json::json!({"username": "stp.thu", "password": "Ha-Long-2025!"});
        let r = reqwest::Client::new().post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    });
    let me = |token: String| {
        let base = base.clone();
        async move {
            let r = reqwest::Client::new().get(format!("{base}/api/v1/me")).bearer_auth(token).send().await.unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(rt.block_on(me(session.clone())), 200);
    let out = run(motcua(d).args(["user", "password", "stp.thu"]), Some("ngan\n"));
    assert!(!out.status.success() && text(&out.stderr).contains("Mật khẩu không đạt yêu cầu"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["user", "password", "khong.co"]), Some("Mat-khau-moi-2026\n"));
    assert!(!out.status.success() && text(&out.stderr).contains("không có tài khoản khong.co"));
    assert_eq!(rt.block_on(me(session.clone())), 200, "a refused change ends nothing");
    let out = run(motcua(d).args(["user", "password", "stp.thu"]), Some("Mat-khau-moi-2026\n"));
    assert!(text(&out.stdout).contains("Đã đặt mật khẩu mới cho stp.thu"), "{}", text(&out.stderr));
    assert_eq!(rt.block_on(me(session)), 401, "the officer's sessions ended");
    assert_eq!(rt.block_on(login(&base, "stp.thu", "Ha-Long-2025!")), 401);
    assert_eq!(rt.block_on(login(&base, "stp.thu", "Mat-khau-moi-2026")), 200);

    // The second factor from the command line: the organisation's policy, then a lost phone.
    let policy =
        |roles: &str, org: &str| run(motcua(d).args(["orgs", "second-factor", "--org", org, "--roles", roles]), None);
    let out = policy("boss", "000.00.01.H22");
    assert!(!out.status.success() && text(&out.stderr).contains("vai trò không hợp lệ"), "{}", text(&out.stderr));
    let out = policy("clerk", "000.99.99.H22");
    assert!(!out.status.success() && text(&out.stderr).contains("không có cơ quan"), "{}", text(&out.stderr));
    assert_eq!(rt.block_on(login(&base, "stp.thu", "Mat-khau-moi-2026")), 200, "the demo asks nobody");
    let out = policy("clerk", "000.00.01.H22");
    assert!(text(&out.stdout).contains("các vai trò phải xác thực hai lớp: clerk"), "{}", text(&out.stderr));
    let enrolled = rt.block_on(async {
        let client = reqwest::Client::new();
        let body = serde_json::json!({"username": "stp.thu", "password": "Mat-khau-moi-2026"});
        let r = client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 202, "a clerk is asked now");
        // The code at the server's time (its Date header): under scripts/test-at the server
        // process and Python are shifted from different starts.
        let date = r.headers()["date"].to_str().unwrap().to_owned();
        let at = jiff::fmt::rfc2822::parse(&date).unwrap().timestamp().as_second();
        let v: serde_json::Value = r.json().await.unwrap();
        let script = "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))";
        let secret = v["secret"].as_str().unwrap();
        let code =
            std::process::Command::new("python3").args(["-c", script, secret, &at.to_string()]).output().unwrap();
        let code = String::from_utf8(code.stdout).unwrap();
        let body = serde_json::json!({"challenge": v["challenge"], "code": code.trim()});
        let r = client.post(format!("{base}/api/v1/auth/login/second-factor")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    });
    assert_eq!(rt.block_on(me(enrolled.clone())), 200);
    let out = run(motcua(d).args(["user", "second-factor-reset", "stp.thu"]), None);
    assert!(text(&out.stdout).contains("Đã xóa xác thực hai lớp của stp.thu"), "{}", text(&out.stderr));
    assert_eq!(rt.block_on(me(enrolled)), 401, "the lost phone's sessions ended");
    let out = run(motcua(d).args(["user", "second-factor-reset", "stp.thu"]), None);
    assert!(text(&out.stdout).contains("chưa đăng ký xác thực hai lớp"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["user", "second-factor-reset", "khong.co"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("không có tài khoản khong.co"));
    let out = policy("none", "000.00.01.H22");
    assert!(text(&out.stdout).contains("Đã tắt xác thực hai lớp"), "{}", text(&out.stderr));
    assert_eq!(rt.block_on(login(&base, "stp.thu", "Mat-khau-moi-2026")), 200, "turned off");
    server.kill9();
}

/// The same binary on PostgreSQL, chosen by the URL alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_runs_on_postgres() {
    let Some(db) = TestDb::new(Engine::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run(motcua(dir.path()).args(["--database-url", &db.url, "migrate"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(motcua(dir.path()).env("MOTCUA_DATABASE_URL", &db.url).arg("demo"), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(motcua(dir.path()).env("MOTCUA_DATABASE_URL", &db.url).arg("demo"), None);
    assert!(text(&out.stdout).contains("đã có sẵn"));
    assert!(!dir.path().join("motcua.db").exists(), "no SQLite file when a PostgreSQL URL is given");
    let (server, base, _) = start_server(dir.path(), &["--database-url", &db.url]);
    let (s, v) = get_json(&format!("{base}/healthz")).await;
    assert_eq!((s, v["database"].as_str()), (200, Some("postgres")));
    let (_, v) = get_json(&format!("{base}/api/v1/units?parent=22&limit=1")).await;
    assert_eq!(v["total"], 54);
    server.kill9();
}

#[test]
fn calendar_holidays_due_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(motcua(d).args(["calendar", "holidays", "--year", "2024"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = text(&out.stdout);
    // Tết Giáp Thìn: 09/02 (eve) to 13/02; Hùng Kings 18/04.
    for expected in
        ["2024-01-01\tTết Dương lịch", "2024-02-09\t", "2024-02-10\tTết Nguyên đán (mùng 1)", "2024-04-18\tGiỗ Tổ"]
    {
        assert!(lines.contains(expected), "{expected} in\n{lines}");
    }
    assert!(lines.lines().all(|l| l.len() > 11 && l.as_bytes()[10] == b'\t'), "{lines}");

    let due = |args: &[&str]| {
        let out = run(motcua(d).args(["calendar", "due"]).args(args), None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    assert_eq!(due(&["--from", "2025-03-03T09:00:00+07:00", "--days", "3"]), "2025-03-06T09:00:00+07:00");
    assert_eq!(due(&["--from", "2025-03-03T16:00:00+07:00", "--hours", "3"]), "2025-03-04T10:30:00+07:00");
    // Configuration: a later cut-off keeps 16:00 on the same day.
    assert_eq!(
        due(&["--cutoff", "16:30", "--from", "2025-03-03T16:00:00+07:00", "--hours", "3"]),
        "2025-03-04T09:30:00+07:00"
    );
    let out = run(
        motcua(d).env("MOTCUA_WORKING_HOURS", "08:00-12:00").args(["calendar", "holidays", "--year", "2025"]),
        None,
    );
    assert!(!out.status.success() && text(&out.stderr).contains("hai buổi"), "{}", text(&out.stderr));

    // Announced swaps: the built-in list, or a file; a bad file changes nothing.
    let before = due(&["--from", "2025-01-27T10:00:00+07:00", "--days", "2"]);
    assert_eq!(before, "2025-02-05T10:00:00+07:00", "by the rules alone");
    let out = run(motcua(d).args(["calendar", "load"]), None);
    assert!(text(&out.stdout).contains("Đã nạp 4 ngày"), "{}", text(&out.stderr));
    assert_eq!(due(&["--from", "2025-01-27T10:00:00+07:00", "--days", "2"]), "2025-02-04T17:00:00+07:00");
    let bad = write(
        d,
        "adj.json",
        r#"[{"date":"2025-06-02","kind":"off","name":"A"},{"date":"2025-06-02","kind":"work","name":"B"}]"#,
    );
    let out = run(motcua(d).args(["calendar", "load"]).arg(&bad), None);
    assert!(!out.status.success() && text(&out.stderr).contains("hai lần"), "{}", text(&out.stderr));
    let good = write(d, "adj2.json", r#"[{"date":"2025-06-02","kind":"off","name":"Nghỉ đột xuất"}]"#);
    let out = run(motcua(d).args(["calendar", "load"]).arg(&good), None);
    assert!(out.status.success());
    let lines = text(&run(motcua(d).args(["calendar", "holidays", "--year", "2025"]), None).stdout);
    assert!(lines.contains("2025-06-02\tNghỉ đột xuất"), "{lines}");
}

#[test]
fn bad_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(motcua(dir.path()).args(["--database-url", "mysql://x", "migrate"]), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("chỉ hỗ trợ sqlite"), "{}", text(&out.stderr));
}

/// `motcua assistant eval` over the shipped evaluation set: the figures it prints hold, as a
/// floor against regressions: the issue's targets, top-1 ≥ 85 %, top-3 ≥ 95 %.
#[test]
fn assistant_eval_set_scores() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/assistant/eval-questions.jsonl");
    let out = run(motcua(dir.path()).args(["assistant", "eval", set]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let pct = |label: &str| -> f64 {
        let line = stdout.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label}: {stdout}"));
        let at = line.find("= ").unwrap() + 2;
        line[at..].split(' ').next().unwrap().parse().unwrap()
    };
    let questions: usize = stdout.split(' ').next().unwrap().parse().unwrap();
    assert!(questions >= 200, "{stdout}");
    assert!(pct("top-3:") >= 95.0, "{stdout}");
    assert!(pct("top-1:") >= 85.0, "{stdout}");
    // The questions labelled with what they ask: on the held-out half (never used to tune),
    // the issue's targets — the procedure first ≥ 95 %, the answer states what was asked
    // ≥ 90 %, asked back ≤ 10 %.
    let facts = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/assistant/facts-questions.jsonl");
    let out = run(motcua(dir.path()).args(["assistant", "eval", facts]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let held = stdout.lines().find(|l| l.starts_with("[heldout]")).unwrap_or_else(|| panic!("{stdout}"));
    let figure = |label: &str| -> f64 {
        let at = held.find(label).unwrap_or_else(|| panic!("{label}: {held}")) + label.len();
        held[at..].trim_start().split(' ').next().unwrap().parse().unwrap()
    };
    // At least 400 labelled questions, half of them held out; the held-out misses are counted,
    // never printed (nothing can be tuned on them).
    let count = |set: &str| -> usize {
        let line = stdout.lines().find(|l| l.starts_with(set)).unwrap_or_else(|| panic!("{set}: {stdout}"));
        line[set.len()..].trim_start().split(' ').next().unwrap().parse().unwrap()
    };
    assert!(count("[heldout]") >= 200 && count("[heldout]") + count("[tuning]") >= 400, "{stdout}");
    let labelled = std::fs::read_to_string(facts).unwrap();
    for line in labelled.lines().filter(|l| l.contains("\"heldout\"")) {
        let q: serde_json::Value = serde_json::from_str(line).unwrap();
        let q = format!("«{}»", q["q"].as_str().unwrap());
        assert!(!stdout.contains(&q), "a held-out question is shown: {q}");
    }
    assert!(figure("(top-1)") >= 95.0, "{held}");
    assert!(figure("nêu đúng điều được hỏi") >= 90.0, "{held}");
    assert!(figure("hỏi lại") <= 10.0, "{held}");
    assert!(stdout.lines().any(|l| l.starts_with("[tuning]")), "{stdout}");
    // A malformed line is named, not skipped.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"q\": \"khai sinh\", \"code\": \"1.001193\"}\nnot json\n").unwrap();
    let out = run(motcua(dir.path()).args(["assistant", "eval", bad.to_str().unwrap()]), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("dòng 2"), "{}", text(&out.stderr));
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl").args(args).output().expect("openssl is installed")
}

#[test]
fn pki_and_peer_commands_keep_keys_encrypted() {
    let dir = demo_dir();
    let d = dir.path();
    let org = "000.00.37.H22";
    let out = run(motcua(d).args(["pki", "issue", "--org", org]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("pki init"), "{}", text(&out.stderr));

    let out = run(motcua(d).args(["pki", "init", "--name", "CA Quảng Ninh"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Đã tạo CA") && text(&out.stdout).contains("CA Quảng Ninh"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("keys/passphrase")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key passphrase is readable by its owner only");
    }
    let out = run(motcua(d).args(["pki", "init"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("đã có"), "{}", text(&out.stderr));

    let out = run(motcua(d).args(["pki", "issue", "--org", org, "--algorithm", "rsa"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["pki", "issue", "--org", "000.00.99.H99"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("không có cơ quan"));
    let out = run(motcua(d).args(["pki", "issue", "--org", org, "--algorithm", "dsa"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("--algorithm"));

    // The CA certificate is a valid X.509 certificate for openssl.
    let out = run(motcua(d).args(["pki", "export-ca"]), None);
    assert!(out.status.success());
    let ca = write(d, "ca.pem", &text(&out.stdout));
    let x = openssl(&["x509", "-in", ca.to_str().unwrap(), "-noout", "-subject"]);
    assert!(x.status.success() && text(&x.stdout).contains("CA Qu"), "{}", text(&x.stdout));

    // An outside CA's certificate for the organisation, brought as PKCS#12.
    let p = |n: &str| d.join(n).to_string_lossy().into_owned();
    assert!(
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &p("out-ca.key"),
            "-out",
            &p("out-ca.pem"),
            "-days",
            "30",
            "-subj",
            "/CN=Outside CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign"
        ])
        .status
        .success()
    );
    assert!(
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &p("o.key"),
            "-out",
            &p("o.csr"),
            "-subj",
            "/O=UBND/CN=000.00.32.H22"
        ])
        .status
        .success()
    );
    assert!(
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p("o.csr"),
            "-CA",
            &p("out-ca.pem"),
            "-CAkey",
            &p("out-ca.key"),
            "-CAcreateserial",
            "-out",
            &p("o.pem"),
            "-days",
            "30"
        ])
        .status
        .success()
    );
    assert!(
        openssl(&[
            "pkcs12",
            "-export",
            "-in",
            &p("o.pem"),
            "-inkey",
            &p("o.key"),
            "-out",
            &p("o.p12"),
            "-passout",
            "pass:bi-mat"
        ])
        .status
        .success()
    );
    let out = run(motcua(d).args(["pki", "import", "--org", "000.00.32.H22", "--p12", &p("o.p12")]), None);
    assert!(!out.status.success(), "wrong (empty) password");
    let out = run(
        motcua(d).env("MOTCUA_IMPORT_PASSWORD", "bi-mat").args([
            "pki",
            "import",
            "--org",
            "000.00.32.H22",
            "--p12",
            &p("o.p12"),
        ]),
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A certificate that names another organisation is refused.
    let out = run(
        motcua(d).env("MOTCUA_IMPORT_PASSWORD", "bi-mat").args(["pki", "import", "--org", org, "--p12", &p("o.p12")]),
        None,
    );
    assert!(!out.status.success() && text(&out.stderr).contains("000.00.32.H22"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["pki", "trust", &p("out-ca.pem")]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(motcua(d).args(["pki", "list"]), None);
    let list = text(&out.stdout);
    assert!(list.contains(&format!("org\t{org}\thiệu lực")) && list.contains("org\t000.00.32.H22\thiệu lực"), "{list}");
    assert!(list.contains("ca\t-\thiệu lực") && list.contains("trusted\t-"), "{list}");
    assert!(!list.contains("PRIVATE KEY"));
    // On disk, keys exist only encrypted.
    // The database file and its write-ahead log: a process that ends before a checkpoint
    // leaves the newest pages in the log, and both are on disk.
    let mut db = std::fs::read(d.join("motcua.db")).unwrap();
    db.extend(std::fs::read(d.join("motcua.db-wal")).unwrap_or_default());
    let contains = |needle: &[u8]| db.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"BEGIN ENCRYPTED PRIVATE KEY"));
    assert!(
        !contains(b"BEGIN PRIVATE KEY") && !contains(b"BEGIN EC PRIVATE KEY") && !contains(b"BEGIN RSA PRIVATE KEY")
    );

    // A partner server.
    let peer = |orgs: &[&str]| {
        let mut c = motcua(d);
        c.args(["peer", "add", "--name", "hungyen", "--url", "https://vanban.example.vn", "--ca", &p("out-ca.pem")]);
        for o in orgs {
            c.args(["--org", o]);
        }
        run(&mut c, None)
    };
    let out = peer(&[org]);
    assert!(!out.status.success() && text(&out.stderr).contains("thuộc máy chủ này"));
    let out = peer(&["000.00.00.H26=UBND tỉnh Hưng Yên", "000.00.01.H26"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["peer", "list"]), None);
    assert!(
        text(&out.stdout).contains("hungyen\thttps://vanban.example.vn\t")
            && text(&out.stdout).contains("000.00.00.H26,000.00.01.H26")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_documents_survive_kill_9_and_are_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, base, lines) = start_server(dir.path(), &["--demo"]);
    assert!(lines.join("\n").contains("chứng thư số"), "{lines:?}");
    let client = reqwest::Client::new();
    let token = async |base: &str, user: &str| {
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": user, "password": motcua::demo::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    };
    let sender = token(&base, "stp.vanthu").await;
    let me: Value =
        client.get(format!("{base}/api/v1/me")).bearer_auth(&sender).send().await.unwrap().json().await.unwrap();
    let from = me["roles"][0]["org"].as_str().unwrap().to_owned();
    // Sends in parallel, then the process is killed while deliveries are under way.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (client, base, sender, from) = (client.clone(), base.clone(), sender.clone(), from.clone());
        tasks.spawn(async move {
            let doc = serde_json::json!({
                "from": from, "to": ["000.00.37.H22", "000.00.31.H22"], "notation": "STP-VP",
                "document_type": "Công văn", "subject": format!("V/v thử sự cố {i}"), "signer_name": "Lê Thị Hằng"
            });
            let r = client.post(format!("{base}/api/v1/documents")).bearer_auth(&sender).json(&doc).send().await;
            match r {
                Ok(r) if r.status() == 201 => {
                    r.json::<Value>().await.ok().and_then(|v| v["document_id"].as_str().map(str::to_owned))
                }
                _ => None,
            }
        });
        if i == 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let mut acknowledged = Vec::new();
    let mut killed = Some(server);
    while let Some(r) = tasks.join_next().await {
        if let Some(id) = r.unwrap() {
            acknowledged.push(id);
        }
        if acknowledged.len() == 20
            && let Some(s) = killed.take()
        {
            s.kill9();
        }
    }
    drop(killed);
    assert!(acknowledged.len() >= 20, "{} acknowledged", acknowledged.len());

    // Restarted: every acknowledged document is in the outgoing register and reaches both
    // recipients exactly once.
    let (server, base, _) = start_server(dir.path(), &[]);
    let sender = token(&base, "stp.vanthu").await;
    let (_, out) = {
        let r = client
            .get(format!("{base}/api/v1/documents?direction=out&limit=500"))
            .bearer_auth(&sender)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let ids: Vec<&str> = out["items"].as_array().unwrap().iter().map(|d| d["document_id"].as_str().unwrap()).collect();
    for a in &acknowledged {
        assert!(ids.contains(&a.as_str()), "{a} survived the crash");
    }
    let clerk = token(&base, "halong.vanthu").await;
    let mut incoming = Value::Null;
    for _ in 0..200 {
        let r = client
            .get(format!("{base}/api/v1/documents?direction=in&limit=500"))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        incoming = r.json::<Value>().await.unwrap();
        if incoming["total"].as_u64() == Some(ids.len() as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(incoming["total"].as_u64(), Some(ids.len() as u64), "each sent document arrived once");
    let mut numbers: Vec<i64> =
        incoming["items"].as_array().unwrap().iter().map(|d| d["number"].as_i64().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=ids.len() as i64).collect::<Vec<_>>());
    server.kill9();
}

/// `demo --synthetic N` on SQLite and PostgreSQL: the dossiers pass `audit verify` (their
/// event chains are sealed), `stats check` finds the counters equal to a recount and fails
/// once a counter is damaged, `stats rebuild` mends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_dossiers_are_audited_and_counted() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(db) = TestDb::new(engine).await else { continue };
        let dir = tempfile::tempdir().unwrap();
        let cmd = |args: &[&str]| {
            let mut c = motcua(dir.path());
            c.arg("--database-url").arg(&db.url).args(args);
            run(&mut c, None)
        };
        let out = cmd(&["demo", "--synthetic", "150", "--seed", "3"]);
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains("Đã sinh 150 hồ sơ mẫu"), "{}", text(&out.stdout));
        // Again: 150 more, numbered after the first ones.
        assert!(cmd(&["demo", "--synthetic", "150", "--seed", "4"]).status.success());
        if engine == Engine::Postgres {
            // The load ends with a VACUUM: the dossiers' pages are marked visible to all, so
            // the index-only reads of the lists need not visit them (ANALYZE alone marks none).
            let visible =
                db.scalar("SELECT CAST(relallvisible AS BIGINT) FROM pg_class WHERE oid = 'dossiers'::regclass").await;
            assert!(visible > 0, "no page of the dossiers marked visible to all");
        }
        let out = cmd(&["audit", "verify"]);
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        let out = cmd(&["stats", "check"]);
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains("khớp"), "{}", text(&out.stdout));
        let dossiers = db.execute_raw("UPDATE dossiers SET status = status WHERE 1 = 1").await;
        assert_eq!(dossiers, 300, "{engine:?}");
        db.execute_raw(
            "UPDATE stat_months SET finished = finished + 1 WHERE month = (SELECT MAX(month) FROM stat_months)",
        )
        .await;
        db.execute_raw("UPDATE stat_days SET finished = finished + 1 WHERE day = (SELECT MAX(day) FROM stat_days)")
            .await;
        let out = cmd(&["stats", "check"]);
        assert!(!out.status.success(), "a damaged counter is found");
        assert!(text(&out.stderr).contains("stats rebuild"), "{}", text(&out.stderr));
        let out = cmd(&["stats", "rebuild"]);
        assert!(out.status.success() && text(&out.stdout).contains("300 hồ sơ"), "{}", text(&out.stdout));
        assert!(cmd(&["stats", "check"]).status.success());
    }
}

/// Citizen ID numbers, passwords, phone numbers and session tokens never reach the log, even
/// at the most verbose level, through registration, sign-in, the kiosk and a submission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_citizen_ids_passwords_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Server(
        motcua(dir.path())
            .env("MOTCUA_LISTEN", "127.0.0.1:0")
            .env("MOTCUA_LOG", "trace")
            .args(["serve", "--demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    let mut out = BufReader::new(server.0.stdout.take().unwrap());
    while !first.contains("http://") {
        first.clear();
        assert!(out.read_line(&mut first).unwrap() > 0, "no URL printed");
    }
    let base = first[first.find("http://").unwrap()..].split_whitespace().next().unwrap().to_owned();
    let client = reqwest::Client::new();
    let (cccd, password, phone) = ("001190012345", "Mat-khau-Rat-Rieng-2025", "0987001122");
    let r = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"username": "an.log", "full_name": "Lê Thị An", "cccd": cccd,
            "phone": phone, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let challenge = r.json::<Value>().await.unwrap()["challenge"].as_str().unwrap().to_owned();
    // The code sent to the phone, read from the server's own outbox.
    let db = motcua_store::connect(&motcua_store::sqlite_url(&dir.path().join("motcua.db")), &Default::default())
        .await
        .unwrap();
    let sms = db.messages_about("otp:reg:").await.unwrap().into_iter().find(|n| n.note.channel == "sms").unwrap();
    let code = sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned();
    let r = client
        .post(format!("{base}/api/v1/accounts/confirm"))
        .json(&serde_json::json!({"challenge": challenge, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let wrong = serde_json::json!({"username": "an.log", "password": format!("{password}x")});
    assert_eq!(client.post(format!("{base}/api/v1/auth/login")).json(&wrong).send().await.unwrap().status(), 401);
    let qr = format!("{cccd}|123456789|Lê Thị An|15031990|Nữ|Phường Hạ Long, tỉnh Quảng Ninh|20042021");
    let r = client.post(format!("{base}/api/v1/kiosk/chip-id")).json(&serde_json::json!({"qr": qr})).send().await;
    assert_eq!(r.unwrap().status(), 200);
    let r = client.post(format!("{base}/api/v1/kiosk/code")).json(&serde_json::json!({"cccd": cccd})).send().await;
    assert_eq!(r.unwrap().status(), 202);
    let bad_qr = format!("{cccd}|x|y");
    let r = client.post(format!("{base}/api/v1/kiosk/chip-id")).json(&serde_json::json!({"qr": bad_qr})).send().await;
    assert_eq!(r.unwrap().status(), 400);
    let r = client
        .post(format!("{base}/api/v1/dossiers"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"procedure": "1.004873", "org": "000.00.37.H22"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client.get(format!("{base}/api/v1/me?cccd={cccd}")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Let the notifier send (and log) the messages of these events.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.lines().count() > 20, "trace logging is on: {logged}");
    for secret in [cccd, password, phone, token.as_str(), code.as_str()] {
        // A number counts as itself, not inside a longer number or as the fraction of one: a
        // 6-digit code may equal the microseconds of a timestamp (`16:55:00.254566Z` once,
        // under the shifted clock), which is not the code logged.
        let numeric = secret.bytes().all(|b| b.is_ascii_digit());
        let logged_as_value = logged.match_indices(secret).any(|(i, _)| {
            let mut before = logged[..i].chars().rev();
            let (b1, b2) = (before.next(), before.next());
            let after = logged[i + secret.len()..].chars().next();
            let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
            let fraction = b1 == Some('.') && digit(b2);
            !numeric || !(digit(b1) || digit(after) || fraction)
        });
        assert!(!logged_as_value, "{secret} is in the log:\n{logged}");
    }
}

/// docs/configuration.md is what the binary says about itself: every command, option,
/// environment variable and default (`MOTCUA_UPDATE_SNAPSHOTS=1` rewrites it).
#[test]
fn the_configuration_reference_is_the_binarys_own() {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua")).arg("config-reference").output().expect("run motcua");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let generated = text(&out.stdout);
    for expected in
        ["## `motcua serve`", "`MOTCUA_LISTEN`", "`127.0.0.1:8080`", "## `motcua user add`", "`MOTCUA_DATA_DIR`"]
    {
        assert!(generated.contains(expected), "{expected} missing from the reference");
    }
    // Hidden commands stay out of it.
    assert!(!generated.contains("## `motcua config-reference`"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    if std::env::var("MOTCUA_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write docs/configuration.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/configuration.md differs from `motcua config-reference`; regenerate it with \
         MOTCUA_UPDATE_SNAPSHOTS=1 cargo nextest run -p motcua-cli --test it configuration_reference"
    );
}

#[test]
fn workflows_are_exported_and_stored_as_new_versions() {
    let dir = demo_dir();
    let out = run(motcua(dir.path()).args(["catalog", "workflows"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        list.iter().map(|w| (w["code"].as_str().unwrap(), w["version"].as_u64())).collect::<Vec<_>>(),
        [
            ("5-buoc", Some(1)),
            ("lien-thong", Some(1)),
            ("lien-thong-khai-sinh", Some(1)),
            ("lien-thong-khai-tu", Some(1))
        ]
    );
    // The same text again: nothing new.
    let same = write(dir.path(), "same.json", &text(&out.stdout));
    let out = run(motcua(dir.path()).args(["catalog", "import-workflows"]).arg(&same), None);
    assert!(
        text(&out.stdout).contains("Đã lưu 0 phiên bản quy trình mới (4 quy trình không đổi)"),
        "{}",
        text(&out.stdout)
    );
    // A step renamed: version 2 of that one workflow, from stdin.
    list[0]["steps"][0]["name"] = Value::from("Tiếp nhận hồ sơ");
    let out = run(
        motcua(dir.path()).args(["catalog", "import-workflows", "-"]),
        Some(&Value::from(list.clone()).to_string()),
    );
    assert!(text(&out.stdout).contains("Đã lưu 1 phiên bản quy trình mới"), "{}", text(&out.stderr));
    let out = run(motcua(dir.path()).args(["catalog", "workflows"]), None);
    let now: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((now[0]["version"].as_u64(), now[0]["steps"][0]["name"].as_str()), (Some(2), Some("Tiếp nhận hồ sơ")));
    // A broken one stores nothing and says why.
    list[0]["steps"][0]["next"] = Value::from("khong-co");
    list[0]["steps"][1]["name"] = Value::from("Đổi nữa");
    let out = run(motcua(dir.path()).args(["catalog", "import-workflows", "-"]), Some(&Value::from(list).to_string()));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("bước không tồn tại khong-co"), "{}", text(&out.stderr));
    let out = run(motcua(dir.path()).args(["catalog", "workflows"]), None);
    let after: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(after, now, "nothing stored");
}

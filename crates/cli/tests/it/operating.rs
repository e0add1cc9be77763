//! Running `motcua serve` behind a load balancer (issue 21): SIGTERM lets requests under way
//! finish and then exits, refusing new connections meanwhile; `--log-format json` writes
//! one JSON object per log line, with no password in any of them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::process::{Server, motcua, run_to_exit, text};

/// `motcua serve --demo --log-format json` with its standard error collected: the server, its
/// address (host:port) and the collected lines.
fn serve_json_logs(dir: &std::path::Path) -> (Server, String, std::sync::mpsc::Receiver<String>) {
    let mut server = Server(
        motcua(dir)
            .env("MOTCUA_LISTEN", "127.0.0.1:0")
            .env("MOTCUA_LOG", "info")
            .args(["--log-format", "json", "serve", "--demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn motcua serve"),
    );
    let (stdout, stderr) = (server.0.stdout.take().unwrap(), server.0.stderr.take().unwrap());
    let (tx, logs) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("the server printed its address").expect("stdout");
        if let Some(i) = line.find("http://") {
            break line[i + 7..].split_whitespace().next().unwrap_or_default().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (server, addr, logs)
}

fn login_request(username: &str, password: &str) -> (String, String) {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head, body)
}

fn status_of(stream: &mut TcpStream) -> String {
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn sigterm_finishes_requests_under_way_and_logs_are_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr, logs) = serve_json_logs(dir.path());
    let password = motcua::demo::DEMO_PASSWORD;

    // A failed and a successful sign-in, logged.
    for pw in ["Sai-mat-khau-123", password] {
        let (head, body) = login_request("congdan", pw);
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(format!("{head}{body}").replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n").as_bytes())
            .unwrap();
        assert!(status_of(&mut s).contains(if pw == password { "200" } else { "401" }));
    }

    // A request under way when SIGTERM comes: its body only half sent.
    let (head, body) = login_request("congdan", password);
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(TcpStream::connect(&addr).is_err(), "no new connections once stopping");
    assert!(server.0.try_wait().unwrap().is_none(), "still finishing the request under way");
    slow.write_all(&body.as_bytes()[10..]).unwrap();
    let answer = status_of(&mut slow);
    assert!(answer.contains("200"), "the request under way is answered in full: {answer}");

    // Then it exits, cleanly.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 20 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    let lines: Vec<String> = logs.try_iter().filter(|l| !l.trim().is_empty()).collect();
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    for e in &events {
        assert!(e["timestamp"].is_string() && e["level"].is_string() && e["message"].is_string(), "{e}");
    }
    let message = |m: &str| events.iter().find(|e| e["message"] == m).cloned();
    let login = message("login").unwrap_or_else(|| panic!("the sign-in is logged: {lines:?}"));
    assert_eq!(login["level"], "INFO");
    assert!(login["account_id"].is_i64(), "fields beside the message: {login}");
    assert!(message("login refused").is_some(), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains(password) || l.contains("Sai-mat-khau")), "no password in the logs");
}

/// A `--blob-url` that cannot work stops the server before it opens anything, saying why in
/// Vietnamese; a secret written into it is refused, and not repeated.
#[test]
fn a_wrong_blob_url_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for (url, says) in [
        ("s3://ho-so/tinh?secret_access_key=BiMat123", "AWS_SECRET_ACCESS_KEY"),
        ("s3://ho-so/tinh?endpiont=http://127.0.0.1:9", "endpiont"),
        ("ftp://ho-so/tinh", "s3://bucket"),
    ] {
        let mut cmd = motcua(dir.path());
        cmd.env("MOTCUA_LISTEN", "127.0.0.1:0").args(["serve", "--demo", "--blob-url", url]);
        let out = run_to_exit(&mut cmd, Duration::from_secs(60));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!out.status.success(), "{url}: {stdout}{stderr}");
        assert!(stderr.contains(says) && stderr.contains("kho tệp"), "{url}: {stderr}");
        assert!(!stderr.contains("BiMat123") && !stdout.contains("BiMat123"), "the secret is not repeated");
        assert!(!dir.path().join("motcua.db").exists(), "{url}: nothing opened");
    }
}

/// The systemd unit shipped in deploy/ is one systemd accepts (checked with the machine's
/// `systemd-analyze verify`, the unit pointing at this build's binary).
#[test]
fn the_shipped_systemd_unit_verifies() {
    let Some(analyze) =
        ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].into_iter().find(|p| Path::new(p).exists())
    else {
        eprintln!("systemd-analyze is not installed: the unit is not checked here");
        return;
    };
    let unit = include_str!("../../../../deploy/motcua.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/motcua serve") && unit.contains("KillSignal=SIGTERM"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("motcua.service");
    std::fs::write(&file, unit.replace("/usr/local/bin/motcua", env!("CARGO_BIN_EXE_motcua"))).unwrap();
    let out = std::process::Command::new(analyze).arg("verify").arg(&file).output().unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

//! `motcua backup` while the server takes submissions, then `motcua restore` into an empty
//! database and data directory, compared with the source: on SQLite and PostgreSQL.

use crate::process;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use motcua_store::testing::{Engine, TestDb};
use process::{motcua, run, start_server, text};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_while_serving_and_restore() {
    backup_and_restore(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_while_serving_and_restore() {
    backup_and_restore(Engine::Postgres).await;
}

const PASSWORD: &str = motcua::demo::DEMO_PASSWORD;

async fn token(base: &str, username: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
}

/// Submits a dossier with one file whose content names it; its code.
async fn submit(client: &reqwest::Client, base: &str, token: &str, n: usize) -> Option<String> {
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("component-0", reqwest::multipart::Part::bytes(file_of(n)).file_name("to-khai.pdf"));
    let r = client.post(format!("{base}/api/v1/dossiers")).bearer_auth(token).multipart(form).send().await.ok()?;
    if r.status() != 201 {
        return None;
    }
    r.json::<Value>().await.ok()?["code"].as_str().map(str::to_owned)
}

fn file_of(n: usize) -> Vec<u8> {
    format!("%PDF-1.4\nTo khai so {n}\n%%EOF\n").into_bytes()
}

fn cli(data_dir: &Path, url: &str, args: &[&str]) -> (bool, String) {
    let out = run(motcua(data_dir).env("MOTCUA_DATABASE_URL", url).args(args), None);
    (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

async fn backup_and_restore(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else { return };
    let data = tempfile::tempdir().expect("data dir");
    let url = db.url.clone();
    let (server, base, _) = start_server(data.path(), &["--demo", "--database-url", &url]);
    let client = reqwest::Client::new();
    let citizen = token(&base, "congdan").await;
    let desk = token(&base, "halong.motcua").await;

    // Acknowledged before the backup starts: these must all come back.
    let mut before = Vec::new();
    for n in 0..8 {
        before.push((n, submit(&client, &base, &citizen, n).await.expect("submitted")));
    }
    for (_, code) in before.iter().take(4) {
        let r = client
            .post(format!("{base}/api/v1/dossiers/{code}/actions"))
            .bearer_auth(&desk)
            .json(&json!({"action": "receive"}))
            .send()
            .await
            .expect("receive");
        assert_eq!(r.status(), 200);
    }

    // Submissions go on during the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, base, citizen, stop) = (client.clone(), base.clone(), citizen.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 1000;
            let mut acked = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(code) = submit(&client, &base, &citizen, n).await {
                    acked.push(code);
                }
                n += 1;
            }
            acked
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let backup_dir = tempfile::tempdir().expect("backup dir");
    let dest = backup_dir.path().join("sao-luu");
    let (ok, out) = {
        let (data, url, dest) = (data.path().to_path_buf(), url.clone(), dest.clone());
        tokio::task::spawn_blocking(move || cli(&data, &url, &["backup", dest.to_str().expect("utf-8")]))
            .await
            .expect("backup")
    };
    assert!(ok, "backup: {out}");
    assert!(out.contains("Đã sao lưu"), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let during = writer.await.expect("writer");
    assert!(!during.is_empty(), "the server took submissions while the backup ran");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dest.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["engine"], if engine == Engine::Sqlite { "sqlite" } else { "postgres" });
    // The submissions' small files are kept in the database (`file_contents`), so they are
    // in its copy, not among the files of `blobs/`.
    assert!(manifest["tables"]["file_contents"]["rows"].as_u64().expect("file_contents") >= 8, "{manifest}");
    server.kill9();

    // A second backup into the same directory is refused.
    let (ok, out) = cli(data.path(), &url, &["backup", dest.to_str().expect("utf-8")]);
    assert!(!ok && out.contains("thư mục mới"), "{out}");

    // Restore into an empty database and data directory, then serve from there.
    let target = db.empty_twin().await;
    let restored = tempfile::tempdir().expect("restored data dir");
    let (ok, out) = cli(restored.path(), &target.url, &["restore", dest.to_str().expect("utf-8")]);
    assert!(ok, "restore: {out}");
    assert!(out.contains("khớp bản sao lưu"), "{out}");
    // Restoring again over it is refused: nothing is overwritten by accident.
    let (ok, out) = cli(restored.path(), &target.url, &["restore", dest.to_str().expect("utf-8")]);
    assert!(!ok, "a second restore over data must be refused: {out}");

    let (ok, out) = cli(restored.path(), &target.url, &["audit", "verify"]);
    assert!(ok && out.contains("Toàn vẹn"), "{out}");
    let (server, base, _) = start_server(restored.path(), &["--database-url", &target.url]);
    let citizen = token(&base, "congdan").await;
    for (n, code) in &before {
        let r = client.get(format!("{base}/api/v1/dossiers/{code}")).bearer_auth(&citizen).send().await.expect("get");
        assert_eq!(r.status(), 200, "{code} acknowledged before the backup is restored");
        let v: Value = r.json().await.expect("json");
        let expected_status = if *n < 4 { 2 } else { 1 };
        assert_eq!(v["status_code"], expected_status, "{code}: {v}");
        let r = client
            .get(format!("{base}/api/v1/dossiers/{code}/attachments/1"))
            .bearer_auth(&citizen)
            .send()
            .await
            .expect("file");
        assert_eq!(r.status(), 200, "{code}'s file is restored");
        assert_eq!(r.bytes().await.expect("bytes").as_ref(), file_of(*n).as_slice());
    }
    // Dossiers taken during the backup are there with their files, or not at all: never a
    // dossier without its file.
    let mut kept = 0;
    for code in &during {
        let get = |path: String| client.get(format!("{base}{path}")).bearer_auth(&citizen).send();
        match get(format!("/api/v1/dossiers/{code}")).await.expect("request").status().as_u16() {
            200 => {
                let r = get(format!("/api/v1/dossiers/{code}/attachments/1")).await.expect("request");
                assert_eq!(r.status(), 200, "{code} is in the backup: so is its file");
                kept += 1;
            }
            404 => {}
            s => panic!("{code}: {s}"),
        }
    }
    server.kill9();
    eprintln!(
        "{} dossiers before the backup, {kept} of {} taken during it are in the backup",
        before.len(),
        during.len()
    );

    // Quiet now: a backup of the source, restored, is the source table by table.
    let quiet = backup_dir.path().join("yen-tinh");
    let (ok, out) = cli(data.path(), &url, &["backup", quiet.to_str().expect("utf-8")]);
    assert!(ok, "{out}");
    let twin = db.empty_twin().await;
    let again = tempfile::tempdir().expect("data dir");
    let (ok, out) = cli(again.path(), &twin.url, &["restore", quiet.to_str().expect("utf-8")]);
    assert!(ok, "{out}");
    let source = motcua_store::backup::digests(&url).await.expect("source digests");
    let copy = motcua_store::backup::digests(&twin.url).await.expect("restored digests");
    assert_eq!(source, copy, "every table of the restored database equals the source's");
    assert!(source.get("dossiers").is_some_and(|t| t.rows as usize >= before.len() + during.len()));

    // A damaged backup is refused before anything is written.
    let file = quiet.join(manifest["database_file"].as_str().expect("file name"));
    let mut bytes = std::fs::read(&file).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&file, bytes).expect("write");
    let third = db.empty_twin().await;
    let (ok, out) = cli(again.path(), &third.url, &["restore", quiet.to_str().expect("utf-8")]);
    assert!(!ok && out.contains("SHA-256"), "{out}");
}

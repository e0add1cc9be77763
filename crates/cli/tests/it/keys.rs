//! Several servers on one database share its signing keys, so they share the passphrase that
//! encrypts them (issue 21): a server given none, or another, refuses to start with a clear
//! message instead of making a passphrase of its own and failing at the first signature.

use std::time::Duration;

use motcua_store::testing::{Engine, TestDb};
use serde_json::{Value, json};

use crate::process::{motcua, run_to_exit, start_server, text};

const PDF: &[u8] = b"%PDF-1.4\nCong van thu\n%%EOF\n";

async fn token(client: &reqwest::Client, base: &str, username: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": motcua::demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    let v: Value = r.json().await.expect("json");
    v["token"].as_str().unwrap_or_else(|| panic!("a token: {v}")).to_owned()
}

async fn org_of(client: &reqwest::Client, base: &str, token: &str) -> String {
    let me: Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    me["roles"][0]["org"].as_str().unwrap_or_else(|| panic!("an organisation: {me}")).to_owned()
}

async fn a_second_server_signs_with_the_keys_the_first_made(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else { return };
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = db.url.clone();
    let shared = first.path().join("keys").join("passphrase");

    // The first server loads the demo and makes the keys, under a passphrase of its own.
    let (dir, u) = (first.path().to_path_buf(), url.clone());
    let (server, _, _) =
        tokio::task::spawn_blocking(move || start_server(&dir, &["--database-url", &u, "--demo"])).await.unwrap();
    server.kill9();
    assert!(shared.exists(), "the first server made its passphrase");

    // A second server on the same database without that passphrase refuses to start, and
    // does not make one of its own (which would never open the keys).
    let refusal = |passphrase: Option<&'static str>| {
        let (dir, u) = (second.path().to_path_buf(), url.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = motcua(&dir);
            cmd.env("MOTCUA_LISTEN", "127.0.0.1:0").args(["--database-url", &u, "serve", "--demo"]);
            if let Some(p) = passphrase {
                cmd.env("MOTCUA_KEY_PASSPHRASE", p);
            }
            run_to_exit(&mut cmd, Duration::from_secs(60))
        })
    };
    let out = refusal(None).await.unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("MOTCUA_KEY_PASSPHRASE") && stderr.contains("--key-passphrase-file"), "{stderr}");
    assert!(!second.path().join("keys").join("passphrase").exists(), "no passphrase of its own");
    let out = refusal(Some("mot-khoa-bao-ve-khac-han-0123456789")).await.unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("không mở được khóa bí mật"), "{stderr}");

    // Given the first server's passphrase file, it starts and signs with the keys the first made.
    let (dir, u, file) = (second.path().to_path_buf(), url.clone(), shared.to_string_lossy().into_owned());
    let (server, base, _) = tokio::task::spawn_blocking(move || {
        start_server(&dir, &["--database-url", &u, "--key-passphrase-file", &file])
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let (clerk, other) = (token(&client, &base, "halong.vanthu").await, token(&client, &base, "stp.vanthu").await);
    let (from, to) = (org_of(&client, &base, &clerk).await, org_of(&client, &base, &other).await);
    let doc = json!({
        "from": from, "to": [to], "notation": "UBND-VP", "document_type": "Công văn",
        "subject": "V/v phối hợp", "content": "Đề nghị phối hợp.", "signer_name": "Bùi Minh Tuấn",
        "signer_position": "Chủ tịch", "place": "Hạ Long"
    });
    let form = reqwest::multipart::Form::new()
        .text("document", doc.to_string())
        .part("file", reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("cong-van.pdf"));
    let r = client.post(format!("{base}/api/v1/documents")).bearer_auth(&clerk).multipart(form).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 201, "signed and registered with the first server's key: {v}");
    server.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_signs_with_the_keys_the_first_made_on_sqlite() {
    a_second_server_signs_with_the_keys_the_first_made(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_signs_with_the_keys_the_first_made_on_postgres() {
    a_second_server_signs_with_the_keys_the_first_made(Engine::Postgres).await;
}

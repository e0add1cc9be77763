//! Where a submission's files go, on SQLite and PostgreSQL: a small file (up to 64 KB) is
//! kept in the database in the dossier's own transaction, once per content however many
//! dossiers or components carry it; a larger one is a file of the blob store. Either way the
//! download gives back the bytes sent.

use crate::common;

use common::{TestApp, json};
use serde_json::json;

on_both_backends!(small_files_live_in_the_database_large_ones_on_disk);

fn pdf(len: usize, tag: &str) -> Vec<u8> {
    let mut b = format!("%PDF-1.4\n% {tag}\n").into_bytes();
    b.resize(len, b'x');
    b
}

fn blob_files(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for sub in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(sub.path()).into_iter().flatten().flatten() {
            names.push(format!("{}{}", sub.file_name().to_string_lossy(), f.file_name().to_string_lossy()));
        }
    }
    names
}

async fn small_files_live_in_the_database_large_ones_on_disk(app: TestApp) {
    let citizen = app.token("congdan").await;
    // 64 KB exactly is still small; one byte more is a file.
    let (small, edge, large) = (pdf(2_000, "nho"), pdf(64 * 1024, "bien"), pdf(64 * 1024 + 1, "lon"));
    let submit = |files: Vec<(&'static str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new()
            .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string());
        for (part, bytes) in files {
            form = form.part(part, reqwest::multipart::Part::bytes(bytes).file_name("to-khai.pdf"));
        }
        app.client.post(app.url("/api/v1/dossiers")).bearer_auth(&citizen).multipart(form).send()
    };
    // The same small file twice in one submission, and again in a second one.
    let (s, one) = json(
        submit(vec![
            ("component-0", small.clone()),
            ("component-1", small.clone()),
            ("component-2", edge.clone()),
            ("file", large.clone()),
        ])
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{one}");
    let (s, two) = json(submit(vec![("component-0", small.clone())]).await.unwrap()).await;
    assert_eq!(s, 201, "{two}");

    let sha = motcua_domain::audit::sha256_hex;
    let store = &app.db.store;
    assert_eq!(store.kept_file(&sha(&small)).await.unwrap().as_deref(), Some(small.as_slice()));
    assert_eq!(store.kept_file(&sha(&edge)).await.unwrap().as_deref(), Some(edge.as_slice()));
    assert_eq!(store.kept_file(&sha(&large)).await.unwrap(), None, "a large file is not in the database");
    assert_eq!(
        blob_files(&app.data_dir.path().join("blobs")),
        vec![sha(&large)],
        "only the large file is a file of the blob store"
    );

    let download = |code: &str, index: u32| {
        app.client.get(app.url(&format!("/api/v1/dossiers/{code}/attachments/{index}"))).bearer_auth(&citizen).send()
    };
    let one = one["code"].as_str().unwrap().to_owned();
    let two = two["code"].as_str().unwrap().to_owned();
    for (code, index, bytes) in
        [(&one, 1, &small), (&one, 2, &small), (&one, 3, &edge), (&one, 4, &large), (&two, 1, &small)]
    {
        let r = download(code, index).await.unwrap();
        assert_eq!(r.status(), 200, "{code} file {index}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{code} file {index}");
    }
}

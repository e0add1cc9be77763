//! Files in S3-compatible object storage (`blobs/s3.rs`) against a real S3 server on loopback
//! (`tests/common/s3.rs`, s3s-fs with signatures checked): stored and read back by content, a damaged
//! object never served and mended by the next upload, readiness, `--blob-url` refused when
//! it carries keys or options nobody reads; servers on one database sharing one bucket serve
//! each other's uploads and results; a backup downloads the objects and a restore uploads them.

use crate::common;

use crate::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use common::{TestApp, json};
use motcua::blobs::{BlobStore, BlobUrlError, S3Blobs, S3Credentials};
use motcua_store::testing::Engine;
use serde_json::json;

const SCAN: &[u8] = b"%PDF-1.4\nBan sao CCCD (thu nghiem)\n%%EOF\n";
const RESULT: &[u8] = b"%PDF-1.7\nGiay xac nhan tinh trang hon nhan (S3)\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_stored_by_content_checked_on_read_and_mended() {
    let s3 = S3Server::start().await;
    let store = s3.store("tinh-qn");
    store.ready().await.expect("the bucket answers");
    let sha = store.put(SCAN.to_vec()).await.unwrap();
    assert_eq!(sha, motcua_domain::audit::sha256_hex(SCAN));
    assert_eq!(store.put(SCAN.to_vec()).await.unwrap(), sha, "the same content, the same name");
    assert_eq!(store.get(&sha).await.unwrap(), SCAN);
    let object = s3.root.path().join(BUCKET).join("tinh-qn/blobs").join(&sha[..2]).join(&sha[2..]);
    assert!(object.is_file(), "named as on disk, under the prefix: {}", object.display());
    let BlobStore::S3(s) = &store else { unreachable!() };
    assert_eq!(s.names().await.unwrap(), vec![sha.clone()]);
    assert!(store.describe().contains("s3://motcua/tinh-qn") && !store.describe().contains(SECRET_KEY));

    // Damaged in storage: refused, then mended by the next upload of the same content.
    std::fs::write(&object, &SCAN[..8]).unwrap();
    assert_eq!(store.get(&sha).await.unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    store.put(SCAN.to_vec()).await.unwrap();
    assert_eq!(store.get(&sha).await.unwrap(), SCAN);
    assert_eq!(store.get(&"0".repeat(64)).await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    assert!(store.get("../../etc/passwd").await.is_err());

    // Not ready: a bucket that is not there, keys the server does not know.
    let keys = || S3Credentials { access_key_id: ACCESS_KEY.into(), secret_access_key: "sai".into() };
    let wrong = s3.url("tinh-qn").replacen(BUCKET, "khong-co", 1);
    let missing = S3Blobs::open(&wrong, Some(keys())).unwrap();
    assert!(BlobStore::S3(missing).ready().await.is_err(), "no such bucket");
    let bad_key = BlobStore::S3(S3Blobs::open(&s3.url("tinh-qn"), Some(keys())).unwrap());
    assert!(bad_key.ready().await.is_err(), "a wrong secret");
    assert!(bad_key.put(SCAN.to_vec()).await.is_err());

    // URLs that are refused before anything is sent.
    let refused = |url: &str| S3Blobs::open(url, None).map(|_| ()).unwrap_err();
    assert!(matches!(refused("s3://b/p?secret_access_key=x"), BlobUrlError::SecretInUrl(_)));
    assert!(matches!(refused("s3://ai:matkhau@b/p"), BlobUrlError::SecretInUrl(_)));
    assert!(matches!(refused("s3://b/p?endpiont=http://x"), BlobUrlError::Option(_)), "a misspelt option");
    assert!(matches!(refused("http://b/p"), BlobUrlError::Url(_)));
    assert!(matches!(refused("s3:///p"), BlobUrlError::Url(_)));
    assert!(matches!(BlobStore::open(Some(""), s3.root.path()), Ok(BlobStore::Local(_))), "empty: the data directory");
}

/// The first complaint: an attachment uploaded through server one answered 500 on
/// server two. With one bucket, both serve it, and a result signed on one verifies on two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_servers_sharing_a_bucket_serve_each_others_files() {
    let s3 = S3Server::start().await;
    let Some(one) = TestApp::spawn_with(Engine::Postgres, |s| s.blobs = Some(s3.store("chung"))).await else {
        return;
    };
    let two = one.beside(|s| s.blobs = Some(s3.store("chung"))).await;
    let halong = one.org_of("halong.vanthu").await;
    one.enable_exchange(&[&halong]).await;

    let citizen = one.token("congdan").await;
    // A scan past 64 KB: a file of the store (a smaller one would be kept in the database).
    let mut scan = SCAN.to_vec();
    scan.resize(100 * 1024, b' ');
    let form = reqwest::multipart::Form::new()
        .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
        .part("component-0", reqwest::multipart::Part::bytes(scan.clone()).file_name("cccd.pdf"));
    let r = one.client.post(one.url("/api/v1/dossiers")).bearer_auth(&citizen).multipart(form).send().await.unwrap();
    let (s, v) = json(r).await;
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_owned();
    assert!(one.data_dir.path().join("blobs").read_dir().is_err(), "nothing in server one's data directory");
    let download =
        |base: &str, path: String, token: &str| one.client.get(format!("{base}{path}")).bearer_auth(token).send();
    let r = download(&two.base, format!("/api/v1/dossiers/{code}/attachments/1"), &citizen).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), scan.as_slice(), "uploaded through one, downloaded through two");

    // A result signed through one verifies through two.
    one.act_as("halong.motcua", &code, "receive").await;
    crate::common::sign_result(&one.client, &one.base, &code, RESULT).await;
    let r = two.client.get(two.url(&format!("/api/v1/verify/{code}-KQ1"))).send().await.unwrap();
    let (s, v) = json(r).await;
    assert_eq!((s, v["valid"].as_bool()), (200, Some(true)), "{v}");
    let ready = two.client.get(two.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    drop(s3);
    let ready = two.client.get(two.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "the object store gone: not ready");
}

/// A backup of a server keeping its files in S3 holds them (checked, in the `blobs/` layout);
/// restoring it into a new database and an empty prefix uploads them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_downloads_the_objects_and_restore_uploads_them() {
    let s3 = S3Server::start().await;
    let db = motcua_store::testing::TestDb::new(Engine::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let source = s3.store("nguon");
    let shas = [source.put(SCAN.to_vec()).await.unwrap(), source.put(RESULT.to_vec()).await.unwrap()];
    let dest = tempfile::tempdir().unwrap();
    let dest = dest.path().join("sao-luu");
    let summary = motcua::backup::backup(&db.url, data.path(), &source, &dest).await.unwrap();
    assert_eq!((summary.blobs, summary.blob_bytes), (2, (SCAN.len() + RESULT.len()) as u64));
    for sha in &shas {
        assert!(dest.join("blobs").join(&sha[..2]).join(&sha[2..]).is_file());
    }

    let twin = db.empty_twin().await;
    let target = s3.store("dich");
    let restored = tempfile::tempdir().unwrap();
    motcua::backup::restore(&twin.url, restored.path(), &target, &dest, false).await.unwrap();
    assert_eq!(target.get(&shas[0]).await.unwrap(), SCAN);
    assert_eq!(target.get(&shas[1]).await.unwrap(), RESULT);
    assert!(restored.path().join("blobs").read_dir().is_err(), "uploaded, not copied to the data directory");

    // A damaged file in the backup is refused, not uploaded under a name it does not match.
    let file = dest.join("blobs").join(&shas[0][..2]).join(&shas[0][2..]);
    std::fs::write(&file, b"hong").unwrap();
    let again = db.empty_twin().await;
    let err = motcua::backup::restore(&again.url, restored.path(), &s3.store("dich2"), &dest, false).await.unwrap_err();
    assert!(err.to_string().contains("không khớp"), "{err}");
}

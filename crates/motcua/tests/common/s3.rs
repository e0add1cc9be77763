//! A real S3 server on loopback for the tests: `s3s-fs` (the S3 protocol with request
//! signatures checked, objects as files in a temporary directory), served by hyper in the test's
//! runtime. One bucket, `motcua`, exists from the start.

use hyper_util::rt::TokioIo;
use motcua::blobs::{BlobStore, S3Blobs, S3Credentials};

pub const BUCKET: &str = "motcua";
pub const ACCESS_KEY: &str = "motcua-thu-nghiem";
pub const SECRET_KEY: &str = "bi-mat-chi-dung-trong-thu-nghiem";

pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// Where the objects are, as files (`<root>/motcua/<key>`).
    pub root: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3Server {
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("S3 root");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self { endpoint, root, task }
    }

    /// The `--blob-url` of `prefix` in the bucket.
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}?endpoint={}&allow_http=true&region=us-east-1", self.endpoint)
    }

    /// A store over `prefix`, with the server's keys.
    pub fn store(&self, prefix: &str) -> BlobStore {
        let credentials = S3Credentials { access_key_id: ACCESS_KEY.into(), secret_access_key: SECRET_KEY.into() };
        BlobStore::S3(S3Blobs::open(&self.url(prefix), Some(credentials)).expect("S3 blob store"))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

//! Files in S3-compatible object storage, through the `object_store` crate (request signing,
//! retries and the protocol are its). Objects are named `<prefix>/blobs/ab/cdef…` as on disk.
//! A `put` returns once the storage acknowledged the whole object (S3 writes are atomic and
//! durable on acknowledgement); it is always written, so an object damaged in storage is
//! mended by the next upload of its content.

use std::sync::Arc;

use motcua_domain::audit::sha256_hex;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;

/// A `--blob-url` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BlobUrlError {
    #[error("địa chỉ kho tệp không hợp lệ ({0}); dạng đúng: s3://bucket/tiền-tố?endpoint=https://…&region=…")]
    Url(String),
    #[error(
        "không ghi khóa bí mật trong địa chỉ kho tệp ({0}); dùng biến môi trường AWS_ACCESS_KEY_ID và AWS_SECRET_ACCESS_KEY"
    )]
    SecretInUrl(String),
    #[error("tham số kho tệp không được hỗ trợ: {0}")]
    Option(String),
    #[error("không mở được kho tệp S3: {0}")]
    Build(String),
}

/// Access keys given otherwise than by the environment (tests).
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// A bucket and prefix of S3-compatible storage.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
    endpoint: Option<String>,
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()),
        other => std::io::Error::other(other.to_string()),
    }
}

impl S3Blobs {
    /// `s3://BUCKET[/PREFIX][?endpoint=URL&region=R&allow_http=true&virtual_hosted_style_request=true]`.
    /// Keys come from `credentials` or else the standard `AWS_*` environment variables; a key
    /// written in the URL is refused (URLs end up in logs and process lists).
    pub fn open(url: &str, credentials: Option<S3Credentials>) -> Result<Self, BlobUrlError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| BlobUrlError::Url(e.to_string()))?;
        if parsed.scheme() != "s3" {
            return Err(BlobUrlError::Url(format!("lược đồ {}", parsed.scheme())));
        }
        let bucket =
            parsed.host_str().filter(|b| !b.is_empty()).ok_or_else(|| BlobUrlError::Url("thiếu bucket".into()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(BlobUrlError::SecretInUrl("tên và mật khẩu".into()));
        }
        let prefix = parsed.path().trim_matches('/').to_owned();
        let mut builder = match &credentials {
            Some(_) => AmazonS3Builder::new(),
            None => AmazonS3Builder::from_env(),
        }
        .with_bucket_name(bucket)
        .with_region("us-east-1");
        let mut endpoint = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "allow_http" => builder = builder.with_allow_http(value == "true"),
                "access_key_id" | "secret_access_key" | "token" | "session_token" => {
                    return Err(BlobUrlError::SecretInUrl(key.into_owned()));
                }
                "endpoint" | "region" | "virtual_hosted_style_request" | "checksum_algorithm" => {
                    if key == "endpoint" {
                        endpoint = Some(value.to_string());
                    }
                    let k: AmazonS3ConfigKey = key.parse().map_err(|_| BlobUrlError::Option(key.to_string()))?;
                    builder = builder.with_config(k, value.into_owned());
                }
                other => return Err(BlobUrlError::Option(other.to_owned())),
            }
        }
        if let Some(c) = credentials {
            builder = builder.with_access_key_id(c.access_key_id).with_secret_access_key(c.secret_access_key);
        }
        let store = builder.build().map_err(|e| BlobUrlError::Build(e.to_string()))?;
        Ok(Self { store: Arc::new(store), bucket: bucket.to_owned(), prefix, endpoint })
    }

    fn path_of(&self, sha256: &str) -> Option<ObjectPath> {
        super::is_name(sha256).then(|| self.root().child(&sha256[..2]).child(&sha256[2..]))
    }

    fn root(&self) -> ObjectPath {
        let base = if self.prefix.is_empty() { ObjectPath::default() } else { ObjectPath::from(self.prefix.as_str()) };
        base.child("blobs")
    }

    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        let (sha, bytes) =
            tokio::task::spawn_blocking(move || (sha256_hex(&bytes), bytes)).await.map_err(std::io::Error::other)?;
        let path = self.path_of(&sha).ok_or_else(|| std::io::Error::other("bad hash"))?;
        self.store.put(&path, bytes.into()).await.map_err(io)?;
        Ok(sha)
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(sha256).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "bad hash"))?;
        let bytes = self.store.get(&path).await.map_err(io)?.bytes().await.map_err(io)?;
        let sha256 = sha256.to_owned();
        tokio::task::spawn_blocking(move || {
            if sha256_hex(&bytes) != sha256 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stored file does not match its hash",
                ));
            }
            Ok(bytes.to_vec())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The bucket answers a listing of the prefix (a missing bucket or wrong keys do not).
    pub async fn ready(&self) -> std::io::Result<()> {
        self.store.list_with_delimiter(Some(&self.root())).await.map_err(io)?;
        Ok(())
    }

    /// Every stored file's name (for backups), in no particular order.
    pub async fn names(&self) -> std::io::Result<Vec<String>> {
        use futures_util::TryStreamExt;
        let root = self.root();
        let metas: Vec<object_store::ObjectMeta> = self.store.list(Some(&root)).try_collect().await.map_err(io)?;
        Ok(metas
            .iter()
            .filter_map(|m| {
                let parts: Vec<_> = m.location.parts().collect();
                let n = parts.len();
                (n >= 2).then(|| format!("{}{}", parts[n - 2].as_ref(), parts[n - 1].as_ref()))
            })
            .filter(|name| super::is_name(name))
            .collect())
    }

    pub fn describe(&self) -> String {
        let at = self.endpoint.as_deref().unwrap_or("S3");
        if self.prefix.is_empty() {
            format!("s3://{} ({at})", self.bucket)
        } else {
            format!("s3://{}/{} ({at})", self.bucket, self.prefix)
        }
    }
}

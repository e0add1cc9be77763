//! Content-addressed file storage: attachments, results and scans named by their SHA-256,
//! kept on this server's disk (the default, [`local`]) or in S3-compatible object storage
//! that several servers share ([`s3`], `--blob-url s3://bucket/prefix?endpoint=…`). Either
//! way a name always holds complete content once `put` returns, and `get` checks the content
//! against its name, so a damaged file is never served as a dossier's.

mod local;
mod s3;

use std::path::Path;

pub use local::LocalBlobs;
pub use local::private_dir;
pub use s3::{BlobUrlError, S3Blobs, S3Credentials};

/// Where files are kept.
#[derive(Debug, Clone)]
pub enum BlobStore {
    /// `<data dir>/blobs`, this server's alone.
    Local(LocalBlobs),
    /// A bucket (and prefix) of S3-compatible object storage, shared by every server given it.
    S3(S3Blobs),
}

impl BlobStore {
    /// Files in `<data_dir>/blobs`.
    pub fn new(data_dir: &Path) -> Self {
        Self::Local(LocalBlobs::new(data_dir))
    }

    /// Files where `blob_url` says (`s3://…`; credentials from the standard `AWS_*`
    /// environment variables), or in the data directory when there is none.
    pub fn open(blob_url: Option<&str>, data_dir: &Path) -> Result<Self, BlobUrlError> {
        match blob_url {
            None | Some("") => Ok(Self::new(data_dir)),
            Some(url) => Ok(Self::S3(S3Blobs::open(url, None)?)),
        }
    }

    /// Stores the bytes (once per content) and returns their SHA-256.
    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        match self {
            Self::Local(l) => l.put(bytes).await,
            Self::S3(s) => s.put(bytes).await,
        }
    }

    /// The stored bytes, checked against their name.
    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Local(l) => l.get(sha256).await,
            Self::S3(s) => s.get(sha256).await,
        }
    }

    /// Whether files can be stored and read now.
    pub async fn ready(&self) -> std::io::Result<()> {
        match self {
            Self::Local(l) => l.ready().await,
            Self::S3(s) => s.ready().await,
        }
    }

    /// What the store is, for messages (never credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Local(_) => "thư mục dữ liệu".to_owned(),
            Self::S3(s) => s.describe(),
        }
    }
}

/// Whether `sha256` is a name the stores use: 64 lowercase hexadecimal digits (anything else,
/// such as a path, is never looked up).
fn is_name(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

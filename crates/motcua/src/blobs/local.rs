//! Files on this server's disk: `<data dir>/blobs/ab/cdef…` named by SHA-256.
//! A file is written to a temporary name, flushed to disk, then renamed into place and its
//! directory flushed, so a stored name always holds complete content, and an acknowledged
//! upload survives a crash. `get` checks the content against its name, and `put` trusts a
//! name only when it holds the same bytes, so a file a disk fault damaged is never served and
//! is mended by the next upload of it.

use std::io::Write;
use std::path::{Path, PathBuf};

use motcua_domain::audit::sha256_hex;

#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("blobs") }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        super::is_name(sha256).then(|| self.root.join(&sha256[..2]).join(&sha256[2..]))
    }

    /// Stores the bytes (once per content) and returns their SHA-256.
    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.put_blocking(&bytes)).await.map_err(std::io::Error::other)?
    }

    fn put_blocking(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path_of(&sha).ok_or_else(|| std::io::Error::other("bad hash"))?;
        let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent"))?;
        // Only the same content counts as stored: a name whose file a disk fault damaged is
        // written again by the next upload of what it should hold.
        let stored = match std::fs::read(&path) {
            Ok(old) => old == bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if !stored {
            if !dir.exists() {
                private_dir(dir)?;
                // The new directories' names, durable in their parents (`blobs/` itself is
                // made with the first upload, inside the data directory).
                std::fs::File::open(&self.root)?.sync_all()?;
                if let Some(data_dir) = self.root.parent() {
                    std::fs::File::open(data_dir)?.sync_all()?;
                }
            }
            let (tmp, mut file) = tempfile_in(dir)?;
            file.write_all(bytes)?;
            // Flushed before it is named: a name never holds short content after a crash.
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
        }
        // The name made durable, even when it was there already: another request may have
        // renamed it into place a moment ago and not flushed the directory yet (cheap when
        // there is nothing left to write).
        std::fs::File::open(dir)?.sync_all()?;
        Ok(sha)
    }

    /// Whether files can be stored and read: the store's directory (or, before the first
    /// upload makes it, the data directory) is there, is a directory and is not read-only.
    pub async fn ready(&self) -> std::io::Result<()> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let dir = if root.exists() { root } else { root.parent().map(Path::to_path_buf).unwrap_or(root) };
            let meta = std::fs::metadata(&dir)?;
            if !meta.is_dir() {
                return Err(std::io::Error::other(format!("{} is not a directory", dir.display())));
            }
            if meta.permissions().readonly() {
                return Err(std::io::Error::other(format!("{} is read-only", dir.display())));
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The stored bytes, checked against their name: a file that does not hash to it (a disk
    /// fault, a hand edit) is an error, never served as the dossier's.
    /// Read and hashed off the request threads (a 10 MB file takes milliseconds to hash).
    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(sha256).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "bad hash"))?;
        let sha256 = sha256.to_owned();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(path)?;
            if sha256_hex(&bytes) != sha256 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stored file does not match its hash",
                ));
            }
            Ok(bytes)
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

/// Creates a directory (and its parents) that only this server's user may enter, and takes
/// that right from others on one that exists: the database, attachments and keys under it are
/// then out of other local users' reach whatever the umask.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
    let name = dir.join(format!(".tmp-{}", sha256_hex(&suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&name)?;
    Ok((name, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_by_content_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::new(dir.path());
        let a = blobs.put(b"%PDF-1.4 a".to_vec()).await.unwrap();
        let b = blobs.put(b"%PDF-1.4 a".to_vec()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(blobs.get(&a).await.unwrap(), b"%PDF-1.4 a");
        let path = dir.path().join("blobs").join(&a[..2]).join(&a[2..]);
        assert!(path.exists());
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary files left");
        assert!(blobs.get("../../etc/passwd").await.is_err());
    }

    #[tokio::test]
    async fn a_name_holding_other_content_is_written_again_and_never_served() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::new(dir.path());
        let content = b"%PDF-1.4 the whole scan".to_vec();
        let sha = blobs.put(content.clone()).await.unwrap();
        let path = dir.path().join("blobs").join(&sha[..2]).join(&sha[2..]);
        // What a disk fault or a hand edit can leave: the name, short content.
        std::fs::write(&path, &content[..8]).unwrap();
        let err = blobs.get(&sha).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "short content is not served");
        // The same upload again finds the name but not the content, and writes it.
        assert_eq!(blobs.put(content.clone()).await.unwrap(), sha);
        assert_eq!(blobs.get(&sha).await.unwrap(), content);
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary files left");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn only_the_server_user_can_read_what_it_keeps() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("motcua-data");
        private_dir(&data).unwrap();
        let blobs = LocalBlobs::new(&data);
        let sha = blobs.put(b"%PDF-1.4 b".to_vec()).await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let file = data.join("blobs").join(&sha[..2]).join(&sha[2..]);
        assert_eq!(mode(&file), 0o600, "a stored file");
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(mode(&data.join("blobs")), 0o700);
        assert_eq!(mode(&data), 0o700);
        // An existing directory open to all is closed.
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
    }
}

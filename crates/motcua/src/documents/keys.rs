//! The passphrase that encrypts the signing keys stored in the database, and the check that
//! it opens them. Several servers on one database share the keys, so they must share the
//! passphrase: it comes from `MOTCUA_KEY_PASSPHRASE`, a file every server is given
//! (`--key-passphrase-file`), or `<data dir>/keys/passphrase`, which a server makes only
//! while the database holds no key — a new one would not open the keys another server made.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use motcua_store::StoreError;
use motcua_store::documents::DocumentStore;
use thiserror::Error;

/// The passphrase that encrypts private keys at rest. Never printed.
#[derive(Clone)]
pub struct Passphrase(Arc<Vec<u8>>);

impl Passphrase {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Arc::new(bytes))
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Environment variable that gives the key passphrase instead of the file.
pub const PASSPHRASE_ENV: &str = "MOTCUA_KEY_PASSPHRASE";

fn passphrase_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("keys").join("passphrase")
}

/// The passphrase from `MOTCUA_KEY_PASSPHRASE`, else the file given (`--key-passphrase-file`,
/// which must then exist and hold one), else `<data dir>/keys/passphrase`.
pub fn load_from(data_dir: &Path, file: Option<&Path>) -> std::io::Result<Option<Passphrase>> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV)
        && !p.is_empty()
    {
        return Ok(Some(Passphrase::new(p.into_bytes())));
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)?;
        if text.trim().is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "tệp khóa bảo vệ rỗng"));
        }
        return Ok(Some(Passphrase::new(text.trim().as_bytes().to_vec())));
    }
    match std::fs::read_to_string(passphrase_file(data_dir)) {
        Ok(s) => Ok(Some(Passphrase::new(s.trim().as_bytes().to_vec()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The passphrase, made (32 random bytes, hex, file mode 0600) if there is none yet.
pub fn ensure_passphrase(data_dir: &Path) -> std::io::Result<Passphrase> {
    if let Some(p) = load_from(data_dir, None)? {
        return Ok(p);
    }
    let path = passphrase_file(data_dir);
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    std::io::Write::write_all(&mut file, hex.as_bytes())?;
    file.sync_all()?;
    Ok(Passphrase::new(hex.into_bytes()))
}

/// Why a server cannot use the keys in its database.
#[derive(Debug, Error)]
pub enum KeysError {
    #[error(
        "CSDL đã có khóa bí mật ký số, nhưng máy chủ này không có khóa bảo vệ của chúng: đặt {PASSPHRASE_ENV} \
         hoặc --key-passphrase-file như máy chủ đã tạo khóa (tệp keys/passphrase trong thư mục dữ liệu của nó)"
    )]
    Missing,
    #[error(
        "khóa bảo vệ được cấp không mở được khóa bí mật trong CSDL ({subject}): cần đúng khóa của máy chủ đã tạo khóa"
    )]
    Wrong { subject: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The passphrase this server uses with `store`, checked against a key the database holds:
/// an error when the database holds keys and there is no passphrase or it does not open
/// them. With `create`, one is made in the data directory when neither exists.
pub async fn for_store(
    store: &(impl DocumentStore + ?Sized),
    data_dir: &Path,
    file: Option<&Path>,
    create: bool,
) -> Result<Option<Passphrase>, KeysError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeysError::Io { path, source }
    };
    let given = load_from(data_dir, file).map_err(io(file.unwrap_or(data_dir)))?;
    let held = store.certificates(None, None).await?.into_iter().find(|c| c.key_pem.is_some());
    match (given, held) {
        (Some(p), Some(cert)) => {
            let (pem, bytes) = (cert.key_pem.unwrap_or_default(), p.clone());
            let opened =
                tokio::task::spawn_blocking(move || motcua_exchange::pki::decrypt_key(&pem, bytes.bytes()).is_ok())
                    .await
                    .unwrap_or(false);
            if opened { Ok(Some(p)) } else { Err(KeysError::Wrong { subject: cert.subject }) }
        }
        (Some(p), None) => Ok(Some(p)),
        (None, Some(_)) => Err(KeysError::Missing),
        (None, None) if create => ensure_passphrase(data_dir).map(Some).map_err(io(data_dir)),
        (None, None) => Ok(None),
    }
}

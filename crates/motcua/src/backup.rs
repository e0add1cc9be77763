//! `motcua backup DIR` and `motcua restore DIR`: a consistent copy of the database taken while
//! the server runs (SQLite `VACUUM INTO`; PostgreSQL `pg_dump` of an exported snapshot), with
//! the attachments (`blobs/`) and the signing keys' passphrase (`keys/`), described by a
//! manifest that holds a digest of every table. A restore copies everything back and then
//! proves it: the restored tables must have the manifest's digests.
//!
//! Attachments are content-addressed and written before the row that names them commits, so
//! copying `blobs/` after the snapshot always includes every file the snapshot refers to.
//! When they are kept in S3-compatible storage (`--blob-url`), the backup downloads them into
//! the same `blobs/` layout (each checked against its name) and a restore uploads them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::blobs::BlobStore;

use motcua_store::backup::{self as db, Digests, Manifest};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] motcua_store::StoreError),
    #[error("{tool} thất bại: {message}")]
    Tool { tool: &'static str, message: String },
    #[error("bản khôi phục khác bản sao lưu ở {0}")]
    Mismatch(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

const SQLITE_FILE: &str = "motcua.db";
const PG_FILE: &str = "motcua.pgdump";

/// What a backup or restore did, for the command's output.
#[derive(Debug)]
pub struct Summary {
    pub engine: String,
    pub tables: usize,
    pub rows: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
}

impl Summary {
    fn of(m: &Manifest) -> Self {
        Self {
            engine: m.engine.clone(),
            tables: m.tables.len(),
            rows: m.tables.values().map(|t| t.rows).sum(),
            blobs: m.blobs,
            blob_bytes: m.blob_bytes,
        }
    }
}

fn engine_of(url: &str) -> &'static str {
    if url.starts_with("sqlite:") { "sqlite" } else { "postgres" }
}

fn file_sha256(path: &Path) -> Result<String, BackupError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(io(path))
}

/// Copies the files of `from` (two levels, as `blobs/ab/cdef…` and `keys/…`) into `to`,
/// skipping temporary files and files already there; their number and size.
fn copy_tree(from: &Path, to: &Path) -> Result<(u64, u64), BackupError> {
    let (mut files, mut bytes) = (0, 0);
    if !from.exists() {
        return Ok((0, 0));
    }
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type().map_err(io(&src))?;
        if kind.is_dir() {
            let (f, b) = copy_tree(&src, &dst)?;
            files += f;
            bytes += b;
        } else if kind.is_file() {
            if !dst.exists() {
                let tmp = to.join(format!(".tmp-{}", name.to_string_lossy()));
                std::fs::copy(&src, &tmp).map_err(io(&src))?;
                sync_file(&tmp)?;
                std::fs::rename(&tmp, &dst).map_err(io(&dst))?;
            }
            files += 1;
            bytes += std::fs::metadata(&dst).map_err(io(&dst))?.len();
        }
    }
    sync_file(to)?;
    Ok((files, bytes))
}

fn run_tool(tool: &'static str, args: &[String], url: &str) -> Result<(), BackupError> {
    let mut cmd = Command::new(tool);
    cmd.args(args).env_remove("PGPASSWORD").env_remove("PGOPTIONS");
    for (k, v) in db::libpq_env(url)? {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| BackupError::Tool {
        tool,
        message: format!("không chạy được ({e}); cài gói postgresql-client cùng phiên bản với máy chủ"),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool { tool, message: String::from_utf8_lossy(&out.stderr).trim().to_owned() })
    }
}

/// Takes a backup of the running system into `dest` (a new or empty directory).
/// The files of `blobs` into `to` (as `ab/cdef…`), or of the data directory when kept there.
async fn copy_blobs_out(blobs: &BlobStore, data_dir: &Path, to: &Path) -> Result<(u64, u64), BackupError> {
    let BlobStore::S3(s3) = blobs else { return copy_tree(&data_dir.join("blobs"), to) };
    let (mut files, mut bytes) = (0, 0);
    for name in s3.names().await.map_err(io(to))? {
        let dir = to.join(&name[..2]);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let content = s3.get(&name).await.map_err(io(&dir))?;
        let (tmp, dst) = (dir.join(format!(".tmp-{}", &name[2..])), dir.join(&name[2..]));
        std::fs::write(&tmp, &content).map_err(io(&tmp))?;
        sync_file(&tmp)?;
        std::fs::rename(&tmp, &dst).map_err(io(&dst))?;
        sync_file(&dir)?;
        files += 1;
        bytes += content.len() as u64;
    }
    sync_file(to)?;
    Ok((files, bytes))
}

/// The files of a backup's `from` (as `ab/cdef…`) into `blobs`, or into the data directory.
async fn copy_blobs_in(blobs: &BlobStore, from: &Path, data_dir: &Path) -> Result<(), BackupError> {
    let BlobStore::S3(s3) = blobs else { return copy_tree(from, &data_dir.join("blobs")).map(|_| ()) };
    if !from.exists() {
        return Ok(());
    }
    for dir in std::fs::read_dir(from).map_err(io(from))? {
        let dir = dir.map_err(io(from))?.path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = file.map_err(io(&dir))?.path();
            let name = format!(
                "{}{}",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            if name.contains(".tmp-") {
                continue;
            }
            let content = std::fs::read(&path).map_err(io(&path))?;
            if s3.put(content).await.map_err(io(&path))? != name {
                return Err(BackupError::Usage(format!("{}: nội dung không khớp tên (tệp hỏng)", path.display())));
            }
        }
    }
    Ok(())
}

pub async fn backup(
    database_url: &str,
    data_dir: &Path,
    blobs: &BlobStore,
    dest: &Path,
) -> Result<Summary, BackupError> {
    if dest.exists() && std::fs::read_dir(dest).map_err(io(dest))?.next().is_some() {
        return Err(BackupError::Usage(format!("{} đã có dữ liệu: hãy chọn một thư mục mới", dest.display())));
    }
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // It holds personal data and the keys' passphrase.
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o700)).map_err(io(dest))?;
    }
    let engine = engine_of(database_url);
    let (file, tables) = if engine == "sqlite" {
        let file = dest.join(SQLITE_FILE);
        db::sqlite_copy(database_url, &file).await?;
        sync_file(&file)?;
        (file.clone(), db::sqlite_digests(&file).await?)
    } else {
        let file = dest.join(PG_FILE);
        let snapshot = db::PgSnapshot::open(database_url).await?;
        let mut args = vec![
            "--format=custom".to_owned(),
            "--no-owner".to_owned(),
            "--no-privileges".to_owned(),
            format!("--snapshot={}", snapshot.name),
            format!("--file={}", file.display()),
        ];
        if let Some(schema) = &snapshot.schema {
            args.push(format!("--schema={schema}"));
        }
        let dumped = run_tool("pg_dump", &args, database_url);
        let tables = snapshot.digests.clone();
        snapshot.close().await?;
        dumped?;
        sync_file(&file)?;
        (file, tables)
    };
    // After the snapshot: every file it names is already on disk.
    let (blobs, blob_bytes) = copy_blobs_out(blobs, data_dir, &dest.join("blobs")).await?;
    copy_tree(&data_dir.join("keys"), &dest.join("keys"))?;
    let manifest = Manifest {
        engine: engine.to_owned(),
        created_at: jiff::Timestamp::now().to_string(),
        motcua_version: env!("CARGO_PKG_VERSION").to_owned(),
        database_file: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        database_sha256: file_sha256(&file)?,
        tables,
        blobs,
        blob_bytes,
        extra: serde_json::Value::Null,
    };
    let path = dest.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| BackupError::Usage(e.to_string()))?;
    let mut f = std::fs::File::create(&path).map_err(io(&path))?;
    f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(io(&path))?;
    sync_file(dest)?;
    Ok(Summary::of(&manifest))
}

fn read_manifest(src: &Path) -> Result<Manifest, BackupError> {
    let path = src.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text)
        .map_err(|e| BackupError::Usage(format!("{}: không phải bản sao lưu ({e})", path.display())))
}

fn compare(expected: &Digests, got: &Digests) -> Result<(), BackupError> {
    let mut differ: Vec<String> = expected
        .iter()
        .filter(|(t, d)| got.get(*t) != Some(d))
        .map(|(t, d)| match got.get(t) {
            Some(g) => format!("{t} ({} dòng, bản sao lưu {} dòng)", g.rows, d.rows),
            None => format!("{t} (thiếu bảng)"),
        })
        .collect();
    differ.extend(got.keys().filter(|t| !expected.contains_key(*t)).map(|t| format!("{t} (bảng thừa)")));
    if differ.is_empty() { Ok(()) } else { Err(BackupError::Mismatch(differ.join(", "))) }
}

/// Restores `src` into the database and data directory given; refuses a database that holds
/// data (SQLite: an existing file, unless `force` with the server stopped; PostgreSQL: a
/// schema with tables). Verifies every table against the manifest afterwards.
pub async fn restore(
    database_url: &str,
    data_dir: &Path,
    blobs: &BlobStore,
    src: &Path,
    force: bool,
) -> Result<Summary, BackupError> {
    let manifest = read_manifest(src)?;
    let engine = engine_of(database_url);
    if manifest.engine != engine {
        return Err(BackupError::Usage(format!(
            "bản sao lưu của {} không khôi phục vào {engine} được",
            manifest.engine
        )));
    }
    let file = src.join(&manifest.database_file);
    if file_sha256(&file)? != manifest.database_sha256 {
        return Err(BackupError::Usage(format!("{}: tệp CSDL hỏng (SHA-256 khác bản kê)", file.display())));
    }
    // The passphrase of the keys: never silently replaced by another.
    let (keys_from, keys_to) = (src.join("keys").join("passphrase"), data_dir.join("keys").join("passphrase"));
    if keys_from.exists() && keys_to.exists() {
        let same =
            std::fs::read(&keys_from).map_err(io(&keys_from))? == std::fs::read(&keys_to).map_err(io(&keys_to))?;
        if !same && !force {
            return Err(BackupError::Usage(format!(
                "{} đã có khóa khác khóa của bản sao lưu (dùng --force để thay)",
                keys_to.display()
            )));
        }
        if !same {
            std::fs::remove_file(&keys_to).map_err(io(&keys_to))?;
        }
    }
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    if engine == "sqlite" {
        let target = db::sqlite_path(database_url)?;
        if target.exists() && !force {
            return Err(BackupError::Usage(format!(
                "{} đã có CSDL; dừng máy chủ và dùng --force để ghi đè",
                target.display()
            )));
        }
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let tmp = dir.join(".restore-motcua.db");
        std::fs::copy(&file, &tmp).map_err(io(&file))?;
        sync_file(&tmp)?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side).map_err(io(&side))?;
            }
        }
        std::fs::rename(&tmp, &target).map_err(io(&target))?;
        sync_file(dir)?;
    } else {
        if !db::pg_is_empty(database_url).await? {
            return Err(BackupError::Usage(
                "CSDL PostgreSQL đích đã có bảng: hãy khôi phục vào một CSDL (hoặc schema) mới, trống".into(),
            ));
        }
        let database = db::libpq_env(database_url)?
            .into_iter()
            .find(|(k, _)| *k == "PGDATABASE")
            .map(|(_, v)| v)
            .ok_or_else(|| BackupError::Usage("địa chỉ PostgreSQL thiếu tên CSDL".into()))?;
        let args = vec![
            "--no-owner".to_owned(),
            "--no-privileges".to_owned(),
            "--exit-on-error".to_owned(),
            "--single-transaction".to_owned(),
            format!("--dbname={database}"),
            file.display().to_string(),
        ];
        run_tool("pg_restore", &args, database_url)?;
    }
    copy_blobs_in(blobs, &src.join("blobs"), data_dir).await?;
    copy_tree(&src.join("keys"), &data_dir.join("keys"))?;
    compare(&manifest.tables, &db::digests(database_url).await?)?;
    Ok(Summary::of(&manifest))
}

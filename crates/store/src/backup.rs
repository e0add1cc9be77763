//! What `motcua backup` and `motcua restore` need of the database: a consistent copy taken
//! while the server runs, and a digest of every table to prove a restore gave back exactly
//! what was copied.
//!
//! SQLite copies itself with `VACUUM INTO` (one read transaction: a consistent snapshot,
//! writers go on). PostgreSQL exports a snapshot from a repeatable-read transaction; the
//! digests are computed inside it and `pg_dump --snapshot` dumps that same snapshot.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use futures_util::TryStreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::{Result, StoreError};

/// Rows and SHA-256 of one table: the hash of its rows' text in sorted order (so physical
/// order and row ids chosen by a vacuum do not matter). The database sorts and the rows are
/// hashed as they stream in: memory stays flat however large the table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableDigest {
    pub rows: u64,
    pub sha256: String,
}

pub type Digests = BTreeMap<String, TableDigest>;

#[derive(Default)]
struct RowHasher {
    sha: Sha256,
    rows: u64,
}

impl RowHasher {
    fn add(&mut self, row: &str) {
        self.sha.update(row.as_bytes());
        self.sha.update(b"\n");
        self.rows += 1;
    }
    fn finish(self) -> TableDigest {
        let sha256 = self.sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
        TableDigest { rows: self.rows, sha256 }
    }
}

fn ident(name: &str) -> Result<&str> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(StoreError::Corrupt(format!("tên bảng lạ: {name}")))
    }
}

/// The SQLite file a `sqlite:` URL names.
pub fn sqlite_path(url: &str) -> Result<std::path::PathBuf> {
    let opts = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    Ok(opts.get_filename().to_path_buf())
}

/// Copies the live SQLite database named by `url` into the new file `dest`, consistently.
pub async fn sqlite_copy(url: &str, dest: &Path) -> Result<()> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(e.to_string()))?
        .busy_timeout(std::time::Duration::from_secs(30));
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let dest = dest.to_str().ok_or_else(|| StoreError::BadUrl("đường dẫn không phải UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1").bind(dest).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Digests of every table of a SQLite file, opened read-only.
pub async fn sqlite_digests(file: &Path) -> Result<Digests> {
    let opts = SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut out = Digests::new();
    for t in tables {
        let t = ident(&t)?;
        let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!("PRAGMA table_info({t})")))
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("name"))
            .collect::<std::result::Result<_, _>>()?;
        let mut quoted = Vec::with_capacity(columns.len());
        for c in &columns {
            quoted.push(format!("quote(\"{}\")", ident(c)?));
        }
        let select = format!("SELECT {} AS r FROM {t} ORDER BY r", quoted.join(" || char(31) || "));
        let mut h = RowHasher::default();
        let mut rows = sqlx::query_scalar::<_, String>(AssertSqlSafe(select)).fetch(&mut conn);
        while let Some(row) = rows.try_next().await? {
            h.add(&row);
        }
        drop(rows);
        out.insert(t.to_owned(), h.finish());
    }
    conn.close().await?;
    Ok(out)
}

async fn pg_digests(conn: &mut PgConnection) -> Result<Digests> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Digests::new();
    for t in tables {
        let t = ident(&t)?;
        let select = format!("SELECT t::text FROM {t} t ORDER BY t::text COLLATE \"C\"");
        let mut h = RowHasher::default();
        let mut rows = sqlx::query_scalar::<_, String>(AssertSqlSafe(select)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            h.add(&row);
        }
        drop(rows);
        out.insert(t.to_owned(), h.finish());
    }
    Ok(out)
}

/// A repeatable-read transaction on PostgreSQL whose snapshot is exported for `pg_dump
/// --snapshot`; it must stay open until the dump is done.
pub struct PgSnapshot {
    conn: PgConnection,
    pub name: String,
    pub digests: Digests,
    /// The schema the URL selects (`options=-c search_path=…`), if any.
    pub schema: Option<String>,
}

impl PgSnapshot {
    pub async fn open(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let mut conn = PgConnection::connect_with(&opts).await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut conn).await?;
        let name: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut conn).await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()::text").fetch_one(&mut conn).await?;
        let digests = pg_digests(&mut conn).await?;
        let schema = (schema != "public").then_some(schema);
        Ok(Self { conn, name, digests, schema })
    }

    pub async fn close(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        self.conn.close().await?;
        Ok(())
    }
}

/// Digests of the database a URL names (either engine).
pub async fn digests(url: &str) -> Result<Digests> {
    if url.starts_with("sqlite:") {
        sqlite_digests(&sqlite_path(url)?).await
    } else {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let mut conn = PgConnection::connect_with(&opts).await?;
        let d = pg_digests(&mut conn).await;
        conn.close().await?;
        d
    }
}

/// Whether the PostgreSQL schema the URL selects has no tables (a restore goes only there).
pub async fn pg_is_empty(url: &str) -> Result<bool> {
    let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    let mut conn = PgConnection::connect_with(&opts).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = coalesce(current_schema(), '')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(n == 0)
}

/// The libpq settings of a `postgres://` URL, for `pg_dump` and `pg_restore` through the
/// environment (so no password appears on a command line).
pub fn libpq_env(url: &str) -> Result<Vec<(&'static str, String)>> {
    let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    let mut env = vec![
        ("PGHOST", opts.get_host().to_owned()),
        ("PGPORT", opts.get_port().to_string()),
        ("PGUSER", opts.get_username().to_owned()),
    ];
    if let Some(db) = opts.get_database() {
        env.push(("PGDATABASE", db.to_owned()));
    }
    // The password and options are not readable back from the options: take them from the URL.
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let auth = url.split_once("://").map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or("")).unwrap_or("");
    if let Some((userinfo, _)) = auth.rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        env.push(("PGPASSWORD", percent_decode(password)));
    }
    for pair in query.split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            match k {
                "options" => env.push(("PGOPTIONS", percent_decode(v))),
                "sslmode" => env.push(("PGSSLMODE", percent_decode(v))),
                _ => {}
            }
        }
    }
    Ok(env)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A backup's description, written beside the copy as `manifest.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// RFC 3339.
    pub created_at: String,
    pub motcua_version: String,
    /// The database file inside the backup directory.
    pub database_file: String,
    pub database_sha256: String,
    pub tables: Digests,
    /// Files of `blobs/` copied, and their total size.
    pub blobs: u64,
    pub blob_bytes: u64,
    #[serde(default)]
    pub extra: Value,
}

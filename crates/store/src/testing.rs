//! Databases for tests: a temporary SQLite file, or a fresh schema in the PostgreSQL named by
//! `MOTCUA_TEST_DATABASE_URL`.
//!
//! Without that variable the PostgreSQL half of a suite is skipped (with a message), unless
//! `MOTCUA_REQUIRE_POSTGRES=1` (set by `.ci/run`), in which case it fails: CI must never pass
//! by skipping. With the variable set, an unreachable server fails the test.

use std::sync::Arc;

use crate::{ConnectOptions, Store, sqlite_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// A URL another process (the `motcua` binary) can open to reach the same data.
    pub url: String,
    pub engine: Engine,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// Reads `MOTCUA_TEST_DATABASE_URL`; panics if PostgreSQL is required but not configured.
pub fn postgres_url() -> Option<String> {
    match std::env::var("MOTCUA_TEST_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var("MOTCUA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("MOTCUA_REQUIRE_POSTGRES=1 but MOTCUA_TEST_DATABASE_URL is not set");
            }
            eprintln!("skipping the PostgreSQL half: MOTCUA_TEST_DATABASE_URL is not set");
            None
        }
    }
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("OS randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl TestDb {
    /// `None` only when PostgreSQL is asked for, not configured, and not required.
    pub async fn new(engine: Engine) -> Option<Self> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = sqlite_url(&dir.path().join("motcua.db"));
                let store = crate::connect(
                    &url,
                    &ConnectOptions {
                        max_connections: 4,
                        sqlite_busy_timeout: std::time::Duration::ZERO,
                        ..Default::default()
                    },
                )
                .await
                .expect("open SQLite test database");
                Some(Self { store, url, engine, dir: Some(dir), pg: None })
            }
            Engine::Postgres => {
                let base = postgres_url()?;
                let schema = format!("t_{}", random_suffix());
                let store = crate::connect(
                    &base,
                    &ConnectOptions { max_connections: 4, pg_schema: Some(schema.clone()), ..Default::default() },
                )
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at MOTCUA_TEST_DATABASE_URL is unreachable: {e}"));
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Some(Self { store, url, engine, dir: None, pg: Some((base, schema)) })
            }
        }
    }

    /// Runs raw SQL on the test database behind the application's back (to tamper with it
    /// in audit tests). Returns the rows affected.
    pub async fn execute_raw(&self, sql: &str) -> u64 {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.engine {
            Engine::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("open SQLite");
                sqlx::query(sql).execute(&mut c).await.expect("raw SQL").rows_affected()
            }
            Engine::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("open PostgreSQL");
                sqlx::query(sql).execute(&mut c).await.expect("raw SQL").rows_affected()
            }
        }
    }

    /// A number read behind the application's back (`SELECT COUNT(*) FROM …`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sqlx::{Connection, Row};
        let q = sqlx::AssertSqlSafe(sql.to_owned());
        match self.engine {
            Engine::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("open SQLite");
                sqlx::query(q).fetch_one(&mut c).await.expect("count").get::<i64, _>(0)
            }
            Engine::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("open PostgreSQL");
                sqlx::query(q).fetch_one(&mut c).await.expect("count").get::<i64, _>(0)
            }
        }
    }

    /// How the engine would run `sql` (SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's `EXPLAIN`
    /// with sequential scans discouraged, so that an index that fits is chosen even on the
    /// nearly empty tables of a test): the plan's lines joined.
    pub async fn query_plan(&self, sql: &str) -> String {
        use sqlx::{Connection, Row};
        match self.engine {
            Engine::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("open SQLite");
                let q = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"));
                let rows = sqlx::query(q).fetch_all(&mut c).await.expect("plan");
                rows.iter().map(|r| r.try_get::<String, _>(3).unwrap_or_default()).collect::<Vec<_>>().join("\n")
            }
            Engine::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("open PostgreSQL");
                sqlx::query("SET enable_seqscan = off").execute(&mut c).await.expect("setting");
                let q = sqlx::AssertSqlSafe(format!("EXPLAIN {sql}"));
                let rows = sqlx::query(q).fetch_all(&mut c).await.expect("plan");
                rows.iter().map(|r| r.try_get::<String, _>(0).unwrap_or_default()).collect::<Vec<_>>().join("\n")
            }
        }
    }

    /// An empty database to restore a backup of this one into: a SQLite path not yet created,
    /// or a new PostgreSQL database on the same server (dropped with the value), whose URL
    /// selects the same schema name.
    pub async fn empty_twin(&self) -> EmptyDb {
        match &self.pg {
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = sqlite_url(&dir.path().join("motcua.db"));
                EmptyDb { url, dir: Some(dir), pg: None }
            }
            Some((base, schema)) => {
                use sqlx::Connection;
                let name = format!("motcua_twin_{}", random_suffix());
                let mut c = sqlx::PgConnection::connect(base).await.expect("PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .expect("create");
                let (head, query) = base.split_once('?').map(|(h, q)| (h, Some(q))).unwrap_or((base.as_str(), None));
                let server = head.rsplit_once('/').map(|(s, _)| s).unwrap_or(head);
                let admin = format!("{server}/{name}{}", query.map(|q| format!("?{q}")).unwrap_or_default());
                let sep = if admin.contains('?') { '&' } else { '?' };
                let url = format!("{admin}{sep}options=-c%20search_path%3D{schema}");
                EmptyDb { url, dir: None, pg: Some((base.clone(), name)) }
            }
        }
    }

    /// The directory holding the SQLite file (SQLite only).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg.take() else {
            return;
        };
        // A test that failed may have left a transaction open on its own runtime, which
        // cannot run while this waits: whoever holds a lock in the schema is ended first, and
        // the drop waits 10 s at most, so such a failure shows as a failure, not a hang.
        run_detached(
            base,
            format!(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l
                 JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '{schema}' AND l.pid <> pg_backend_pid();
                 SET lock_timeout = '10s';
                 DROP SCHEMA IF EXISTS {schema} CASCADE"
            ),
        );
    }
}

/// Runs SQL (one statement or several) on PostgreSQL from a thread of its own and waits
/// for it (Drop cannot await); failures are ignored, as there is no one left to tell.
fn run_detached(base: String, sql: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&base).await.ok()?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.ok()
        })
    })
    .join();
}

/// An empty database of [`TestDb::empty_twin`].
pub struct EmptyDb {
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl EmptyDb {
    /// The directory of the SQLite file (SQLite only).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

impl Drop for EmptyDb {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg.take() {
            run_detached(base, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

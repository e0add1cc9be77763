//! Opening each engine's store (connection settings, migrations), and the [`Store`] trait's
//! own methods (calendar adjustments, workflows, meta keys) for both engines, written once
//! as code generic over the engine (the `where` clauses: see `sql_catalog.rs`). Statements use
//! `$n` placeholders, which SQLite and PostgreSQL both accept.

use std::collections::HashMap;
use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::calendar::{Adjustment, AdjustmentKind};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row};

use motcua_domain::workflow::Workflow;

use crate::sql_shared::*;
use crate::{ACQUIRE_TIMEOUT, Backend, ConnectOptions, Result, SettingsStore, Store, StoreError};

/// How long a write may wait in the queue for SQLite's one writing connection: long enough
/// for a burst of submissions to pass one by one, short enough that a stuck writer shows.
const WRITE_QUEUE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl SqliteStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(options.sqlite_busy_timeout);
        // The one writing connection first: it creates the file and runs the migrations.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(WRITE_QUEUE_TIMEOUT)
            .connect_with(opts.clone())
            .await?;
        crate::migrations::sqlite().run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        SqliteStore::fill_search_text(&writer).await?;
        SqliteStore::fill_search_terms(&writer).await?;
        let mut conn = writer.acquire().await?;
        // New dossiers' words a stop left unmoved (`sql_dossier_words.rs`).
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        SqliteStore::move_recent_words(&mut tx).await?;
        tx.commit().await?;
        // From here on its savepoints (one per write in a group commit) keep the pages they
        // change in memory: SQLite's default spills that copy past 64 KiB to a temporary
        // file, which cost more writes than the log itself (270 KB written per submission
        // against 113 KB). Set after the migrations and the fills above, whose index builds
        // and sorts over a large file keep SQLite's temporary files; a bulk load sets it back
        // to a file for its batches too.
        sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *conn).await?;
        Ok(Self {
            pool,
            writer: crate::sql_write::Writer::Queue(crate::sql_write::WriteQueue::new(conn, WRITE_QUEUE_TIMEOUT)),
            desks: Default::default(),
        })
    }
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The values the writing connection holds now for the settings a bulk load sets for
    /// itself and gives back (`synchronous`, `cache_size`, `wal_autocheckpoint`, `temp_store`,
    /// in that order; `None` if this store had no writing connection of its own).
    pub async fn writer_settings(&self) -> Result<Option<Vec<i64>>> {
        match &self.writer {
            crate::sql_write::Writer::Queue(q) => {
                let now = q.settings_now(crate::sql_import::LOAD_SETTINGS).await?;
                Ok(Some(now.into_iter().map(|(_, value)| value).collect()))
            }
            crate::sql_write::Writer::Pool(_) => Ok(None),
        }
    }
}

impl PostgresStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let mut opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        if let Some(schema) = &options.pg_schema {
            if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(StoreError::BadUrl(format!("tên schema không hợp lệ: {schema}")));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(opts.clone())
                .await?;
            sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))).execute(&admin).await?;
            admin.close().await;
            opts = opts.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        crate::migrations::postgres().run(&pool).await?;
        PostgresStore::fill_search_text(&pool).await?;
        PostgresStore::fill_search_terms(&pool).await?;
        Ok(Self { writer: crate::sql_write::Writer::Pool(pool.clone()), pool, desks: Default::default() })
    }
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl<DB: Engine> Store for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    bool: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    f64: Column<DB>,
    Vec<u8>: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
    Option<f64>: Column<DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    Option<i32>: Column<DB>,
{
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl<DB: Engine> crate::JobStore for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    bool: Column<DB>,
    i64: Column<DB>,
    String: Column<DB>,
{
    async fn backlogs(&self, today: jiff::civil::Date) -> Result<crate::Backlogs> {
        let counts = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM exchange_outbox WHERE delivered_at IS NULL),
                    (SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL)",
        )
        .fetch_one(&self.pool)
        .await?;
        let waiting = sqlx::query(
            "SELECT centre_code, COUNT(*) FROM queue_tickets WHERE day = $1 AND status = 'waiting'
             GROUP BY centre_code ORDER BY centre_code",
        )
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(crate::Backlogs {
            documents_outbox: counts.try_get(0)?,
            notifications: counts.try_get(1)?,
            waiting_tickets: waiting,
        })
    }

    fn pool_use(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    async fn lead(&self, job: &str) -> Result<Option<crate::Lead>> {
        if DB::BACKEND == Backend::Sqlite {
            return Ok(Some(crate::Lead(None)));
        }
        // Held by the open transaction: released at its end, when the lead is dropped (the
        // connection rolls back on its way to the pool) or when the connection dies.
        let mut tx = self.pool.begin().await?;
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(crate::job_key(job))
            .fetch_one(&mut *tx)
            .await?;
        Ok(held.then(|| crate::Lead(Some(Box::new(tx)))))
    }
}

#[async_trait]
impl<DB: Engine> SettingsStore for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    bool: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    f64: Column<DB>,
    Vec<u8>: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
    Option<f64>: Column<DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    Option<i32>: Column<DB>,
{
    async fn calendar_adjustments(&self) -> Result<Vec<Adjustment>> {
        let rows =
            sqlx::query("SELECT day, kind, name FROM calendar_adjustments ORDER BY day").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let kind = match r.try_get::<&str, _>("kind")? {
                    "off" => AdjustmentKind::Off,
                    "work" => AdjustmentKind::Work,
                    other => return Err(StoreError::Corrupt(format!("loại điều chỉnh lịch: {other}"))),
                };
                Ok(Adjustment {
                    date: r.try_get::<&str, _>("day")?.parse().map_err(corrupt("ngày điều chỉnh"))?,
                    kind,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn upsert_calendar_adjustments(&self, adjustments: &[Adjustment]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        for a in adjustments {
            let kind = match a.kind {
                AdjustmentKind::Off => "off",
                AdjustmentKind::Work => "work",
            };
            sqlx::query(
                "INSERT INTO calendar_adjustments (day, kind, name) VALUES ($1, $2, $3)
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
            )
            .bind(a.date.to_string())
            .bind(kind)
            .bind(a.name.clone())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(crate::CALENDAR_VERSION_KEY)
        .bind(Timestamp::now().as_nanosecond().to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(adjustments.len() as u64)
    }

    async fn upsert_workflows(&self, workflows: &[Workflow]) -> Result<u64> {
        let lock = if DB::BACKEND == Backend::Postgres { " FOR UPDATE" } else { "" };
        let mut tx = self.writer.begin().await?;
        let mut written = 0;
        for w in workflows {
            let current: Option<String> =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT body FROM workflows WHERE code = $1{lock}")))
                    .bind(w.code.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            let current: Option<Workflow> =
                current.map(|b| serde_json::from_str(&b)).transpose().map_err(corrupt("quy trình"))?;
            let version = match &current {
                Some(c) if c.same_rules(w) => continue,
                Some(c) => c.version + 1,
                None => {
                    // A code stored before and removed by hand keeps counting from its last version.
                    let last: Option<i64> =
                        sqlx::query_scalar("SELECT MAX(version) FROM workflow_versions WHERE code = $1")
                            .bind(w.code.clone())
                            .fetch_one(&mut *tx)
                            .await?;
                    u32::try_from(last.unwrap_or(0)).unwrap_or(0) + 1
                }
            };
            let body = serde_json::to_string(&Workflow { version, ..w.clone() }).map_err(corrupt("quy trình"))?;
            sqlx::query("INSERT INTO workflow_versions (code, version, body, created_at) VALUES ($1, $2, $3, $4)")
                .bind(w.code.clone())
                .bind(i64::from(version))
                .bind(body.clone())
                .bind(Timestamp::now().as_microsecond())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO workflows (code, body) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET body = excluded.body")
                .bind(w.code.clone())
                .bind(body)
                .execute(&mut *tx)
                .await?;
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn workflows(&self) -> Result<Vec<Workflow>> {
        let rows = sqlx::query("SELECT body FROM workflows ORDER BY code").fetch_all(&self.pool).await?;
        rows.iter().map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("quy trình"))).collect()
    }

    async fn workflow_version(&self, code: &str, version: u32) -> Result<Option<Workflow>> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM workflow_versions WHERE code = $1 AND version = $2")
                .bind(code.to_owned())
                .bind(i64::from(version))
                .fetch_optional(&self.pool)
                .await?;
        body.map(|b| serde_json::from_str(&b)).transpose().map_err(corrupt("quy trình"))
    }

    async fn workflow_versions(&self) -> Result<Vec<Workflow>> {
        let rows =
            sqlx::query("SELECT body FROM workflow_versions ORDER BY code, version").fetch_all(&self.pool).await?;
        rows.iter().map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("quy trình"))).collect()
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?)
    }

    async fn metas(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let mut qb = sqlx::QueryBuilder::new("SELECT key, value FROM meta WHERE key IN (");
        let mut list = qb.separated(", ");
        for k in keys {
            list.push_bind((*k).to_owned());
        }
        qb.push(")");
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut found = HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?);
        }
        Ok(keys.iter().map(|k| found.remove(*k)).collect())
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.writer.execute(sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key.to_owned())
        .bind(value.to_owned())
        )
        .await?;
        Ok(())
    }
}

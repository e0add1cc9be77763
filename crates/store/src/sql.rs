//! The SQL both backends share. Statements are written once, with `$n` placeholders that
//! SQLite and PostgreSQL both accept, and instantiated per backend by `store_impl!`; what
//! differs (connection setup, migrations, DDL) lives beside it.

use std::fmt::Display;
use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::calendar::{Adjustment, AdjustmentKind};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row};

use motcua_domain::workflow::{Dossier, Workflow};

use crate::{ACQUIRE_TIMEOUT, Backend, ConnectOptions, Result, Store, StoreError};

/// Embedded SQLite, one file; WAL with full sync so an acknowledged write survives a crash
/// or power loss.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        crate::migrations::sqlite().run(&pool).await?;
        crate::sql_dossiers::sqlite_dossiers::fill_search_text(&pool).await?;
        Ok(Self { pool })
    }
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// PostgreSQL, for large deployments.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
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
        crate::sql_dossiers::postgres_dossiers::fill_search_text(&pool).await?;
        Ok(Self { pool })
    }
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) fn corrupt<E: Display>(what: &'static str) -> impl Fn(E) -> StoreError {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn timestamp(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(corrupt("thời điểm"))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_contains(word: &str) -> String {
    let mut s = String::with_capacity(word.len() + 2);
    s.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "a.id, a.username, a.full_name, a.kind, a.cccd, a.email, a.phone, a.created_at, a.disabled";

pub(crate) const EVENT_COLUMNS: &str = "dossier_code, seq, at_us, actor_account, actor, action, from_status, to_status, \
     from_step, to_step, details, state_hash, prev_hash, hash";

/// A durable queue table of the form both outboxes share: items are due when not done
/// and `next_attempt_at` has come; each try counts an attempt, keeps the last error and
/// sets the next time, or marks the item done.
pub(crate) struct RetryQueue {
    pub table: &'static str,
    pub columns: &'static str,
    /// The column set when the item is done (`delivered_at`, `sent_at`).
    pub done: &'static str,
    /// How much of an error message is kept.
    pub error_chars: usize,
}

/// The queue operations, for one backend's pool; expanded inside each backend module.
macro_rules! retry_queue_fns {
    ($db:ty) => {
        async fn queue_due(
            pool: &sqlx::Pool<$db>,
            q: &crate::sql::RetryQueue,
            now: Timestamp,
            limit: i64,
        ) -> Result<Vec<<$db as sqlx::Database>::Row>> {
            Ok(sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM {} WHERE {} IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
                q.columns, q.table, q.done
            )))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        }

        async fn queue_done(pool: &sqlx::Pool<$db>, q: &crate::sql::RetryQueue, id: i64, at: Timestamp) -> Result<()> {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {} SET {} = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
                q.table, q.done
            )))
            .bind(micros(at))
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        }

        async fn queue_retry(
            pool: &sqlx::Pool<$db>,
            q: &crate::sql::RetryQueue,
            id: i64,
            error: &str,
            next: Timestamp,
        ) -> Result<()> {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {} SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
                q.table
            )))
            .bind(error.chars().take(q.error_chars).collect::<String>())
            .bind(micros(next))
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        }
    };
}
pub(crate) use retry_queue_fns;

pub(crate) fn dossier_body(d: &Dossier) -> Result<String> {
    serde_json::to_string(d).map_err(corrupt("hồ sơ"))
}

/// What an officer's search matches besides the code: the applicant's name without
/// diacritics, the CCCD and the phone number.
pub(crate) fn search_text(d: &Dossier) -> String {
    let a = &d.applicant;
    let mut s = a.full_name.folded();
    for part in [a.cccd.as_ref().map(|c| c.as_str()), a.phone.as_ref().map(|p| p.as_str())].into_iter().flatten() {
        s.push(' ');
        s.push_str(part);
    }
    s
}

macro_rules! store_impl {
    ($module:ident, $store:ident, $db:ty, $backend:expr, $begin_write:expr) => {
        mod $module {
            use super::*;

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> Backend {
                    $backend
                }

                async fn ping(&self) -> Result<()> {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    Ok(())
                }

                async fn calendar_adjustments(&self) -> Result<Vec<Adjustment>> {
                    let rows = sqlx::query("SELECT day, kind, name FROM calendar_adjustments ORDER BY day").fetch_all(&self.pool).await?;
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
                    let mut tx = self.pool.begin().await?;
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
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(crate::CALENDAR_VERSION_KEY)
                        .bind(Timestamp::now().as_nanosecond().to_string())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(adjustments.len() as u64)
                }

                async fn upsert_workflows(&self, workflows: &[Workflow]) -> Result<u64> {
                    let mut tx = self.pool.begin().await?;
                    for w in workflows {
                        sqlx::query("INSERT INTO workflows (code, body) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET body = excluded.body")
                            .bind(w.code.clone())
                            .bind(serde_json::to_string(w).map_err(corrupt("quy trình"))?)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(workflows.len() as u64)
                }

                async fn workflows(&self) -> Result<Vec<Workflow>> {
                    let rows = sqlx::query("SELECT body FROM workflows ORDER BY code").fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("quy trình")))
                        .collect()
                }

                async fn meta(&self, key: &str) -> Result<Option<String>> {
                    Ok(sqlx::query("SELECT value FROM meta WHERE key = $1")
                        .bind(key.to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| r.try_get::<String, _>(0))
                        .transpose()?)
                }

                async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(key.to_owned())
                        .bind(value.to_owned())
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        }
    };
}

// SQLite: take the write lock at BEGIN, so concurrent writers queue (busy timeout) instead of
// failing when a read turns into a write.
store_impl!(sqlite_impl, SqliteStore, sqlx::Sqlite, Backend::Sqlite, "BEGIN IMMEDIATE");
store_impl!(postgres_impl, PostgresStore, sqlx::Postgres, Backend::Postgres, "BEGIN");

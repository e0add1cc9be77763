//! What the engines' stores share: `SqlStore<DB>` (its two instances `SqliteStore` and
//! `PostgresStore`), the `Engine` dialect and the `Column` bound the generic SQL is written
//! against, converting values to and from the database, the column lists several roles read,
//! the retry queue's statements, counting, and a dossier's body and search text.

use std::fmt::Display;

use jiff::Timestamp;
use motcua_domain::workflow::Dossier;
use sqlx::AssertSqlSafe;

use crate::{Result, StoreError};

/// The store over one SQL engine's pool. The SQL written as ordinary generic code
/// (`sql_catalog.rs`) is `impl<DB: Engine> … for SqlStore<DB>`; the rest is still instantiated
/// per engine by one macro per role file.
///
/// Reads use `pool`; every write (a write transaction or a single writing statement) goes
/// through `writer` (`sql_write.rs`). On SQLite that is one connection of its own behind a
/// fair queue, so writers go in arrival order, none ever waits in SQLite's busy handler
/// (which sleeps and retries, and whose order is a lottery), and the writes waiting at a
/// moment share one commit; the readers carry on beside it under WAL. On PostgreSQL, which
/// locks rows rather than the database, it is the same pool.
pub struct SqlStore<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    pub(crate) writer: crate::sql_write::Writer<DB>,
    /// Submissions waiting for their desk's day sequence, written in groups.
    pub(crate) desks: std::sync::Arc<crate::desk_queue::Desks>,
}

impl<DB: sqlx::Database> SqlStore<DB> {
    /// On SQLite, how many writes were committed and in how many commits (the group commit
    /// at work); `None` on PostgreSQL, whose writes each commit on their own.
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        match &self.writer {
            crate::sql_write::Writer::Pool(_) => None,
            crate::sql_write::Writer::Queue(q) => Some((q.counts.writes.load(Relaxed), q.counts.commits.load(Relaxed))),
        }
    }
}

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore { pool: self.pool.clone(), writer: self.writer.clone(), desks: self.desks.clone() }
    }
}

/// Embedded SQLite, one file; WAL with full sync so an acknowledged write survives a crash
/// or power loss.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;

/// PostgreSQL, for large deployments.
pub type PostgresStore = SqlStore<sqlx::Postgres>;

pub use crate::sql_engine::{Column, Engine, RowsAffected};

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
    /// The column set when the item is done (`delivered_at`, `sent_at`).
    pub done: &'static str,
    /// How much of an error message is kept.
    pub error_chars: usize,
}

/// The queue operations, and counting a list's rows, on any engine.
impl<DB: Engine> SqlStore<DB>
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
    /// How many rows a list has in all: a first page that came back short is the whole list
    /// (no second query); otherwise the number the `SELECT COUNT(*) …` built by `qb` answers.
    pub(crate) async fn total(
        mut qb: sqlx::QueryBuilder<DB>,
        pool: &sqlx::Pool<DB>,
        page: crate::Page,
        rows: usize,
    ) -> Result<i64> {
        use sqlx::Row;
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        if page.offset == 0 && rows < page.limit {
            return Ok(rows);
        }
        Ok(qb.build().fetch_one(pool).await?.try_get::<i64, _>(0)?)
    }

    /// Claims up to `limit` due items, oldest first, until `until`: their next attempt is moved
    /// there, in one statement, so a second server asking at the same moment gets others (on
    /// PostgreSQL it passes over rows being claimed; re-checked after a wait, a row claimed
    /// meanwhile is no longer due). A try marks the item done or sets its next attempt; an
    /// item whose server died holding it is due again at `until`. The claimed rows, by id.
    pub(crate) async fn queue_claim(
        writer: &crate::sql_write::Writer<DB>,
        pool: &sqlx::Pool<DB>,
        q: &crate::sql_shared::RetryQueue,
        columns: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DB::Row>> {
        use sqlx::Row;
        let (t, done) = (q.table, q.done);
        // An idle poll reads and writes nothing (the claim below re-checks what it takes).
        let any = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM {t} WHERE {done} IS NULL AND next_attempt_at <= $1 LIMIT 1"
        )))
        .bind(micros(now))
        .fetch_optional(pool)
        .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = writer.begin().await?;
        let ids: Vec<i64> = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {t} SET next_attempt_at = $1 WHERE {done} IS NULL AND next_attempt_at <= $2 AND id IN \
             (SELECT id FROM {t} WHERE {done} IS NULL AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3{}) \
             RETURNING id",
            DB::SKIP_LOCKED
        )))
        .bind(micros(until))
        .bind(micros(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<std::result::Result<_, _>>()?;
        tx.commit().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut b = sqlx::QueryBuilder::<DB>::new(format!("SELECT {columns} FROM {t} WHERE id IN ("));
        let mut list = b.separated(", ");
        for id in &ids {
            list.push_bind(*id);
        }
        b.push(") ORDER BY id");
        Ok(b.build().fetch_all(pool).await?)
    }

    /// Marks items done, all in one statement.
    pub(crate) async fn queue_done(
        writer: &crate::sql_write::Writer<DB>,
        q: &crate::sql_shared::RetryQueue,
        ids: &[i64],
        at: Timestamp,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut b = sqlx::QueryBuilder::<DB>::new(format!("UPDATE {} SET {} = ", q.table, q.done));
        b.push_bind(micros(at)).push(", attempts = attempts + 1, last_error = NULL WHERE id IN (");
        let mut list = b.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        b.push(")");
        writer.execute(b.build()).await?;
        Ok(())
    }

    pub(crate) async fn queue_retry(
        writer: &crate::sql_write::Writer<DB>,
        q: &crate::sql_shared::RetryQueue,
        id: i64,
        error: &str,
        next: Timestamp,
    ) -> Result<()> {
        writer
            .execute(
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {} SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
                    q.table
                )))
                .bind(error.chars().take(q.error_chars).collect::<String>())
                .bind(micros(next))
                .bind(id),
            )
            .await?;
        Ok(())
    }
}

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

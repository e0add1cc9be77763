//! Reminders of deadlines, shared by the tables whose open rows carry one (feedback, work on
//! incoming documents): which rows are due a reminder of a kind, and recording one — once per
//! deadline, with its messages, in one transaction — whichever server runs the pass.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

use crate::Result;
use crate::feedback::Reminder;
use crate::payments::NewNotification;
use crate::sql_engine::RowsAffected;
use crate::sql_shared::{Column, Engine, SqlStore, micros};

/// A table with `due_at`, `closed_at`, `reminded_due`, `escalated_due` and the record in
/// `body`, keyed by `key` (names are constants: safe to put in the text).
#[derive(Clone, Copy)]
pub(crate) struct Reminded {
    pub(crate) table: &'static str,
    pub(crate) key: &'static str,
}

/// The column recording a reminder of this kind.
fn column(kind: Reminder) -> &'static str {
    match kind {
        Reminder::DueSoon => "reminded_due",
        Reminder::Overdue => "escalated_due",
    }
}

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
    /// The records of open rows due at or before `before` for which `kind` was not recorded at
    /// their present deadline, the earliest due first.
    pub(crate) async fn due_for_reminder(
        &self,
        t: Reminded,
        kind: Reminder,
        before: Timestamp,
        limit: i64,
    ) -> Result<Vec<String>> {
        let (table, key, column) = (t.table, t.key, column(kind));
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT body FROM {table} WHERE closed_at IS NULL AND due_at <= $1
               AND ({column} IS NULL OR {column} <> due_at) ORDER BY due_at, {key} LIMIT $2"
        )))
        .bind(micros(before))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get::<&str, _>(0)?.to_owned())).collect()
    }

    /// Records `kind` for the row `id` at deadline `due` and queues `notes`, in one
    /// transaction: `false`, and nothing queued, when it was recorded already or the row moved
    /// on meanwhile.
    pub(crate) async fn record_reminder<K>(
        &self,
        t: Reminded,
        id: K,
        kind: Reminder,
        due: Timestamp,
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<bool>
    where
        K: Column<DB> + Send,
    {
        let (table, key, column) = (t.table, t.key, column(kind));
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = $2 WHERE {key} = $1 AND due_at = $2 AND closed_at IS NULL
               AND ({column} IS NULL OR {column} <> $2)"
        )))
        .bind(id)
        .bind(micros(due))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Explicitly: a dropped transaction is only rolled back when its connection is
            // next used, holding its locks until then.
            tx.rollback().await?;
            return Ok(false);
        }
        Self::insert_notifications(&mut tx, notes, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

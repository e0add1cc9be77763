//! The message outbox (SMS, e-mail) every role that tells someone something writes to: queued
//! in the same transaction as the change it is about, sent by the notifier
//! (`OutboxStore`, implemented here). Generic over the engine (the `where` clauses: see
//! `sql_catalog.rs`).

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::DossierCode;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::Result;
use crate::payments::{NewNotification, Notification, OutboxStore};
use crate::sql_shared::{Column, EVENT_COLUMNS, Engine, RetryQueue, SqlStore, corrupt, micros, timestamp};

pub(crate) const NOTIFICATION_COLUMNS: &str = "id, dossier_code, event_seq, topic, channel, recipient, subject, body, attempts, \
     next_attempt_at, last_error, sent_at, created_at";
pub(crate) const NOTIFICATIONS: RetryQueue = RetryQueue { table: "notifications", done: "sent_at", error_chars: 500 };

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
    /// Messages without a dossier whose topic starts with `prefix`.
    pub(crate) async fn messages_about(pool: &sqlx::Pool<DB>, prefix: &str) -> Result<Vec<Notification>> {
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE topic LIKE $1 ESCAPE '\\' ORDER BY id"
        )))
        .bind(pattern)
        .fetch_all(pool)
        .await?
        .iter()
        .map(Self::notification_from_row)
        .collect()
    }

    /// Queues messages inside a transaction; one already queued for the same dossier
    /// event (or topic) and channel is kept as it is.
    pub(crate) async fn insert_notifications(
        tx: &mut crate::sql_write::WriteTx<DB>,
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<()> {
        // One statement per 100 messages (9 values each), not one per message: the
        // notifier's pass holds the writer (on SQLite, every writer) while it runs.
        for chunk in notes.chunks(100) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO notifications (dossier_code, event_seq, topic, channel, recipient, subject, body, \
                 next_attempt_at, created_at) ",
            );
            qb.push_values(chunk, |mut b, n| {
                b.push_bind(n.dossier.as_ref().map(|d| d.as_str().to_owned()))
                    .push_bind(n.event_seq)
                    .push_bind(n.topic.clone())
                    .push_bind(n.channel.clone())
                    .push_bind(n.recipient.clone())
                    .push_bind(n.subject.clone())
                    .push_bind(n.body.clone())
                    .push_bind(micros(now))
                    .push_bind(micros(now));
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(crate) fn notification_from_row(r: &DB::Row) -> Result<Notification> {
        Ok(Notification {
            id: r.try_get("id")?,
            note: NewNotification {
                dossier: r
                    .try_get::<Option<&str>, _>("dossier_code")?
                    .map(DossierCode::parse)
                    .transpose()
                    .map_err(corrupt("mã hồ sơ"))?,
                event_seq: r.try_get("event_seq")?,
                topic: r.try_get("topic")?,
                channel: r.try_get("channel")?,
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
            },
            attempts: i64::from(r.try_get::<i32, _>("attempts")?),
            next_attempt_at: timestamp(r.try_get("next_attempt_at")?)?,
            last_error: r.try_get("last_error")?,
            sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(timestamp).transpose()?,
            created_at: timestamp(r.try_get("created_at")?)?,
        })
    }
}

#[async_trait]
impl<DB: Engine> OutboxStore for SqlStore<DB>
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
    async fn unnotified_events(&self, limit: i64) -> Result<Vec<motcua_domain::audit::Event>> {
        // The same reader as the dossier's own events: a status out of range is corrupt data,
        // refused, not wrapped into another status.
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE NOT notified ORDER BY at_us, dossier_code, seq LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::event_from_row)
        .collect()
    }

    async fn queue_notifications(
        &self,
        events: &[(DossierCode, i64)],
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::insert_notifications(&mut tx, notes, now).await?;
        // Each event by its key, 100 to a statement, in the form each engine answers from
        // the primary key: SQLite an OR of key matches (one index search each); PostgreSQL
        // the keys as a list (`IN (VALUES …)`: one index probe per key; the OR of 100 keys
        // was planned as a bitmap OR of 100 index scans, 4.7 ms against 1.4 ms).
        let pg = DB::BACKEND == crate::Backend::Postgres;
        for chunk in events.chunks(100) {
            let mut qb = QueryBuilder::<DB>::new("UPDATE dossier_events SET notified = TRUE WHERE ");
            if pg {
                qb.push("(dossier_code, seq) IN (VALUES ");
            }
            for (i, (code, seq)) in chunk.iter().enumerate() {
                match (pg, i) {
                    (true, 0) => qb.push("("),
                    (true, _) => qb.push(", ("),
                    (false, 0) => qb.push("(dossier_code = "),
                    (false, _) => qb.push(" OR (dossier_code = "),
                };
                qb.push_bind(code.as_str().to_owned())
                    .push(if pg { ", " } else { " AND seq = " })
                    .push_bind(*seq)
                    .push(")");
            }
            if pg {
                qb.push(")");
            }
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_notifications(&self, now: Timestamp, limit: i64) -> Result<Vec<Notification>> {
        let until = now + jiff::SignedDuration::from_secs(crate::payments::NOTIFICATION_CLAIM_SECS);
        Self::queue_claim(&self.writer, &self.pool, &NOTIFICATIONS, NOTIFICATION_COLUMNS, now, until, limit)
            .await?
            .iter()
            .map(Self::notification_from_row)
            .collect()
    }

    async fn notification_sent(&self, id: i64, at: Timestamp) -> Result<()> {
        Self::queue_done(&self.writer, &NOTIFICATIONS, &[id], at).await
    }

    async fn notification_retry(&self, id: i64, error: &str, next: Timestamp) -> Result<()> {
        Self::queue_retry(&self.writer, &NOTIFICATIONS, id, error, next).await
    }

    async fn notifications_of(&self, dossier: &DossierCode) -> Result<Vec<Notification>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE dossier_code = $1 ORDER BY id"
        )))
        .bind(dossier.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::notification_from_row)
        .collect()
    }
}

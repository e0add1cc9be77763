//! [`FeedbackStore`] for both engines: the record as JSON beside the columns its lists use,
//! changed only at the version it was read at.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_domain::feedback::{Feedback, FeedbackCode};
use sqlx::{QueryBuilder, Row};

use crate::feedback::{FeedbackCount, FeedbackFilter, FeedbackStore, Reminder, StoredFeedback};
use crate::payments::NewNotification;
use crate::sql_reminders::Reminded;
use crate::sql_shared::*;
use crate::{Page, Paged, Result, StoreError};

/// The columns a feedback's record sets: code, org, status, account, published, received,
/// due, closed, search text, body.
struct Columns {
    org: String,
    topic: &'static str,
    status: i32,
    account: Option<i64>,
    published: bool,
    received: i64,
    due: i64,
    closed: Option<i64>,
    search: String,
    body: String,
}

/// Where feedback's reminders are recorded.
const FEEDBACK: Reminded = Reminded { table: "feedback", key: "code" };

fn columns(f: &Feedback) -> Result<Columns> {
    Ok(Columns {
        org: f.org.as_str().to_owned(),
        topic: f.topic.as_str(),
        status: f.status.code(),
        account: f.sender.account,
        published: f.published(),
        received: micros(f.received_at),
        due: micros(f.due_at()),
        closed: f.closed_at.map(micros),
        search: f.search_text(),
        body: serde_json::to_string(f).map_err(corrupt("phản ánh, kiến nghị"))?,
    })
}

impl<DB: Engine> SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    fn push_feedback_filter(qb: &mut QueryBuilder<DB>, f: &FeedbackFilter) {
        qb.push(" WHERE 1 = 1");
        if let Some(o) = &f.org {
            qb.push(" AND org_code = ").push_bind(o.as_str().to_owned());
        }
        if let Some(s) = f.status {
            qb.push(" AND status = ").push_bind(s.code());
        }
        if let Some(a) = f.account {
            qb.push(" AND account_id = ").push_bind(a);
        }
        if f.published {
            qb.push(" AND published = ").push_bind(true);
        }
        for word in f.text.as_deref().map(motcua_domain::text::fold).unwrap_or_default().split_whitespace().take(8) {
            let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            qb.push(" AND search_text LIKE ").push_bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
        }
    }
}

#[async_trait]
impl<DB: Engine> FeedbackStore for SqlStore<DB>
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
    async fn add_feedback(&self, f: &Feedback) -> Result<()> {
        let c = columns(f)?;
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO feedback (code, version, org_code, topic, status, account_id, published,
                       received_at, due_at, closed_at, search_text, body)
                     VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(f.code.as_str().to_owned())
                .bind(c.org)
                .bind(c.topic)
                .bind(c.status)
                .bind(c.account)
                .bind(c.published)
                .bind(c.received)
                .bind(c.due)
                .bind(c.closed)
                .bind(c.search)
                .bind(c.body),
            )
            .await?;
        Ok(())
    }

    async fn feedback(&self, code: &FeedbackCode) -> Result<Option<StoredFeedback>> {
        let row = sqlx::query("SELECT body, version FROM feedback WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredFeedback {
                feedback: serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("phản ánh, kiến nghị"))?,
                version: r.try_get(1)?,
            })
        })
        .transpose()
    }

    async fn save_feedback(&self, f: &Feedback, version: i64) -> Result<()> {
        let c = columns(f)?;
        let done = self
            .writer
            .execute(
                sqlx::query(
                    "UPDATE feedback SET version = version + 1, org_code = $1, status = $2, published = $3,
                       due_at = $4, closed_at = $5, search_text = $6, body = $7, topic = $10
                     WHERE code = $8 AND version = $9",
                )
                .bind(c.org)
                .bind(c.status)
                .bind(c.published)
                .bind(c.due)
                .bind(c.closed)
                .bind(c.search)
                .bind(c.body)
                .bind(f.code.as_str().to_owned())
                .bind(version)
                .bind(c.topic),
            )
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("phản ánh {} đã được cập nhật", f.code)));
        }
        Ok(())
    }

    async fn feedback_to_remind(&self, kind: Reminder, before: Timestamp, limit: i64) -> Result<Vec<Feedback>> {
        let bodies = self.due_for_reminder(FEEDBACK, kind, before, limit).await?;
        bodies.iter().map(|b| serde_json::from_str(b).map_err(corrupt("phản ánh, kiến nghị"))).collect()
    }

    async fn record_feedback_reminder(
        &self,
        code: &FeedbackCode,
        kind: Reminder,
        due: Timestamp,
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<bool> {
        self.record_reminder(FEEDBACK, code.as_str().to_owned(), kind, due, notes, now).await
    }

    async fn queue_feedback_messages(&self, notes: &[NewNotification], now: Timestamp) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::insert_notifications(&mut tx, notes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn feedback_counts(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Vec<FeedbackCount>> {
        let rows = sqlx::query(
            "SELECT org_code, topic, COUNT(*),
                    SUM(CASE WHEN status = 3 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN status = 4 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN closed_at IS NOT NULL AND closed_at <= due_at THEN 1 ELSE 0 END),
                    SUM(CASE WHEN closed_at IS NULL AND due_at < $3 THEN 1 ELSE 0 END)
               FROM feedback WHERE received_at >= $1 AND received_at < $2
              GROUP BY org_code, topic ORDER BY org_code, topic",
        )
        .bind(micros(from))
        .bind(micros(to))
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedbackCount {
                    org: OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?,
                    topic: r.try_get(1)?,
                    received: r.try_get(2)?,
                    answered: r.try_get(3)?,
                    refused: r.try_get(4)?,
                    closed_on_time: r.try_get(5)?,
                    overdue: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn list_feedback(&self, filter: &FeedbackFilter, page: Page) -> Result<Paged<Feedback>> {
        let mut qb = QueryBuilder::new("SELECT body FROM feedback");
        Self::push_feedback_filter(&mut qb, filter);
        let order = if filter.published { "closed_at DESC, code" } else { "received_at DESC, code" };
        qb.push(format!(" ORDER BY {order} LIMIT ")).push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("phản ánh, kiến nghị")))
            .collect::<Result<Vec<Feedback>>>()?;
        let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM feedback");
        Self::push_feedback_filter(&mut cq, filter);
        Ok(Paged { total: Self::total(cq, &self.pool, page, items.len()).await?, items })
    }
}

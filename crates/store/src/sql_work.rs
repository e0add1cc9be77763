//! [`WorkStore`] for both engines: the item as JSON beside the columns its lists use, who
//! works on it in `work_people`, changed only at the version it was read at.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::work::WorkItem;
use sqlx::{QueryBuilder, Row};

use crate::payments::NewNotification;
use crate::sql_reminders::Reminded;
use crate::sql_shared::*;
use crate::work::{Reminder, StoredWork, WorkCount, WorkFilter, WorkStore};
use crate::{Page, Paged, Result, StoreError};

fn body(w: &WorkItem) -> Result<String> {
    serde_json::to_string(w).map_err(corrupt("công việc"))
}

/// Where work's reminders are recorded.
const WORK: Reminded = Reminded { table: "work_items", key: "document_id" };

fn parsed(text: &str) -> Result<WorkItem> {
    serde_json::from_str(text).map_err(corrupt("công việc"))
}

impl<DB: Engine> SqlStore<DB>
where
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn push_work_filter(qb: &mut QueryBuilder<DB>, f: &WorkFilter) {
        qb.push(" WHERE 1 = 1");
        if let Some(o) = &f.org {
            qb.push(" AND w.org_code = ").push_bind(o.as_str().to_owned());
        }
        if let Some(p) = &f.person {
            qb.push(" AND w.document_id IN (SELECT document_id FROM work_people WHERE username = ")
                .push_bind(p.as_str().to_owned())
                .push(")");
        }
        if f.open || f.overdue_at.is_some() {
            qb.push(" AND w.closed_at IS NULL");
        }
        if let Some(now) = f.overdue_at {
            qb.push(" AND w.due_at < ").push_bind(micros(now));
        }
    }
}

#[async_trait]
impl<DB: Engine> WorkStore for SqlStore<DB>
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
    async fn add_work(&self, w: &WorkItem) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO work_items (document_id, version, org_code, status, assigned_at, due_at, closed_at, body)
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(w.document)
        .bind(w.org.as_str().to_owned())
        .bind(w.status.as_str())
        .bind(micros(w.assigned_at))
        .bind(micros(w.due_at))
        .bind(w.closed_at.map(micros))
        .bind(body(w)?)
        .execute(&mut *tx)
        .await?;
        put_people(&mut *tx, w).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn work(&self, document: i64) -> Result<Option<StoredWork>> {
        let row = sqlx::query("SELECT body, version FROM work_items WHERE document_id = $1")
            .bind(document)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(StoredWork { item: parsed(r.try_get::<&str, _>(0)?)?, version: r.try_get(1)? })).transpose()
    }

    async fn save_work(&self, w: &WorkItem, version: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE work_items SET version = version + 1, status = $1, due_at = $2, closed_at = $3, body = $4
             WHERE document_id = $5 AND version = $6",
        )
        .bind(w.status.as_str())
        .bind(micros(w.due_at))
        .bind(w.closed_at.map(micros))
        .bind(body(w)?)
        .bind(w.document)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Explicitly: a dropped transaction is only rolled back when its connection is
            // next used, holding its locks until then.
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("công việc của văn bản {} đã được cập nhật", w.document)));
        }
        sqlx::query("DELETE FROM work_people WHERE document_id = $1").bind(w.document).execute(&mut *tx).await?;
        put_people(&mut *tx, w).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_work(&self, filter: &WorkFilter, page: Page) -> Result<Paged<WorkItem>> {
        let mut qb = QueryBuilder::new("SELECT w.body FROM work_items w");
        Self::push_work_filter(&mut qb, filter);
        qb.push(" ORDER BY CASE WHEN w.closed_at IS NULL THEN 0 ELSE 1 END, w.due_at, w.document_id LIMIT ")
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let items = rows.iter().map(|r| parsed(r.try_get::<&str, _>(0)?)).collect::<Result<Vec<_>>>()?;
        let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM work_items w");
        Self::push_work_filter(&mut cq, filter);
        Ok(Paged { total: Self::total(cq, &self.pool, page, items.len()).await?, items })
    }

    async fn work_counts(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Vec<WorkCount>> {
        let rows = sqlx::query(
            "SELECT org_code, COUNT(*),
                    SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END),
                    SUM(CASE WHEN closed_at IS NOT NULL AND closed_at <= due_at THEN 1 ELSE 0 END),
                    SUM(CASE WHEN closed_at IS NULL AND due_at < $3 THEN 1 ELSE 0 END)
               FROM work_items WHERE assigned_at >= $1 AND assigned_at < $2
              GROUP BY org_code ORDER BY org_code",
        )
        .bind(micros(from))
        .bind(micros(to))
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WorkCount {
                    org: motcua_domain::OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?,
                    assigned: r.try_get(1)?,
                    done: r.try_get(2)?,
                    done_on_time: r.try_get(3)?,
                    overdue: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn work_to_remind(&self, kind: Reminder, before: Timestamp, limit: i64) -> Result<Vec<WorkItem>> {
        let bodies = self.due_for_reminder(WORK, kind, before, limit).await?;
        bodies.iter().map(|b| parsed(b)).collect()
    }

    async fn record_work_reminder(
        &self,
        document: i64,
        kind: Reminder,
        due: Timestamp,
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<bool> {
        self.record_reminder(WORK, document, kind, due, notes, now).await
    }
}

/// The main handler and the co-handlers of `w`, in the transaction.
async fn put_people<DB: Engine>(conn: &mut DB::Connection, w: &WorkItem) -> Result<()>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    i64: Column<DB>,
{
    let people = std::iter::once((&w.handler, true)).chain(w.co_handlers.iter().map(|c| (c, false)));
    for (who, main) in people {
        sqlx::query("INSERT INTO work_people (document_id, username, main) VALUES ($1, $2, $3)")
            .bind(w.document)
            .bind(who.as_str().to_owned())
            .bind(main)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

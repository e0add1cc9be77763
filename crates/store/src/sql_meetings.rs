//! [`MeetingStore`] for both engines: the meeting as JSON beside its list columns, who is
//! involved in `meeting_people`, changed only at the version it was read at and never once
//! signed.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::Username;
use motcua_domain::meeting::Meeting;
use sqlx::Row;

use crate::meetings::{MeetingStore, StoredMeeting};
use crate::payments::NewNotification;
use crate::sql_shared::*;
use crate::{Page, Paged, Result, StoreError};

fn body(m: &Meeting) -> Result<String> {
    serde_json::to_string(m).map_err(corrupt("cuộc họp"))
}

fn parsed(text: &str, id: i64) -> Result<Meeting> {
    let mut m: Meeting = serde_json::from_str(text).map_err(corrupt("cuộc họp"))?;
    m.id = id;
    Ok(m)
}

#[async_trait]
impl<DB: Engine> MeetingStore for SqlStore<DB>
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
    async fn add_meeting(&self, m: &Meeting, notes: &[NewNotification]) -> Result<i64> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO meetings (version, org_code, status, starts_at, body) VALUES (1, $1, $2, $3, $4) RETURNING id",
        )
        .bind(m.org.as_str().to_owned())
        .bind(m.status.as_str())
        .bind(micros(m.starts_at))
        .bind(body(m)?)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        put_people(&mut *tx, id, m).await?;
        Self::insert_notifications(&mut tx, notes, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn meeting(&self, id: i64) -> Result<Option<StoredMeeting>> {
        let row =
            sqlx::query("SELECT body, version FROM meetings WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| Ok(StoredMeeting { meeting: parsed(r.try_get::<&str, _>(0)?, id)?, version: r.try_get(1)? }))
            .transpose()
    }

    async fn save_meeting(&self, m: &Meeting, version: i64, notes: &[NewNotification]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE meetings SET version = version + 1, status = $1, starts_at = $2, body = $3
             WHERE id = $4 AND version = $5 AND status <> 'signed'",
        )
        .bind(m.status.as_str())
        .bind(micros(m.starts_at))
        .bind(body(m)?)
        .bind(m.id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Explicitly: a dropped transaction is only rolled back when its connection is
            // next used, holding its locks until then.
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("cuộc họp {} đã được cập nhật", m.id)));
        }
        sqlx::query("DELETE FROM meeting_people WHERE meeting_id = $1").bind(m.id).execute(&mut *tx).await?;
        put_people(&mut *tx, m.id, m).await?;
        Self::insert_notifications(&mut tx, notes, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_meetings(&self, person: &Username, page: Page) -> Result<Paged<StoredMeeting>> {
        let rows = sqlx::query(
            "SELECT m.id, m.body, m.version FROM meetings m JOIN meeting_people p ON p.meeting_id = m.id
              WHERE p.username = $1 ORDER BY m.starts_at DESC, m.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(person.as_str().to_owned())
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(StoredMeeting { meeting: parsed(r.try_get::<&str, _>(1)?, r.try_get(0)?)?, version: r.try_get(2)? })
            })
            .collect::<Result<Vec<_>>>()?;
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM meeting_people WHERE username = $1")
            .bind(person.as_str().to_owned())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(Paged { total, items })
    }
}

/// Everyone involved in `m`, in the transaction.
async fn put_people<DB: Engine>(conn: &mut DB::Connection, id: i64, m: &Meeting) -> Result<()>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    String: Column<DB>,
    i64: Column<DB>,
{
    for who in m.people() {
        sqlx::query("INSERT INTO meeting_people (meeting_id, username) VALUES ($1, $2)")
            .bind(id)
            .bind(who.as_str().to_owned())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

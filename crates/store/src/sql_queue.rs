//! [`QueueStore`]: queue services, counters and tickets, for both engines, written
//! once as code generic over the engine (the `where` clauses: see `sql_catalog.rs`).

use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use motcua_domain::service::{MAX_TICKETS_PER_DAY, ServiceLetter};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::service::*;
use crate::sql_service::*;
use crate::sql_shared::{Column, Engine, RowsAffected, SqlStore};
use crate::sql_shared::{corrupt, micros, timestamp};
use crate::{Result, StoreError};

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
    fn ticket_from_row(r: &DB::Row) -> Result<Ticket> {
        Ok(Ticket {
            id: r.try_get("id")?,
            centre: OrgCode::parse(r.try_get::<&str, _>("centre_code")?).map_err(corrupt("mã cơ quan"))?,
            letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?).map_err(corrupt("ký hiệu dịch vụ"))?,
            day: Date::from_str(r.try_get::<&str, _>("day")?).map_err(corrupt("ngày"))?,
            number: i64::from(r.try_get::<i32, _>("number")?),
            status: TicketStatus::parse(r.try_get::<&str, _>("status")?)
                .ok_or_else(|| StoreError::Corrupt("trạng thái số thứ tự".into()))?,
            issued_at: timestamp(r.try_get("issued_at")?)?,
            called_at: r.try_get::<Option<i64>, _>("called_at")?.map(timestamp).transpose()?,
            finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(timestamp).transpose()?,
            counter: r.try_get("counter")?,
            called_by: r.try_get("called_by")?,
        })
    }
}

#[async_trait]
impl<DB: Engine> QueueStore for SqlStore<DB>
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
    async fn set_queue(&self, centre: &OrgCode, services: &[QueueService], counters: &[QueueCounter]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for table in ["queue_counters", "queue_services"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE centre_code = $1")))
                .bind(centre.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
        }
        for s in services {
            sqlx::query("INSERT INTO queue_services (centre_code, letter, name) VALUES ($1, $2, $3)")
                .bind(centre.as_str().to_owned())
                .bind(s.letter.to_string())
                .bind(s.name.clone())
                .execute(&mut *tx)
                .await?;
        }
        for c in counters {
            sqlx::query("INSERT INTO queue_counters (centre_code, number, name, letters) VALUES ($1, $2, $3, $4)")
                .bind(centre.as_str().to_owned())
                .bind(c.number)
                .bind(c.name.clone())
                .bind(letters_text(&c.letters))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn queue_services(&self, centre: &OrgCode) -> Result<Vec<QueueService>> {
        sqlx::query("SELECT letter, name FROM queue_services WHERE centre_code = $1 ORDER BY letter")
            .bind(centre.as_str().to_owned())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(QueueService {
                    letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?)
                        .map_err(corrupt("ký hiệu dịch vụ"))?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn queue_counters(&self, centre: &OrgCode) -> Result<Vec<QueueCounter>> {
        sqlx::query("SELECT number, name, letters FROM queue_counters WHERE centre_code = $1 ORDER BY number")
            .bind(centre.as_str().to_owned())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(QueueCounter {
                    number: r.try_get("number")?,
                    name: r.try_get("name")?,
                    letters: parse_letters(r.try_get::<&str, _>("letters")?)?,
                })
            })
            .collect()
    }

    async fn issue_ticket(
        &self,
        centre: &OrgCode,
        letter: ServiceLetter,
        day: Date,
        now: Timestamp,
    ) -> Result<IssueOutcome> {
        let mut tx = self.writer.begin().await?;
        let known = sqlx::query("SELECT 1 FROM queue_services WHERE centre_code = $1 AND letter = $2")
            .bind(centre.as_str().to_owned())
            .bind(letter.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            rollback_with!(tx, IssueOutcome::NoService);
        }
        let n: i32 = sqlx::query(
            "INSERT INTO queue_sequences (centre_code, letter, day, last_number) VALUES ($1, $2, $3, 1)
             ON CONFLICT (centre_code, letter, day)
             DO UPDATE SET last_number = queue_sequences.last_number + 1
             RETURNING last_number",
        )
        .bind(centre.as_str().to_owned())
        .bind(letter.to_string())
        .bind(day.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if i64::from(n) > MAX_TICKETS_PER_DAY {
            rollback_with!(tx, IssueOutcome::DayFull);
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO queue_tickets (centre_code, letter, day, number, status, issued_at)
             VALUES ($1, $2, $3, $4, 'waiting', $5) RETURNING {TICKET_COLUMNS}"
        )))
        .bind(centre.as_str().to_owned())
        .bind(letter.to_string())
        .bind(day.to_string())
        .bind(n)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await?;
        let ticket = Self::ticket_from_row(&row)?;
        tx.commit().await?;
        Ok(IssueOutcome::Issued(ticket))
    }

    async fn call_next(
        &self,
        centre: &OrgCode,
        counter: i32,
        day: Date,
        now: Timestamp,
        by: i64,
    ) -> Result<Option<Ticket>> {
        let mut tx = self.writer.begin().await?;
        let letters = sqlx::query("SELECT letters FROM queue_counters WHERE centre_code = $1 AND number = $2")
            .bind(centre.as_str().to_owned())
            .bind(counter)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(letters) = letters else {
            tx.rollback().await?;
            return Err(StoreError::MissingReference(format!("quầy {counter}")));
        };
        let letters = parse_letters(letters.try_get::<&str, _>("letters")?)?;
        sqlx::query(
            "UPDATE queue_tickets SET status = 'served', finished_at = $1
             WHERE centre_code = $2 AND counter = $3 AND status = 'called'",
        )
        .bind(micros(now))
        .bind(centre.as_str().to_owned())
        .bind(counter)
        .execute(&mut *tx)
        .await?;
        if letters.is_empty() {
            tx.commit().await?;
            return Ok(None);
        }
        // Another counter may take the oldest ticket between the look and the
        // update (PostgreSQL): then look again.
        for _ in 0..50 {
            let mut q = QueryBuilder::<DB>::new("SELECT id FROM queue_tickets WHERE centre_code = ");
            q.push_bind(centre.as_str().to_owned())
                .push(" AND day = ")
                .push_bind(day.to_string())
                .push(" AND status = 'waiting' AND letter IN (");
            let mut sep = q.separated(", ");
            for l in &letters {
                sep.push_bind(l.to_string());
            }
            q.push(") ORDER BY id LIMIT 1");
            let Some(row) = q.build().fetch_optional(&mut *tx).await? else {
                tx.commit().await?;
                return Ok(None);
            };
            let id: i64 = row.try_get("id")?;
            let called = sqlx::query(AssertSqlSafe(format!(
                "UPDATE queue_tickets SET status = 'called', called_at = $1, counter = $2, called_by = $3
                 WHERE id = $4 AND status = 'waiting' RETURNING {TICKET_COLUMNS}"
            )))
            .bind(micros(now))
            .bind(counter)
            .bind(by)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = called {
                let t = Self::ticket_from_row(&row)?;
                tx.commit().await?;
                return Ok(Some(t));
            }
        }
        tx.rollback().await?;
        Err(StoreError::Conflict("quá nhiều quầy cùng gọi số".into()))
    }

    async fn finish_ticket(&self, centre: &OrgCode, id: i64, status: TicketStatus, now: Timestamp) -> Result<bool> {
        let n = self
            .writer
            .execute(
                sqlx::query(
                    "UPDATE queue_tickets SET status = $1, finished_at = $2
             WHERE id = $3 AND centre_code = $4 AND status = 'called'",
                )
                .bind(status.as_str())
                .bind(micros(now))
                .bind(id)
                .bind(centre.as_str().to_owned()),
            )
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn ticket(&self, centre: &OrgCode, id: i64) -> Result<Option<Ticket>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = $1 AND centre_code = $2"
        )))
        .bind(id)
        .bind(centre.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(Self::ticket_from_row)
        .transpose()
    }

    async fn tickets_of_day(&self, centre: &OrgCode, day: Date) -> Result<Vec<Ticket>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE centre_code = $1 AND day = $2 ORDER BY id"
        )))
        .bind(centre.as_str().to_owned())
        .bind(day.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::ticket_from_row)
        .collect()
    }

    async fn queue_stats(&self, centre: &OrgCode, from: Date, to: Date) -> Result<Vec<QueueStats>> {
        let rows = sqlx::query(
            "SELECT letter, COUNT(*) AS issued,
               COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0) AS waiting,
               COALESCE(SUM(CASE WHEN status = 'called' THEN 1 ELSE 0 END), 0) AS called,
               COALESCE(SUM(CASE WHEN status = 'served' THEN 1 ELSE 0 END), 0) AS served,
               COALESCE(SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END), 0) AS no_show,
               CAST(AVG(called_at - issued_at) AS DOUBLE PRECISION) AS mean_wait,
               MAX(called_at - issued_at) AS max_wait
             FROM queue_tickets WHERE centre_code = $1 AND day >= $2 AND day <= $3
             GROUP BY letter ORDER BY letter",
        )
        .bind(centre.as_str().to_owned())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QueueStats {
                    letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?)
                        .map_err(corrupt("ký hiệu dịch vụ"))?,
                    issued: r.try_get("issued")?,
                    waiting: r.try_get("waiting")?,
                    called: r.try_get("called")?,
                    served: r.try_get("served")?,
                    no_show: r.try_get("no_show")?,
                    mean_wait_secs: r.try_get::<Option<f64>, _>("mean_wait")?.map(|us| us / 1e6),
                    max_wait_secs: r.try_get::<Option<i64>, _>("max_wait")?.map(|us| us / 1_000_000),
                })
            })
            .collect()
    }
}

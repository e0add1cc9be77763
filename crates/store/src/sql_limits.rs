//! [`LimitStore`] for both engines: each check or count is one statement, so servers sharing
//! the database are counted in turn by the row lock of the key's row.

use async_trait::async_trait;
use sqlx::Row;

use crate::Result;
use crate::limits::{FailureRule, LimitStore, QuotaRule};
use crate::sql_shared::*;

#[async_trait]
impl<DB: Engine> LimitStore for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
{
    async fn take_quota(&self, key: &str, rule: QuotaRule, now_ms: i64) -> Result<Option<i64>> {
        let tolerance = rule.interval_ms * (i64::from(rule.burst.max(1)) - 1);
        // Passes when the theoretical arrival time is no further ahead than the burst allows;
        // then it moves on by one interval. A refused request changes nothing.
        let taken = self
            .writer
            .execute(
                sqlx::query(
                    "INSERT INTO limit_quotas (key, tat_ms) VALUES ($1, $2 + $3)
                     ON CONFLICT (key) DO UPDATE SET tat_ms =
                         CASE WHEN limit_quotas.tat_ms > $2 THEN limit_quotas.tat_ms ELSE $2 END + $3
                     WHERE limit_quotas.tat_ms - $2 <= $4",
                )
                .bind(key.to_owned())
                .bind(now_ms)
                .bind(rule.interval_ms)
                .bind(tolerance),
            )
            .await?;
        if taken.rows_affected() > 0 {
            return Ok(None);
        }
        let tat: Option<i64> = sqlx::query("SELECT tat_ms FROM limit_quotas WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        Ok(Some(tat.map_or(rule.interval_ms, |t| (t - now_ms - tolerance).max(1))))
    }

    async fn count_failure(&self, key: &str, rule: FailureRule, now_ms: i64) -> Result<()> {
        const FRESH: &str = "(limit_failures.first_ms <= $2 - $4 OR limit_failures.locked_until_ms <= $2)";
        let count = format!("CASE WHEN {FRESH} THEN 1 ELSE limit_failures.failures + 1 END");
        self.writer
            .execute(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO limit_failures (key, failures, first_ms, locked_until_ms)
                     VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2 + $5 END)
                     ON CONFLICT (key) DO UPDATE SET
                         failures = {count},
                         first_ms = CASE WHEN {FRESH} THEN $2 ELSE limit_failures.first_ms END,
                         locked_until_ms = CASE WHEN {count} >= $3 THEN $2 + $5
                                                WHEN {FRESH} THEN NULL
                                                ELSE limit_failures.locked_until_ms END"
                )))
                .bind(key.to_owned())
                .bind(now_ms)
                .bind(i64::from(rule.max))
                .bind(rule.window_ms)
                .bind(rule.lock_ms),
            )
            .await?;
        Ok(())
    }

    async fn locked_for(&self, keys: &[&str], now_ms: i64) -> Result<Vec<Option<i64>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut q =
            sqlx::QueryBuilder::<DB>::new("SELECT key, locked_until_ms FROM limit_failures WHERE locked_until_ms > ");
        q.push_bind(now_ms).push(" AND key IN (");
        let mut list = q.separated(", ");
        for k in keys {
            list.push_bind(k.to_string());
        }
        q.push(")");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(r.try_get::<String, _>("key")?, r.try_get::<Option<i64>, _>("locked_until_ms")?);
        }
        Ok(keys.iter().map(|k| found.get(*k).copied().flatten().map(|until| until - now_ms)).collect())
    }

    async fn forget_failures(&self, keys: &[&str]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut q = sqlx::QueryBuilder::<DB>::new("DELETE FROM limit_failures WHERE key IN (");
        let mut list = q.separated(", ");
        for k in keys {
            list.push_bind(k.to_string());
        }
        q.push(")");
        self.writer.execute(q.build()).await?;
        Ok(())
    }

    async fn sweep_limits(&self, now_ms: i64, window_ms: i64) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let quotas = sqlx::query("DELETE FROM limit_quotas WHERE tat_ms < $1").bind(now_ms).execute(&mut *tx).await?;
        let failures = sqlx::query(
            "DELETE FROM limit_failures WHERE first_ms <= $1 - $2
             AND (locked_until_ms IS NULL OR locked_until_ms <= $1)",
        )
        .bind(now_ms)
        .bind(window_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(quotas.rows_affected() + failures.rows_affected())
    }
}

//! [`EscalationStore`] for both engines. The record's primary key (dossier, step, rule, due
//! time) makes a rule fire once, whichever server gets there first; its messages are queued
//! in the same transaction, so a rule recorded has its messages and one not recorded has none.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::workflow::Dossier;
use motcua_domain::{DossierCode, OrgCode};
use sqlx::Row;

use crate::escalations::STANDING;
use crate::escalations::{EscalationRecord, EscalationStore, NewEscalation};
use crate::payments::NewNotification;
use crate::sql_shared::*;
use crate::{Result, StoreError};

#[async_trait]
impl<DB: Engine> EscalationStore for SqlStore<DB>
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
    async fn escalation_candidates(
        &self,
        step: &str,
        rule: &str,
        due_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<Dossier>> {
        let rows = sqlx::query(
            "SELECT d.body FROM dossiers d
              WHERE d.step = $1 AND d.finished_at IS NULL AND d.status IN (2, 4)
                AND d.due_at IS NOT NULL AND d.due_at <= $2
                AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.dossier_code = d.code
                                AND e.step = d.step AND e.rule = $3 AND e.due_at = d.due_at)
              ORDER BY d.due_at LIMIT $4",
        )
        .bind(step.to_owned())
        .bind(micros(due_before))
        .bind(rule.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("hồ sơ"))).collect()
    }

    async fn record_escalation(&self, e: &NewEscalation, notes: &[NewNotification], now: Timestamp) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "INSERT INTO escalations (dossier_code, step, rule, due_at, org_code, notify, fired_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(e.dossier.as_str().to_owned())
        .bind(e.step.clone())
        .bind(e.rule.clone())
        .bind(micros(e.due_at))
        .bind(e.org.as_str().to_owned())
        .bind(e.notify.clone())
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if e.notify == "leader" {
            // Standing only while its dossier has not finished or closed. The dossier that does
            // takes its standing rows out in the same transaction (`record_action`); this read
            // waits for that transaction (PostgreSQL: FOR SHARE against its FOR UPDATE; SQLite
            // has one writer), so a rule recorded just as its dossier finishes cannot stand after.
            let lock = if DB::BACKEND == crate::Backend::Postgres { " FOR SHARE" } else { "" };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO escalations_standing (dossier_code, step, rule, due_at, org_code, fired_at)
                 SELECT $1, $2, $3, $4, $5, $6 FROM dossiers WHERE code = $1 AND {}{lock}",
                crate::escalations::unsettled_sql()
            )))
            .bind(e.dossier.as_str().to_owned())
            .bind(e.step.clone())
            .bind(e.rule.clone())
            .bind(micros(e.due_at))
            .bind(e.org.as_str().to_owned())
            .bind(micros(now))
            .execute(&mut *tx)
            .await?;
        }
        Self::insert_notifications(&mut tx, notes, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn open_escalations(&self, org: &OrgCode, limit: i64) -> Result<Vec<EscalationRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT e.dossier_code, e.step, e.rule, e.due_at, e.org_code, e.fired_at {STANDING}
               AND e.org_code = $1 ORDER BY e.due_at, e.dossier_code LIMIT $2"
        )))
        .bind(org.as_str().to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EscalationRecord {
                    escalation: NewEscalation {
                        dossier: DossierCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã hồ sơ"))?,
                        step: r.try_get(1)?,
                        rule: r.try_get(2)?,
                        due_at: timestamp(r.try_get(3)?)?,
                        org: OrgCode::parse(r.try_get::<&str, _>(4)?).map_err(corrupt("mã cơ quan"))?,
                        notify: "leader".into(),
                    },
                    fired_at: timestamp(r.try_get(5)?)?,
                })
            })
            .collect::<std::result::Result<_, StoreError>>()
    }

    async fn open_escalation_counts(&self) -> Result<Vec<(OrgCode, i64)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT e.org_code, COUNT(*) {STANDING} GROUP BY e.org_code ORDER BY e.org_code"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let org = OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?;
                Ok((org, r.try_get::<i64, _>(1)?))
            })
            .collect()
    }
}

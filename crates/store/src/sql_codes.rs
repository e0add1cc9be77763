//! [`CodeStore`]: kiosk one-time codes and registration codes, for both engines, written
//! once as code generic over the engine (the `where` clauses: see `sql_catalog.rs`).

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

use crate::payments::NewNotification;
use crate::service::*;
use crate::sql_service::*;
use crate::sql_shared::micros;
use crate::sql_shared::{Column, Engine, RowsAffected, SqlStore};
use crate::{Result, StoreError};

/// What checking a code of `table` found; for the right code, the row's `payload`
/// column (as text), the row then used up.
enum CodeCheck {
    Valid(String),
    Wrong(i64),
    Spent,
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
    /// One try at a one-time code of `table` (kiosk codes, registrations): spent when
    /// used, expired or out of tries; right once; wrong, with the tries left.
    async fn check_code(
        tx: &mut crate::sql_write::WriteTx<DB>,
        table: &'static str,
        payload: &'static str,
        challenge_hash: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<CodeCheck> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, CAST({payload} AS TEXT) AS payload, code_hash, expires_at, attempts, used_at FROM {table}
             WHERE challenge_hash = $1"
        )))
        .bind(challenge_hash.to_owned())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(CodeCheck::Spent) };
        let id: i64 = row.try_get("id")?;
        let attempts = i64::from(row.try_get::<i32, _>("attempts")?);
        let spent = row.try_get::<Option<i64>, _>("used_at")?.is_some()
            || row.try_get::<i64, _>("expires_at")? <= micros(now)
            || attempts >= max_attempts;
        if spent {
            return Ok(CodeCheck::Spent);
        }
        if same(row.try_get::<&str, _>("code_hash")?, code_hash) {
            let n = sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET used_at = $1, attempts = attempts + 1
                 WHERE id = $2 AND used_at IS NULL AND attempts < $3"
            )))
            .bind(micros(now))
            .bind(id)
            .bind(max_attempts)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            return Ok(if n == 1 { CodeCheck::Valid(row.try_get("payload")?) } else { CodeCheck::Spent });
        }
        let left = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING attempts"
        )))
        .bind(id)
        .bind(max_attempts)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(match left {
            Some(r) => CodeCheck::Wrong(max_attempts - i64::from(r.try_get::<i32, _>(0)?)),
            None => CodeCheck::Spent,
        })
    }
}

#[async_trait]
impl<DB: Engine> CodeStore for SqlStore<DB>
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
    async fn account_id_by_cccd(&self, cccd: &motcua_domain::Cccd) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT id FROM accounts WHERE cccd = $1")
            .bind(cccd.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?)
    }

    async fn messages_about(&self, prefix: &str) -> Result<Vec<crate::payments::Notification>> {
        Self::messages_about(&self.pool, prefix).await
    }

    async fn create_otp(
        &self,
        account_id: i64,
        challenge_hash: &str,
        code_hash: &str,
        expires_at: Timestamp,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<i64> {
        // A new code does not cancel a live one: each answers its own challenge, so
        // someone else asking with the same CCCD cannot spoil the holder's sign-in.
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO kiosk_otps (account_id, challenge_hash, code_hash, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account_id)
        .bind(challenge_hash.to_owned())
        .bind(code_hash.to_owned())
        .bind(micros(expires_at))
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Self::insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn erase_spent_codes(&self, before: Timestamp) -> Result<u64> {
        // A registration's password hash is kept only while it waits for its code.
        self.writer.execute(sqlx::query(
            "UPDATE registration_codes SET body = '' WHERE body <> '' AND (used_at IS NOT NULL OR expires_at < $1)",
        )
        .bind(micros(before))
        )
        .await?;
        // Literals, as in the partial index notifications_live_codes (migration 0011).
        Ok(self
            .writer
            .execute(
                sqlx::query(
                    "UPDATE notifications SET body = '[Mã xác thực đã hết hiệu lực; không lưu lại]'
             WHERE topic LIKE 'otp:%' AND body <> '[Mã xác thực đã hết hiệu lực; không lưu lại]'
               AND created_at < $1",
                )
                .bind(micros(before)),
            )
            .await?
            .rows_affected())
    }

    async fn otps_since(&self, account_id: i64, since: Timestamp) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM kiosk_otps WHERE account_id = $1 AND created_at >= $2")
            .bind(account_id)
            .bind(micros(since))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    async fn check_otp(
        &self,
        challenge_hash: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<OtpCheck> {
        let mut tx = self.writer.begin().await?;
        let outcome =
            match Self::check_code(&mut tx, "kiosk_otps", "account_id", challenge_hash, code_hash, now, max_attempts)
                .await?
            {
                CodeCheck::Valid(payload) => {
                    OtpCheck::Valid(payload.parse().map_err(|_| StoreError::Corrupt("kiosk_otps.account_id".into()))?)
                }
                CodeCheck::Wrong(left) => OtpCheck::Wrong(left),
                CodeCheck::Spent => OtpCheck::Spent,
            };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn create_registration(
        &self,
        r: &PendingRegistration,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO registration_codes (challenge_hash, code_hash, phone, body, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.challenge_hash.clone())
        .bind(r.code_hash.clone())
        .bind(r.phone.clone())
        .bind(r.body.clone())
        .bind(micros(r.expires_at))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        Self::insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn registrations_to_phone_since(&self, phone: &str, since: Timestamp) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM registration_codes WHERE phone = $1 AND created_at >= $2")
            .bind(phone.to_owned())
            .bind(micros(since))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    async fn take_registration(
        &self,
        challenge_hash: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<RegistrationCheck> {
        let mut tx = self.writer.begin().await?;
        let outcome =
            match Self::check_code(&mut tx, "registration_codes", "body", challenge_hash, code_hash, now, max_attempts)
                .await?
            {
                CodeCheck::Valid(body) => RegistrationCheck::Valid(body),
                CodeCheck::Wrong(left) => RegistrationCheck::Wrong(left),
                CodeCheck::Spent => RegistrationCheck::Spent,
            };
        tx.commit().await?;
        Ok(outcome)
    }
}

//! [`SecondFactorStore`] for both engines. Each check that must hold across servers sharing
//! the database is one statement: a time step is used once (`last_step < $2`), a recovery
//! code once (`used_at IS NULL`), a waiting sign-in opens one session (`DELETE` of its row).

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{OrgCode, Role};
use sqlx::Row;

use crate::Result;
use crate::second_factor::{Enrolment, PendingSignIn, SecondFactorStore, TotpSecret};
use crate::sql_shared::*;

#[async_trait]
impl<DB: Engine> SecondFactorStore for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
{
    async fn second_factor_policies(&self) -> Result<HashMap<OrgCode, Vec<Role>>> {
        let rows = sqlx::query("SELECT org_code, roles FROM second_factor_policies").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let org = OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?;
                let roles = r
                    .try_get::<&str, _>("roles")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(Role::parse)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(corrupt("vai trò"))?;
                Ok((org, roles))
            })
            .collect()
    }

    async fn set_second_factor_policy(&self, org: &OrgCode, roles: &[Role], now: Timestamp) -> Result<()> {
        let list = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO second_factor_policies (org_code, roles, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (org_code) DO UPDATE SET roles = excluded.roles, updated_at = excluded.updated_at",
                )
                .bind(org.as_str().to_owned())
                .bind(list)
                .bind(micros(now)),
            )
            .await?;
        Ok(())
    }

    async fn totp_secret(&self, account_id: i64) -> Result<Option<TotpSecret>> {
        let row = sqlx::query("SELECT secret, last_step FROM totp_secrets WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(TotpSecret { secret: r.try_get("secret")?, last_step: r.try_get("last_step")? })).transpose()
    }

    async fn use_totp_step(&self, account_id: i64, step: i64) -> Result<bool> {
        let done = self
            .writer
            .execute(
                sqlx::query("UPDATE totp_secrets SET last_step = $2 WHERE account_id = $1 AND last_step < $2")
                    .bind(account_id)
                    .bind(step),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn enrol_totp(&self, e: &Enrolment<'_>, now: Timestamp) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(e.account_id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO totp_secrets (account_id, secret, last_step, enrolled_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id) DO UPDATE
             SET secret = excluded.secret, last_step = excluded.last_step, enrolled_at = excluded.enrolled_at",
        )
        .bind(e.account_id)
        .bind(e.secret.to_owned())
        .bind(e.step)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        for hash in e.recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                .bind(e.account_id)
                .bind(hash.clone())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn use_recovery_code(&self, account_id: i64, code_hash: &str, now: Timestamp) -> Result<bool> {
        let done = self
            .writer
            .execute(
                sqlx::query(
                    "UPDATE recovery_codes SET used_at = $3
                     WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind(account_id)
                .bind(code_hash.to_owned())
                .bind(micros(now)),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn recovery_codes_left(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    async fn reset_second_factor(&self, account_id: i64) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let had = sqlx::query("DELETE FROM totp_secrets WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sign_in_challenges WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(had == 1)
    }

    async fn begin_sign_in(
        &self,
        challenge_hash: &str,
        account_id: i64,
        pending_secret: Option<&str>,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO sign_in_challenges (challenge_hash, account_id, pending_secret, expires_at, created_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(challenge_hash.to_owned())
                .bind(account_id)
                .bind(pending_secret.map(str::to_owned))
                .bind(micros(expires_at))
                .bind(micros(now)),
            )
            .await?;
        Ok(())
    }

    async fn pending_sign_in(&self, challenge_hash: &str, now: Timestamp) -> Result<Option<PendingSignIn>> {
        let row = sqlx::query(
            "SELECT account_id, pending_secret, attempts, expires_at FROM sign_in_challenges
             WHERE challenge_hash = $1 AND expires_at > $2",
        )
        .bind(challenge_hash.to_owned())
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(PendingSignIn {
                account_id: r.try_get("account_id")?,
                pending_secret: r.try_get("pending_secret")?,
                attempts: i64::from(r.try_get::<i32, _>("attempts")?),
                expires_at: timestamp(r.try_get("expires_at")?)?,
            })
        })
        .transpose()
    }

    async fn count_sign_in_failure(&self, challenge_hash: &str) -> Result<()> {
        self.writer
            .execute(
                sqlx::query("UPDATE sign_in_challenges SET attempts = attempts + 1 WHERE challenge_hash = $1")
                    .bind(challenge_hash.to_owned()),
            )
            .await?;
        Ok(())
    }

    async fn take_sign_in(&self, challenge_hash: &str) -> Result<bool> {
        let done = self
            .writer
            .execute(
                sqlx::query("DELETE FROM sign_in_challenges WHERE challenge_hash = $1").bind(challenge_hash.to_owned()),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_sign_ins(&self, now: Timestamp) -> Result<u64> {
        let done = self
            .writer
            .execute(sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at <= $1").bind(micros(now)))
            .await?;
        Ok(done.rows_affected())
    }
}

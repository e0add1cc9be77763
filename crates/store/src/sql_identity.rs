//! [`IdentityStore`] for both engines. A request or an offer is spent by one statement (a
//! `DELETE` of its row), so two servers given the same `state` open one session at most.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{Account, Cccd, NewAccount};
use sqlx::{AssertSqlSafe, Row};

use crate::identity::{IdentityRequest, IdentityStore, SessionOrigin, Subject};
use crate::sql_shared::*;
use crate::{Result, StoreError};

#[async_trait]
impl<DB: Engine> IdentityStore for SqlStore<DB>
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
    async fn save_identity_request(
        &self,
        state_hash: &str,
        req: &IdentityRequest,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO identity_requests (state_hash, nonce, pkce_verifier, next_path, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(state_hash.to_owned())
                .bind(req.nonce.clone())
                .bind(req.pkce_verifier.clone())
                .bind(req.next_path.clone())
                .bind(micros(expires_at)),
            )
            .await?;
        Ok(())
    }

    async fn take_identity_request(&self, state_hash: &str, now: Timestamp) -> Result<Option<IdentityRequest>> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "DELETE FROM identity_requests WHERE state_hash = $1
             RETURNING nonce, pkce_verifier, next_path, expires_at",
        )
        .bind(state_hash.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<i64, _>("expires_at")? <= micros(now) {
            return Ok(None);
        }
        Ok(Some(IdentityRequest {
            nonce: r.try_get("nonce")?,
            pkce_verifier: r.try_get("pkce_verifier")?,
            next_path: r.try_get("next_path")?,
        }))
    }

    async fn identity_account(&self, s: Subject<'_>) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT account_id FROM identity_links WHERE issuer = $1 AND subject = $2")
            .bind(s.issuer.to_owned())
            .bind(s.subject.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    async fn account_by_cccd(&self, cccd: &Cccd) -> Result<Option<Account>> {
        let id: Option<i64> = sqlx::query("SELECT id FROM accounts WHERE cccd = $1")
            .bind(cccd.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        match id {
            Some(id) => crate::AccountStore::account(self, id).await,
            None => Ok(None),
        }
    }

    async fn link_identity(&self, s: Subject<'_>, account_id: i64, profile: &str, now: Timestamp) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO identity_links (issuer, subject, account_id, profile, linked_at, seen_at)
                     VALUES ($1, $2, $3, $4, $5, $5)
                     ON CONFLICT (issuer, subject) DO UPDATE SET profile = excluded.profile, seen_at = excluded.seen_at",
                )
                .bind(s.issuer.to_owned())
                .bind(s.subject.to_owned())
                .bind(account_id)
                .bind(profile.to_owned())
                .bind(micros(now)),
            )
            .await?;
        Ok(())
    }

    async fn create_identity_account(
        &self,
        account: &NewAccount,
        s: Subject<'_>,
        profile: &str,
        now: Timestamp,
    ) -> Result<Account> {
        let mut tx = self.writer.begin().await?;
        let id = Self::insert_account(&mut tx, account, false)
            .await?
            .ok_or_else(|| StoreError::Conflict("tài khoản".into()))?;
        sqlx::query(
            "INSERT INTO identity_links (issuer, subject, account_id, profile, linked_at, seen_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(s.issuer.to_owned())
        .bind(s.subject.to_owned())
        .bind(id)
        .bind(profile.to_owned())
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let created = Self::account_from_row(&row, Vec::new())?;
        tx.commit().await?;
        Ok(created)
    }

    async fn identity_profile(&self, account_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT profile FROM identity_links WHERE account_id = $1 ORDER BY seen_at DESC LIMIT 1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    async fn save_link_offer(
        &self,
        offer_hash: &str,
        account_id: i64,
        identity: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO identity_link_offers (offer_hash, account_id, identity, expires_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(offer_hash.to_owned())
                .bind(account_id)
                .bind(identity.to_owned())
                .bind(micros(expires_at)),
            )
            .await?;
        Ok(())
    }

    async fn link_offer(&self, offer_hash: &str, now: Timestamp) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT account_id, identity FROM identity_link_offers WHERE offer_hash = $1 AND expires_at > $2",
        )
        .bind(offer_hash.to_owned())
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("account_id")?, r.try_get("identity")?))).transpose()
    }

    async fn drop_link_offer(&self, offer_hash: &str) -> Result<bool> {
        let done = self
            .writer
            .execute(sqlx::query("DELETE FROM identity_link_offers WHERE offer_hash = $1").bind(offer_hash.to_owned()))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_session_from(
        &self,
        token_hash: &str,
        account_id: i64,
        expires_at: Timestamp,
        origin: &SessionOrigin,
    ) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, assurance, id_token)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash.to_owned())
                .bind(account_id)
                .bind(micros(Timestamp::now()))
                .bind(micros(expires_at))
                .bind(origin.assurance)
                .bind(origin.id_token.clone()),
            )
            .await?;
        Ok(())
    }

    async fn session_origin(&self, token_hash: &str) -> Result<Option<SessionOrigin>> {
        let row = sqlx::query("SELECT assurance, id_token FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(SessionOrigin { assurance: r.try_get("assurance")?, id_token: r.try_get("id_token")? }))
            .transpose()
    }

    async fn save_device_request(
        &self,
        ticket_hash: &str,
        centre: &str,
        response: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO identity_device_requests (ticket_hash, centre, response, expires_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(ticket_hash.to_owned())
                .bind(centre.to_owned())
                .bind(response.to_owned())
                .bind(micros(expires_at)),
            )
            .await?;
        Ok(())
    }

    async fn device_request(&self, ticket_hash: &str, now: Timestamp) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT centre, response FROM identity_device_requests WHERE ticket_hash = $1 AND expires_at > $2",
        )
        .bind(ticket_hash.to_owned())
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("centre")?, r.try_get("response")?))).transpose()
    }

    async fn drop_device_request(&self, ticket_hash: &str) -> Result<bool> {
        let done = self
            .writer
            .execute(
                sqlx::query("DELETE FROM identity_device_requests WHERE ticket_hash = $1").bind(ticket_hash.to_owned()),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_identity_requests(&self, now: Timestamp) -> Result<u64> {
        let a = self
            .writer
            .execute(sqlx::query("DELETE FROM identity_requests WHERE expires_at <= $1").bind(micros(now)))
            .await?;
        let b = self
            .writer
            .execute(sqlx::query("DELETE FROM identity_link_offers WHERE expires_at <= $1").bind(micros(now)))
            .await?;
        let c = self
            .writer
            .execute(sqlx::query("DELETE FROM identity_device_requests WHERE expires_at <= $1").bind(micros(now)))
            .await?;
        Ok(a.rows_affected() + b.rows_affected() + c.rows_affected())
    }
}

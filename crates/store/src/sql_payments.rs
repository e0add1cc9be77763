//! [`PaymentStore`] for both engines, written once as code generic over the engine (the `where`
//! clauses: see `sql_catalog.rs`). Results and their shipments are in `sql_results.rs`, the
//! message outbox in `sql_messages.rs`.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::payment::{BankAccount, PartnerKind};
use motcua_domain::{DossierCode, OrgCode};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::Result;
use crate::payments::{BuildReceipt, CallbackOutcome, NewCallback, PaymentStore, Receipt, StoredCallback};
use crate::sql_shared::{Column, Engine, SqlStore, corrupt, micros, timestamp};

const RECEIPT_COLUMNS: &str =
    "number, org_code, dossier_code, amount, method, payer, gateway, transaction_id, lines, issued_by, issued_at";
const CALLBACK_COLUMNS: &str = "id, gateway, transaction_id, body_sha256, body, dossier_code, org_code, amount, outcome, \
     reason, receipt_number, received_at";

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
    fn receipt_from_row(r: &DB::Row) -> Result<Receipt> {
        Ok(Receipt {
            number: r.try_get("number")?,
            org: OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?,
            dossier: DossierCode::parse(r.try_get::<&str, _>("dossier_code")?).map_err(corrupt("mã hồ sơ"))?,
            amount: r.try_get("amount")?,
            method: r.try_get("method")?,
            payer: r.try_get("payer")?,
            gateway: r.try_get("gateway")?,
            transaction_id: r.try_get("transaction_id")?,
            lines: r.try_get("lines")?,
            issued_by: r.try_get("issued_by")?,
            issued_at: timestamp(r.try_get("issued_at")?)?,
        })
    }

    fn callback_from_row(r: &DB::Row) -> Result<StoredCallback> {
        Ok(StoredCallback {
            id: r.try_get("id")?,
            callback: NewCallback {
                gateway: r.try_get("gateway")?,
                transaction_id: r.try_get("transaction_id")?,
                body_sha256: r.try_get("body_sha256")?,
                body: r.try_get("body")?,
                dossier: r
                    .try_get::<Option<&str>, _>("dossier_code")?
                    .map(DossierCode::parse)
                    .transpose()
                    .map_err(corrupt("mã hồ sơ"))?,
                org: r
                    .try_get::<Option<&str>, _>("org_code")?
                    .map(OrgCode::parse)
                    .transpose()
                    .map_err(corrupt("mã cơ quan"))?,
                amount: r.try_get("amount")?,
                outcome: r.try_get("outcome")?,
                reason: r.try_get("reason")?,
                at: timestamp(r.try_get("received_at")?)?,
            },
            receipt_number: r.try_get("receipt_number")?,
        })
    }
}

#[async_trait]
impl<DB: Engine> PaymentStore for SqlStore<DB>
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
    async fn set_bank_account(&self, org: &OrgCode, a: &BankAccount) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO bank_accounts (org_code, bin, account, name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_code) DO UPDATE SET bin = excluded.bin, account = excluded.account, name = excluded.name",
                )
                .bind(org.as_str().to_owned())
                .bind(a.bin.clone())
                .bind(a.account.clone())
                .bind(a.name.clone()),
            )
            .await?;
        Ok(())
    }

    async fn bank_account(&self, org: &OrgCode) -> Result<Option<BankAccount>> {
        let Some(r) = sqlx::query("SELECT bin, account, name FROM bank_accounts WHERE org_code = $1")
            .bind(org.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        BankAccount::parse(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?).map(Some).map_err(corrupt("tài khoản"))
    }

    async fn set_partner(&self, name: &str, kind: PartnerKind, secret: &str) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO payment_gateways (name, kind, secret, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET secret = excluded.secret, kind = excluded.kind",
                )
                .bind(name.to_owned())
                .bind(kind.as_str())
                .bind(secret.to_owned())
                .bind(micros(Timestamp::now())),
            )
            .await?;
        Ok(())
    }

    async fn partner_secret(&self, name: &str, kind: PartnerKind) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT secret FROM payment_gateways WHERE name = $1 AND kind = $2")
            .bind(name.to_owned())
            .bind(kind.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    async fn record_callback(&self, c: &NewCallback) -> Result<CallbackOutcome> {
        let mut tx = self.writer.begin().await?;
        let found = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CALLBACK_COLUMNS} FROM payment_callbacks WHERE gateway = $1 AND transaction_id = $2"
        )))
        .bind(c.gateway.clone())
        .bind(c.transaction_id.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = found {
            let existing = Self::callback_from_row(&r)?;
            tx.rollback().await?;
            return Ok(CallbackOutcome::Existing(Box::new(existing)));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO payment_callbacks (gateway, transaction_id, body_sha256, body, dossier_code, org_code,
               amount, outcome, reason, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(c.gateway.clone())
        .bind(c.transaction_id.clone())
        .bind(c.body_sha256.clone())
        .bind(c.body.clone())
        .bind(c.dossier.as_ref().map(|d| d.as_str().to_owned()))
        .bind(c.org.as_ref().map(|o| o.as_str().to_owned()))
        .bind(c.amount)
        .bind(c.outcome.clone())
        .bind(c.reason.clone())
        .bind(micros(c.at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(CallbackOutcome::Recorded(id))
    }

    async fn issue_receipt(
        &self,
        org: &OrgCode,
        year: i32,
        callback: Option<i64>,
        build: BuildReceipt<'_>,
    ) -> Result<Receipt> {
        let mut tx = self.writer.begin().await?;
        let n: i64 = sqlx::query(
            "INSERT INTO receipt_numbers (org_code, year, last_number) VALUES ($1, $2, 1)
             ON CONFLICT (org_code, year) DO UPDATE SET last_number = receipt_numbers.last_number + 1
             RETURNING last_number",
        )
        .bind(org.as_str().to_owned())
        .bind(year)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let r = build(format!("BL-{org}-{year}-{n:06}"));
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO receipts ({RECEIPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(r.number.clone())
        .bind(r.org.as_str().to_owned())
        .bind(r.dossier.as_str().to_owned())
        .bind(r.amount)
        .bind(r.method.clone())
        .bind(r.payer.clone())
        .bind(r.gateway.clone())
        .bind(r.transaction_id.clone())
        .bind(r.lines.clone())
        .bind(r.issued_by.clone())
        .bind(micros(r.issued_at))
        .execute(&mut *tx)
        .await?;
        if let Some(id) = callback {
            sqlx::query("UPDATE payment_callbacks SET receipt_number = $1 WHERE id = $2")
                .bind(r.number.clone())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(r)
    }

    async fn receipts_of(&self, dossier: &DossierCode) -> Result<Vec<Receipt>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE dossier_code = $1 ORDER BY issued_at, number"
        )))
        .bind(dossier.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::receipt_from_row)
        .collect()
    }

    async fn receipts_of_all(&self, dossiers: &[DossierCode]) -> Result<Vec<Receipt>> {
        let mut out = Vec::new();
        for chunk in dossiers.chunks(500) {
            let mut qb =
                QueryBuilder::<DB>::new(format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE dossier_code IN ("));
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str().to_owned());
            }
            qb.push(") ORDER BY dossier_code, issued_at, number");
            for r in qb.build().fetch_all(&self.pool).await? {
                out.push(Self::receipt_from_row(&r)?);
            }
        }
        Ok(out)
    }

    async fn receipt(&self, number: &str) -> Result<Option<Receipt>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE number = $1")))
            .bind(number.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::receipt_from_row)
            .transpose()
    }

    async fn receipts_between(&self, org: Option<&OrgCode>, from: Timestamp, to: Timestamp) -> Result<Vec<Receipt>> {
        let mut q = QueryBuilder::<DB>::new(format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE issued_at >= "));
        q.push_bind(micros(from)).push(" AND issued_at < ").push_bind(micros(to));
        if let Some(o) = org {
            q.push(" AND org_code = ").push_bind(o.as_str().to_owned());
        }
        q.push(" ORDER BY number");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::receipt_from_row).collect()
    }

    async fn callbacks_between(
        &self,
        org: Option<&OrgCode>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StoredCallback>> {
        let mut q =
            QueryBuilder::<DB>::new(format!("SELECT {CALLBACK_COLUMNS} FROM payment_callbacks WHERE received_at >= "));
        q.push_bind(micros(from)).push(" AND received_at < ").push_bind(micros(to));
        if let Some(o) = org {
            q.push(" AND org_code = ").push_bind(o.as_str().to_owned());
        }
        q.push(" ORDER BY received_at, id");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::callback_from_row).collect()
    }
}

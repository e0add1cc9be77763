//! [`PaymentStore`] for both engines, written once as code generic over the engine (the `where`
//! clauses: see `sql_catalog.rs`). The message queue it serves is in `sql_messages.rs`.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::payment::{BankAccount, PartnerKind};
use motcua_domain::{DossierCode, OrgCode};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::Result;
use crate::payments::{
    BuildReceipt, BuildResult, CallbackOutcome, NewCallback, NewNotification, Notification, PaymentStore, Receipt,
    Shipment, ShipmentEvent, SignedResult, StoredCallback,
};
use crate::sql_messages::{NOTIFICATION_COLUMNS, NOTIFICATIONS};
use crate::sql_shared::{Column, EVENT_COLUMNS, Engine, SqlStore, corrupt, micros, timestamp};

const RECEIPT_COLUMNS: &str =
    "number, org_code, dossier_code, amount, method, payer, gateway, transaction_id, lines, issued_by, issued_at";
const RESULT_COLUMNS: &str =
    "number, dossier_code, seq, org_code, filename, content_type, sha256, signature, signer, issued_at";
const SHIPMENT_COLUMNS: &str = "dossier_code, tracking_number, carrier, recipient, address, phone, postage_fee, status, \
     created_by, created_at, updated_at";
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

    fn result_from_row(r: &DB::Row) -> Result<SignedResult> {
        Ok(SignedResult {
            number: r.try_get("number")?,
            dossier: DossierCode::parse(r.try_get::<&str, _>("dossier_code")?).map_err(corrupt("mã hồ sơ"))?,
            seq: i64::from(r.try_get::<i32, _>("seq")?),
            org: OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?,
            filename: r.try_get("filename")?,
            content_type: r.try_get("content_type")?,
            sha256: r.try_get("sha256")?,
            signature: r.try_get("signature")?,
            signer: r.try_get("signer")?,
            issued_at: timestamp(r.try_get("issued_at")?)?,
        })
    }

    fn shipment_from_row(r: &DB::Row) -> Result<Shipment> {
        Ok(Shipment {
            dossier: DossierCode::parse(r.try_get::<&str, _>("dossier_code")?).map_err(corrupt("mã hồ sơ"))?,
            tracking_number: r.try_get("tracking_number")?,
            carrier: r.try_get("carrier")?,
            recipient: r.try_get("recipient")?,
            address: r.try_get("address")?,
            phone: r.try_get("phone")?,
            postage_fee: r.try_get("postage_fee")?,
            status: r.try_get("status")?,
            created_by: r.try_get("created_by")?,
            created_at: timestamp(r.try_get("created_at")?)?,
            updated_at: timestamp(r.try_get("updated_at")?)?,
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
    async fn unnotified_events(&self, limit: i64) -> Result<Vec<motcua_domain::audit::Event>> {
        // The same reader as the dossier's own events: a status out of range is corrupt data,
        // refused, not wrapped into another status.
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE NOT notified ORDER BY at_us, dossier_code, seq LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::event_from_row)
        .collect()
    }

    async fn queue_notifications(
        &self,
        events: &[(DossierCode, i64)],
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        Self::insert_notifications(&mut tx, notes, now).await?;
        for (code, seq) in events {
            sqlx::query("UPDATE dossier_events SET notified = TRUE WHERE dossier_code = $1 AND seq = $2")
                .bind(code.as_str().to_owned())
                .bind(*seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_notifications(&self, now: Timestamp, limit: i64) -> Result<Vec<Notification>> {
        Self::queue_due(&self.pool, &NOTIFICATIONS, now, limit).await?.iter().map(Self::notification_from_row).collect()
    }

    async fn notification_sent(&self, id: i64, at: Timestamp) -> Result<()> {
        Self::queue_done(&self.pool, &NOTIFICATIONS, id, at).await
    }

    async fn notification_retry(&self, id: i64, error: &str, next: Timestamp) -> Result<()> {
        Self::queue_retry(&self.pool, &NOTIFICATIONS, id, error, next).await
    }

    async fn notifications_of(&self, dossier: &DossierCode) -> Result<Vec<Notification>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE dossier_code = $1 ORDER BY id"
        )))
        .bind(dossier.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::notification_from_row)
        .collect()
    }

    async fn create_shipment(&self, s: &Shipment) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO shipments ({SHIPMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(s.dossier.as_str().to_owned())
        .bind(s.tracking_number.clone())
        .bind(s.carrier.clone())
        .bind(s.recipient.clone())
        .bind(s.address.clone())
        .bind(s.phone.clone())
        .bind(s.postage_fee)
        .bind(s.status.clone())
        .bind(s.created_by.clone())
        .bind(micros(s.created_at))
        .bind(micros(s.updated_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO shipment_events (tracking_number, status, note, at) VALUES ($1, $2, $3, $4)")
            .bind(s.tracking_number.clone())
            .bind(s.status.clone())
            .bind(String::new())
            .bind(micros(s.created_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn shipment(&self, dossier: &DossierCode) -> Result<Option<(Shipment, Vec<ShipmentEvent>)>> {
        let Some(r) =
            sqlx::query(AssertSqlSafe(format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE dossier_code = $1")))
                .bind(dossier.as_str().to_owned())
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let s = Self::shipment_from_row(&r)?;
        let events =
            sqlx::query("SELECT status, note, at FROM shipment_events WHERE tracking_number = $1 ORDER BY at, id")
                .bind(s.tracking_number.clone())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(ShipmentEvent { status: r.try_get(0)?, note: r.try_get(1)?, at: timestamp(r.try_get(2)?)? })
                })
                .collect::<Result<_>>()?;
        Ok(Some((s, events)))
    }

    async fn shipment_by_tracking(&self, tracking: &str) -> Result<Option<Shipment>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tracking_number = $1")))
            .bind(tracking.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::shipment_from_row)
            .transpose()
    }

    async fn add_shipment_event(&self, tracking: &str, e: &ShipmentEvent) -> Result<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let Some(r) = sqlx::query("SELECT status FROM shipments WHERE tracking_number = $1")
            .bind(tracking.to_owned())
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(false);
        };
        let current: String = r.try_get(0)?;
        let last_note: Option<String> = sqlx::query(
            "SELECT note FROM shipment_events WHERE tracking_number = $1 ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(tracking.to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if current == e.status && last_note.as_deref() == Some(e.note.as_str()) {
            tx.rollback().await?;
            return Ok(true);
        }
        sqlx::query("INSERT INTO shipment_events (tracking_number, status, note, at) VALUES ($1, $2, $3, $4)")
            .bind(tracking.to_owned())
            .bind(e.status.clone())
            .bind(e.note.clone())
            .bind(micros(e.at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE shipments SET status = $1, updated_at = $2 WHERE tracking_number = $3")
            .bind(e.status.clone())
            .bind(micros(e.at))
            .bind(tracking.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_result(&self, dossier: &DossierCode, sha256: &str, build: BuildResult<'_>) -> Result<SignedResult> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let found = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RESULT_COLUMNS} FROM results WHERE dossier_code = $1 AND sha256 = $2"
        )))
        .bind(dossier.as_str().to_owned())
        .bind(sha256.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = found {
            return Self::result_from_row(&r);
        }
        let seq: i32 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 FROM results WHERE dossier_code = $1")
            .bind(dossier.as_str().to_owned())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let r = build(i64::from(seq));
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO results ({RESULT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(r.number.clone())
        .bind(r.dossier.as_str().to_owned())
        .bind(seq)
        .bind(r.org.as_str().to_owned())
        .bind(r.filename.clone())
        .bind(r.content_type.clone())
        .bind(r.sha256.clone())
        .bind(r.signature.clone())
        .bind(r.signer.clone())
        .bind(micros(r.issued_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SignedResult { seq: i64::from(seq), ..r })
    }

    async fn results_of(&self, dossier: &DossierCode) -> Result<Vec<SignedResult>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {RESULT_COLUMNS} FROM results WHERE dossier_code = $1 ORDER BY seq")))
            .bind(dossier.as_str().to_owned())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::result_from_row)
            .collect()
    }

    async fn result(&self, number: &str) -> Result<Option<SignedResult>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {RESULT_COLUMNS} FROM results WHERE number = $1")))
            .bind(number.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::result_from_row)
            .transpose()
    }

    async fn set_bank_account(&self, org: &OrgCode, a: &BankAccount) -> Result<()> {
        sqlx::query(
            "INSERT INTO bank_accounts (org_code, bin, account, name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_code) DO UPDATE SET bin = excluded.bin, account = excluded.account, name = excluded.name",
        )
        .bind(org.as_str().to_owned())
        .bind(a.bin.clone())
        .bind(a.account.clone())
        .bind(a.name.clone())
        .execute(&self.pool)
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
        sqlx::query(
            "INSERT INTO payment_gateways (name, kind, secret, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET secret = excluded.secret, kind = excluded.kind",
        )
        .bind(name.to_owned())
        .bind(kind.as_str())
        .bind(secret.to_owned())
        .bind(micros(Timestamp::now()))
        .execute(&self.pool)
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
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
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
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
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

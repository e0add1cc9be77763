//! [`ResultStore`] for both engines: signed results, numbered once per dossier, and their
//! delivery by post (shipments and their tracking events), and revocations of results and
//! receipts. Generic over the engine (the
//! `where` clauses: see `sql_catalog.rs`).

use async_trait::async_trait;
use motcua_domain::{DossierCode, OrgCode};
use sqlx::{AssertSqlSafe, Row};

use crate::Result;
use crate::payments::{BuildResult, ResultStore, Revocation, Shipment, ShipmentEvent, SignedResult};
use crate::sql_shared::{Column, Engine, RowsAffected, SqlStore, corrupt, micros, timestamp};

const RESULT_COLUMNS: &str =
    "number, dossier_code, seq, org_code, filename, content_type, sha256, signature, signer, issued_at";
const SHIPMENT_COLUMNS: &str = "dossier_code, tracking_number, carrier, recipient, address, phone, postage_fee, status, \
     created_by, created_at, updated_at";

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
impl<DB: Engine> ResultStore for SqlStore<DB>
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
    async fn create_shipment(&self, s: &Shipment) -> Result<()> {
        let mut tx = self.writer.begin().await?;
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
        let mut tx = self.writer.begin().await?;
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
        let mut tx = self.writer.begin().await?;
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

    async fn revoke(&self, r: &Revocation) -> Result<bool> {
        let done = self
            .writer
            .execute(
                sqlx::query(
                    "INSERT INTO revocations (number, kind, org_code, reason, replaced_by, revoked_by, revoked_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (number) DO NOTHING",
                )
                .bind(r.number.clone())
                .bind(r.kind.clone())
                .bind(r.org.as_str().to_owned())
                .bind(r.reason.clone())
                .bind(r.replaced_by.clone())
                .bind(r.revoked_by.clone())
                .bind(micros(r.revoked_at)),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revocation(&self, number: &str) -> Result<Option<Revocation>> {
        let row = sqlx::query(
            "SELECT number, kind, org_code, reason, replaced_by, revoked_by, revoked_at FROM revocations WHERE number = $1",
        )
        .bind(number.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Revocation {
                number: r.try_get(0)?,
                kind: r.try_get(1)?,
                org: OrgCode::parse(&r.try_get::<String, _>(2)?).map_err(corrupt("mã cơ quan"))?,
                reason: r.try_get(3)?,
                replaced_by: r.try_get(4)?,
                revoked_by: r.try_get(5)?,
                revoked_at: timestamp(r.try_get(6)?)?,
            })
        })
        .transpose()
    }
}

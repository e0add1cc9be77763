//! Reading official documents, their outbox items, certificates and status records from their
//! rows, for both engines (the `where` clauses: see `sql_catalog.rs`).

use motcua_domain::OrgCode;
use sqlx::Row;

use crate::documents::{
    CertRole, Direction, DocStatus, DocumentEntry, DocumentRecord, OutboxEntry, OutboxItem, StoredCertificate,
};
use crate::sql_shared::{Column, Engine, SqlStore, corrupt, timestamp};
use crate::{Result, StoreError};

pub(crate) fn org(s: &str) -> Result<OrgCode> {
    OrgCode::parse(s).map_err(corrupt("mã cơ quan"))
}

pub(crate) fn orgs_from_text(s: &str) -> Result<Vec<(OrgCode, String)>> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (c, n) = l.split_once('\t').unwrap_or((l, ""));
            Ok((org(c)?, n.to_owned()))
        })
        .collect()
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
    pub(crate) fn document_from_row(r: &DB::Row) -> Result<DocumentRecord> {
        Ok(DocumentRecord { entry: Self::entry_from_row(r)?, package: r.try_get("package")? })
    }

    pub(crate) fn entry_from_row(r: &DB::Row) -> Result<DocumentEntry> {
        Ok(DocumentEntry {
            id: r.try_get("id")?,
            org: org(r.try_get::<&str, _>("org_code")?)?,
            direction: Direction::parse(r.try_get::<&str, _>("direction")?)
                .ok_or_else(|| StoreError::Corrupt("sổ văn bản".into()))?,
            year: r.try_get("year")?,
            number: r.try_get("number")?,
            document_id: r.try_get("document_id")?,
            from_org: org(r.try_get::<&str, _>("from_org")?)?,
            subject: r.try_get("subject")?,
            header: r.try_get("header")?,
            state: r.try_get("state")?,
            revision: r.try_get("revision")?,
            pending: r.try_get("pending")?,
            created_at: timestamp(r.try_get("created_at")?)?,
            updated_at: timestamp(r.try_get("updated_at")?)?,
        })
    }

    pub(crate) fn outbox_from_row(r: &DB::Row) -> Result<OutboxItem> {
        Ok(OutboxItem { entry: Self::outbox_entry_from_row(r)?, package: r.try_get("package")? })
    }

    /// A DocumentId's outbox items, their packages not read (not even from the register
    /// entry they point at).
    pub(crate) async fn deliveries_of(&self, reference: &str) -> Result<Vec<OutboxEntry>> {
        sqlx::query(
            "SELECT id, target, kind, reference, attempts, next_attempt_at, last_error, delivered_at, created_at
             FROM exchange_outbox WHERE reference = $1 ORDER BY id",
        )
        .bind(reference.to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::outbox_entry_from_row)
        .collect()
    }

    fn outbox_entry_from_row(r: &DB::Row) -> Result<OutboxEntry> {
        Ok(OutboxEntry {
            id: r.try_get("id")?,
            target: r.try_get("target")?,
            kind: r.try_get("kind")?,
            reference: r.try_get("reference")?,
            attempts: i64::from(r.try_get::<i32, _>("attempts")?),
            next_attempt_at: timestamp(r.try_get("next_attempt_at")?)?,
            last_error: r.try_get("last_error")?,
            delivered_at: r.try_get::<Option<i64>, _>("delivered_at")?.map(timestamp).transpose()?,
            created_at: timestamp(r.try_get("created_at")?)?,
        })
    }

    pub(crate) fn cert_from_row(r: &DB::Row) -> Result<StoredCertificate> {
        Ok(StoredCertificate {
            id: r.try_get("id")?,
            role: CertRole::parse(r.try_get::<&str, _>("role")?)
                .ok_or_else(|| StoreError::Corrupt("loại chứng thư".into()))?,
            org: r.try_get::<Option<&str>, _>("org_code")?.map(org).transpose()?,
            subject: r.try_get("subject")?,
            serial: r.try_get("serial")?,
            fingerprint: r.try_get("fingerprint")?,
            not_before: timestamp(r.try_get("not_before")?)?,
            not_after: timestamp(r.try_get("not_after")?)?,
            cert_pem: r.try_get("cert_pem")?,
            key_pem: r.try_get("key_pem")?,
            active: r.try_get("active")?,
            created_at: timestamp(r.try_get("created_at")?)?,
        })
    }

    pub(crate) fn status_from_row(r: &DB::Row) -> Result<DocStatus> {
        Ok(DocStatus {
            document_id: r.try_get("document_id")?,
            to_org: org(r.try_get::<&str, _>("to_org")?)?,
            code: r.try_get("code")?,
            revision: r.try_get("revision")?,
            description: r.try_get("description")?,
            staff: r.try_get("staff")?,
            at: timestamp(r.try_get("at")?)?,
            package: r.try_get("package")?,
        })
    }
}

//! Numbering a document in a register, once: an incoming document by its DocumentId, an
//! outgoing one by the sender's `Idempotency-Key` (a retried send finds the first entry and
//! consumes no number). For both engines (the `where` clauses: see `sql_catalog.rs`).

use motcua_domain::OrgCode;
use sqlx::{AssertSqlSafe, Row};

use crate::documents::{BuildDocument, Dedup, Direction, DocumentEntry, DocumentOutcome, DocumentRecord};
use crate::sql_documents::DOCUMENT_COLUMNS;
use crate::sql_shared::{Column, Engine, SqlStore, micros, timestamp};
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
    pub(crate) async fn register_document(
        &self,
        org_code: &OrgCode,
        direction: Direction,
        year: i32,
        dedup: Dedup<'_>,
        build: BuildDocument<'_>,
    ) -> Result<DocumentOutcome> {
        let mut tx = self.writer.begin().await?;
        if let Dedup::ByKey(key) = dedup {
            // The entry whole (read by column name), with the hash of the request that made it.
            let found = sqlx::query(
                "SELECT r.request_hash, d.* FROM document_requests r JOIN documents d ON d.id = r.document
                 WHERE r.account_id = $1 AND r.key = $2",
            )
            .bind(key.account_id)
            .bind(key.key.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = found {
                let request_hash: String = r.try_get("request_hash")?;
                let document = Self::document_from_row(&r)?;
                tx.rollback().await?;
                return Ok(DocumentOutcome::KeyUsed { document, request_hash });
            }
        }
        if let Dedup::ByDocumentId(document_id) = dedup {
            let found = sqlx::query(AssertSqlSafe(format!(
                "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE org_code = $1 AND direction = $2 AND document_id = $3"
            )))
            .bind(org_code.as_str().to_owned())
            .bind(direction.as_str())
            .bind(document_id.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = found {
                let existing = Self::document_from_row(&r)?;
                tx.rollback().await?;
                return Ok(DocumentOutcome::Existing(existing));
            }
        }
        let number: i64 = sqlx::query(
            "INSERT INTO document_numbers (org_code, year, direction, last_number) VALUES ($1, $2, $3, 1)
             ON CONFLICT (org_code, year, direction) DO UPDATE SET last_number = document_numbers.last_number + 1
             RETURNING last_number",
        )
        .bind(org_code.as_str().to_owned())
        .bind(year)
        .bind(direction.as_str())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let write = build(number).map_err(StoreError::Corrupt)?;
        let d = &write.document;
        if matches!(dedup, Dedup::ByDocumentId(id) if id != d.document_id) {
            return Err(StoreError::Corrupt("DocumentId đổi khi đánh số".into()));
        }
        // Only the id comes back: the rest is what was written (the package, attachments and
        // all, is not read back).
        let id: i64 = sqlx::query(
            "INSERT INTO documents (org_code, direction, year, number, document_id, from_org, subject, header,
               package, state, revision, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(org_code.as_str().to_owned())
        .bind(direction.as_str())
        .bind(year)
        .bind(number)
        .bind(d.document_id.clone())
        .bind(d.from_org.as_str().to_owned())
        .bind(d.subject.clone())
        .bind(d.header.clone())
        .bind(d.package.clone())
        .bind(d.state.clone())
        .bind(d.revision)
        .bind(micros(d.at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if let Dedup::ByKey(key) = dedup {
            sqlx::query(
                "INSERT INTO document_requests (account_id, key, request_hash, document, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key.account_id)
            .bind(key.key.clone())
            .bind(key.request_hash.clone())
            .bind(id)
            .bind(micros(d.at))
            .execute(&mut *tx)
            .await?;
        }
        Self::insert_statuses(&mut *tx, &write.statuses).await?;
        Self::insert_outbox(&mut *tx, &write.outbox, Some(id), d.at).await?;
        let at = timestamp(micros(d.at))?;
        let d = write.document;
        let entry = DocumentEntry {
            id,
            org: org_code.clone(),
            direction,
            year,
            number,
            document_id: d.document_id,
            from_org: d.from_org,
            subject: d.subject,
            header: d.header,
            state: d.state,
            revision: d.revision,
            pending: None,
            created_at: at,
            updated_at: at,
        };
        let record = DocumentRecord { entry, package: d.package };
        tx.commit().await?;
        Ok(DocumentOutcome::Created(record))
    }
}

//! [`DocumentStore`] for both engines, written once as code generic over the engine (the `where`
//! clauses: see `sql_catalog.rs`).

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::documents::{
    BuildDocument, CertRole, Dedup, Direction, DocStatus, DocumentChange, DocumentEntry, DocumentFilter,
    DocumentOutcome, DocumentRecord, DocumentStore, NewOutbox, NewQuarantine, OutboxEntry, OutboxItem, OutboxPackage,
    Peer, QUARANTINE_KEPT_BYTES, Quarantined, StoredCertificate,
};
use crate::sql_document_rows::orgs_from_text;
use crate::sql_shared::{Column, Engine, RetryQueue, RowsAffected, SqlStore, micros, timestamp};
use crate::{Page, Paged, Result, StoreError};

const ENTRY_COLUMNS: &str = "id, org_code, direction, year, number, document_id, from_org, subject, header, state, revision, pending, created_at, updated_at";
pub(crate) const DOCUMENT_COLUMNS: &str = "id, org_code, direction, year, number, document_id, from_org, subject, header, package, \
     state, revision, pending, created_at, updated_at";
/// An outbox item's columns, its package taken from the register entry it points at when it
/// keeps none of its own (`FROM exchange_outbox o LEFT JOIN documents d ON d.id = o.document_row`).
const OUTBOX_COLUMNS: &str = "o.id, o.target, o.kind, o.reference, COALESCE(o.package, d.package) AS package, \
     o.attempts, o.next_attempt_at, o.last_error, o.delivered_at, o.created_at";
const OUTBOX_FROM: &str = "exchange_outbox o LEFT JOIN documents d ON d.id = o.document_row";
const CERT_COLUMNS: &str =
    "id, role, org_code, subject, serial, fingerprint, not_before, not_after, cert_pem, key_pem, active, created_at";

const OUTBOX: RetryQueue = RetryQueue { table: "exchange_outbox", done: "delivered_at", error_chars: 1000 };

fn orgs_to_text(orgs: &[(OrgCode, String)]) -> String {
    orgs.iter().map(|(c, n)| format!("{c}\t{n}")).collect::<Vec<_>>().join("\n")
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
    pub(crate) async fn insert_statuses<'e, E>(executor: &mut E, statuses: &[DocStatus]) -> Result<u64>
    where
        for<'c> &'c mut E: sqlx::Executor<'c, Database = DB>,
    {
        let mut n = 0;
        for s in statuses {
            n += sqlx::query(
                "INSERT INTO document_statuses (document_id, to_org, code, revision, description, staff, at, package)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (document_id, to_org, code, revision, at) DO NOTHING",
            )
            .bind(s.document_id.clone())
            .bind(s.to_org.as_str().to_owned())
            .bind(s.code.clone())
            .bind(s.revision)
            .bind(s.description.clone())
            .bind(s.staff.clone())
            .bind(micros(s.at))
            .bind(s.package.clone())
            .execute(&mut *executor)
            .await?
            .rows_affected();
        }
        Ok(n)
    }

    /// Queues `items`; those of [`OutboxPackage::OfDocument`] point at register entry
    /// `document` (the one this write makes or changes) instead of holding its package.
    pub(crate) async fn insert_outbox<'e, E>(
        executor: &mut E,
        items: &[NewOutbox],
        document: Option<i64>,
        now: Timestamp,
    ) -> Result<()>
    where
        for<'c> &'c mut E: sqlx::Executor<'c, Database = DB>,
    {
        for o in items {
            let (package, row) = match &o.package {
                OutboxPackage::Own(p) => (Some(p.clone()), None),
                OutboxPackage::OfDocument => match document {
                    Some(id) => (None, Some(id)),
                    None => return Err(StoreError::Corrupt("mục chờ gửi không có văn bản để trỏ tới".into())),
                },
            };
            sqlx::query(
                "INSERT INTO exchange_outbox (target, kind, reference, package, document_row, next_attempt_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(o.target.clone())
            .bind(o.kind.clone())
            .bind(o.reference.clone())
            .bind(package)
            .bind(row)
            .bind(micros(now))
            .execute(&mut *executor)
            .await?;
        }
        Ok(())
    }

    /// The `WHERE` of a document list.
    fn document_conditions(q: &mut QueryBuilder<DB>, f: &DocumentFilter) {
        q.push(" WHERE 1 = 1");
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                q.push(" AND 1 = 0");
            } else {
                q.push(" AND org_code IN (");
                let mut sep = q.separated(", ");
                for o in orgs {
                    sep.push_bind(o.as_str());
                }
                q.push(")");
            }
        }
        if let Some(d) = f.direction {
            q.push(" AND direction = ").push_bind(d.as_str());
        }
        if let Some(y) = f.year {
            q.push(" AND year = ").push_bind(y);
        }
        if let Some(s) = &f.state {
            q.push(" AND state = ").push_bind(s.as_str());
        }
    }
}

#[async_trait]
impl<DB: Engine> DocumentStore for SqlStore<DB>
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
    async fn add_certificate(&self, c: &StoredCertificate) -> Result<i64> {
        let mut tx = self.writer.begin().await?;
        if c.active && c.role != CertRole::Trusted {
            sqlx::query(
                "UPDATE certificates SET active = FALSE
                 WHERE role = $1 AND active AND (org_code = $2 OR (org_code IS NULL AND $2 IS NULL))",
            )
            .bind(c.role.as_str())
            .bind(c.org.as_ref().map(|o| o.as_str().to_owned()))
            .execute(&mut *tx)
            .await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO certificates (role, org_code, subject, serial, fingerprint, not_before, not_after,
               cert_pem, key_pem, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(c.role.as_str())
        .bind(c.org.as_ref().map(|o| o.as_str().to_owned()))
        .bind(c.subject.clone())
        .bind(c.serial.clone())
        .bind(c.fingerprint.clone())
        .bind(micros(c.not_before))
        .bind(micros(c.not_after))
        .bind(c.cert_pem.clone())
        .bind(c.key_pem.clone())
        .bind(c.active)
        .bind(micros(c.created_at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    async fn certificates(&self, role: Option<CertRole>, org: Option<&OrgCode>) -> Result<Vec<StoredCertificate>> {
        let mut q = QueryBuilder::<DB>::new(format!("SELECT {CERT_COLUMNS} FROM certificates WHERE 1 = 1"));
        if let Some(r) = role {
            q.push(" AND role = ").push_bind(r.as_str());
        }
        if let Some(o) = org {
            q.push(" AND org_code = ").push_bind(o.as_str().to_owned());
        }
        q.push(" ORDER BY active DESC, id DESC");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::cert_from_row).collect()
    }

    async fn upsert_peer(&self, p: &Peer) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO exchange_peers (name, base_url, ca_pem, ca_fingerprint, orgs, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, ca_pem = excluded.ca_pem,
               ca_fingerprint = excluded.ca_fingerprint, orgs = excluded.orgs",
                )
                .bind(p.name.clone())
                .bind(p.base_url.clone())
                .bind(p.ca_pem.clone())
                .bind(p.ca_fingerprint.clone())
                .bind(orgs_to_text(&p.orgs))
                .bind(micros(p.created_at)),
            )
            .await?;
        Ok(())
    }

    async fn peers(&self) -> Result<Vec<Peer>> {
        let rows = sqlx::query(
            "SELECT name, base_url, ca_pem, ca_fingerprint, orgs, created_at FROM exchange_peers ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Peer {
                    name: r.try_get("name")?,
                    base_url: r.try_get("base_url")?,
                    ca_pem: r.try_get("ca_pem")?,
                    ca_fingerprint: r.try_get("ca_fingerprint")?,
                    orgs: orgs_from_text(r.try_get("orgs")?)?,
                    created_at: timestamp(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn create_document(
        &self,
        org_code: &OrgCode,
        direction: Direction,
        year: i32,
        dedup: Dedup<'_>,
        build: BuildDocument<'_>,
    ) -> Result<DocumentOutcome> {
        self.register_document(org_code, direction, year, dedup, build).await
    }

    async fn document(&self, id: i64) -> Result<Option<DocumentRecord>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::document_from_row)
            .transpose()
    }

    async fn document_entry(&self, id: i64) -> Result<Option<DocumentEntry>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {ENTRY_COLUMNS} FROM documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::entry_from_row)
            .transpose()
    }

    async fn document_by_document_id(
        &self,
        org_code: &OrgCode,
        direction: Direction,
        document_id: &str,
    ) -> Result<Option<DocumentEntry>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM documents WHERE org_code = $1 AND direction = $2 AND document_id = $3"
        )))
        .bind(org_code.as_str().to_owned())
        .bind(direction.as_str())
        .bind(document_id.to_owned())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(Self::entry_from_row)
        .transpose()
    }

    async fn list_documents(&self, filter: &DocumentFilter, page: Page) -> Result<Paged<DocumentEntry>> {
        let mut count = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM documents");
        Self::document_conditions(&mut count, filter);
        let total: i64 = count.build().fetch_one(&self.pool).await?.try_get(0)?;
        let mut q = QueryBuilder::<DB>::new(format!("SELECT {ENTRY_COLUMNS} FROM documents"));
        Self::document_conditions(&mut q, filter);
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let items = q.build().fetch_all(&self.pool).await?.iter().map(Self::entry_from_row).collect::<Result<_>>()?;
        Ok(Paged { items, total })
    }

    async fn change_document(
        &self,
        id: i64,
        c: &DocumentChange,
        statuses: &[DocStatus],
        outbox: &[NewOutbox],
    ) -> Result<DocumentRecord> {
        let mut tx = self.writer.begin().await?;
        if c.content.is_some() {
            // The entry's package is about to be replaced: items that deliver the one it
            // holds now keep their own copy of it.
            sqlx::query(
                "UPDATE exchange_outbox SET package = (SELECT package FROM documents WHERE id = $1)
                 WHERE document_row = $1 AND package IS NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let mut q = QueryBuilder::<DB>::new("UPDATE documents SET state = ");
        q.push_bind(c.state.clone()).push(", revision = ").push_bind(c.revision);
        q.push(", updated_at = ").push_bind(micros(c.at));
        if let Some((subject, header, package)) = &c.content {
            q.push(", subject = ").push_bind(subject.clone());
            q.push(", header = ").push_bind(header.clone());
            q.push(", package = ").push_bind(package.clone());
        }
        if let Some(p) = &c.pending {
            q.push(", pending = ").push_bind(p.clone());
        }
        q.push(" WHERE id = ").push_bind(id);
        q.push(" AND state = ").push_bind(c.expected_state.clone());
        q.push(" AND revision = ").push_bind(c.expected_revision);
        q.push(format!(" RETURNING {DOCUMENT_COLUMNS}"));
        let Some(row) = q.build().fetch_optional(&mut *tx).await? else {
            let exists = sqlx::query("SELECT 1 FROM documents WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            return Err(if exists.is_some() {
                StoreError::Conflict("văn bản vừa được người khác xử lý".into())
            } else {
                StoreError::MissingReference(format!("văn bản {id}"))
            });
        };
        let record = Self::document_from_row(&row)?;
        Self::insert_statuses(&mut *tx, statuses).await?;
        if c.content.is_none() && outbox.iter().any(|o| o.package == OutboxPackage::OfDocument) {
            return Err(StoreError::Corrupt("mục chờ gửi trỏ tới gói tin văn bản không đổi".into()));
        }
        Self::insert_outbox(&mut *tx, outbox, Some(id), c.at).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn record_statuses(&self, statuses: &[DocStatus], outbox: &[NewOutbox]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let n = Self::insert_statuses(&mut *tx, statuses).await?;
        Self::insert_outbox(&mut *tx, outbox, None, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn statuses(&self, document_id: &str, to_org: Option<&OrgCode>) -> Result<Vec<DocStatus>> {
        let mut q = QueryBuilder::<DB>::new(
            "SELECT document_id, to_org, code, revision, description, staff, at, package FROM document_statuses WHERE document_id = ",
        );
        q.push_bind(document_id.to_owned());
        if let Some(o) = to_org {
            q.push(" AND to_org = ").push_bind(o.as_str().to_owned());
        }
        q.push(" ORDER BY at, id");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::status_from_row).collect()
    }

    async fn due_outbox(&self, now: Timestamp, limit: i64) -> Result<Vec<OutboxItem>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM {OUTBOX_FROM}
             WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at, o.id LIMIT $2"
        )))
        .bind(micros(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::outbox_from_row)
        .collect()
    }

    async fn outbox_delivered(&self, ids: &[i64], at: Timestamp) -> Result<()> {
        Self::queue_done(&self.writer, &OUTBOX, ids, at).await
    }

    async fn outbox_retry(&self, id: i64, error: &str, next_attempt_at: Timestamp) -> Result<()> {
        Self::queue_retry(&self.writer, &OUTBOX, id, error, next_attempt_at).await
    }

    async fn outbox(&self, reference: Option<&str>) -> Result<Vec<OutboxItem>> {
        let mut q = QueryBuilder::<DB>::new(format!("SELECT {OUTBOX_COLUMNS} FROM {OUTBOX_FROM} WHERE "));
        match reference {
            Some(r) => q.push("o.reference = ").push_bind(r.to_owned()),
            None => q.push("o.delivered_at IS NULL"),
        };
        q.push(" ORDER BY o.id");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::outbox_from_row).collect()
    }

    async fn deliveries(&self, reference: &str) -> Result<Vec<OutboxEntry>> {
        self.deliveries_of(reference).await
    }

    async fn next_outbox_due(&self) -> Result<Option<Timestamp>> {
        let r: Option<i64> = sqlx::query("SELECT MIN(next_attempt_at) FROM exchange_outbox WHERE delivered_at IS NULL")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        r.map(timestamp).transpose()
    }

    async fn quarantine(&self, q: &NewQuarantine<'_>) -> Result<i64> {
        let kept = &q.package[..q.package.len().min(QUARANTINE_KEPT_BYTES)];
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO exchange_quarantine (source, reason, document_id, from_org, package, size, sha256, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(q.source.to_owned())
        .bind(q.reason.to_owned())
        .bind(q.document_id.map(str::to_owned))
        .bind(q.from_org.map(str::to_owned))
        .bind(kept.to_vec())
        .bind(i64::try_from(q.package.len()).unwrap_or(i64::MAX))
        .bind(q.sha256.to_owned())
        .bind(micros(q.at))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut orgs: Vec<&str> = q.for_orgs.iter().map(OrgCode::as_str).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            sqlx::query("INSERT INTO exchange_quarantine_orgs (quarantine_id, org_code) VALUES ($1, $2)")
                .bind(id)
                .bind(org.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn quarantined(&self, orgs: Option<&[OrgCode]>, page: Page) -> Result<Paged<Quarantined>> {
        let filter = |q: &mut QueryBuilder<DB>| {
            if let Some(orgs) = orgs {
                q.push(" WHERE id IN (SELECT quarantine_id FROM exchange_quarantine_orgs WHERE org_code IN (");
                let mut list = q.separated(", ");
                list.push_bind("");
                for o in orgs {
                    list.push_bind(o.as_str().to_owned());
                }
                q.push("))");
            }
        };
        let mut count = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM exchange_quarantine");
        filter(&mut count);
        let total: i64 = count.build().fetch_one(&self.pool).await?.try_get(0)?;
        let mut q = QueryBuilder::<DB>::new(
            "SELECT id, source, reason, document_id, from_org, package, size, sha256, received_at FROM exchange_quarantine",
        );
        filter(&mut q);
        q.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Quarantined {
                    id: r.try_get("id")?,
                    source: r.try_get("source")?,
                    reason: r.try_get("reason")?,
                    document_id: r.try_get("document_id")?,
                    from_org: r.try_get("from_org")?,
                    package: r.try_get("package")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    received_at: timestamp(r.try_get("received_at")?)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Paged { items, total })
    }

    async fn purge_quarantine(&self, before: Timestamp, keep: i64) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let old = sqlx::query("DELETE FROM exchange_quarantine WHERE received_at < $1")
            .bind(micros(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let over = sqlx::query(
            "DELETE FROM exchange_quarantine WHERE id <=
               (SELECT id FROM exchange_quarantine ORDER BY id DESC LIMIT 1 OFFSET $1)",
        )
        .bind(keep.max(0))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if old + over > 0 {
            sqlx::query(
                "DELETE FROM exchange_quarantine_orgs
                 WHERE quarantine_id NOT IN (SELECT id FROM exchange_quarantine)",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(old + over)
    }
}

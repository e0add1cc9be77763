//! [`DossierStore`]: dossiers with their events, files, ratings and drafts, their codes' daily
//! sequences and the audit trail, for both engines, written once as code generic over the
//! engine (the `where` clauses: see `sql_catalog.rs`; the row readers: `sql_dossier_rows.rs`).

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use motcua_domain::DossierCode;
use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::audit::{Event, EventDraft};
use motcua_domain::workflow::Dossier;

use crate::{
    AuditColumns, AuditRecord, BuildDossier, CreateOutcome, DossierFilter, DossierList, DossierPage, Draft,
    FileContent, IdempotencyKey, Placement, Rating, Result, StoreError, StoredDossier,
};

use crate::DossierStore;
use crate::sql_shared::*;
use crate::sql_shared::{Engine, RowsAffected, SqlStore};
use crate::sql_write::Batch;

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
}

#[async_trait]
impl<DB: Engine> DossierStore for SqlStore<DB>
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
    async fn create_dossier(
        &self,
        unit: &OrgCode,
        day: jiff::civil::Date,
        key: Option<&IdempotencyKey>,
        attachments: &[Attachment],
        contents: &[FileContent],
        build: BuildDossier,
    ) -> Result<CreateOutcome> {
        self.create_at_desk(unit, day, key.cloned(), attachments.to_vec(), contents.to_vec(), build).await
    }

    async fn kept_file(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query("SELECT content FROM file_contents WHERE sha256 = $1")
            .bind(sha256.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn submission_writes(&self) -> (u64, u64) {
        self.desks.written()
    }

    async fn attachments(&self, code: &DossierCode) -> Result<Vec<Attachment>> {
        let rows = sqlx::query(
            "SELECT idx, component, filename, content_type, size, sha256, kind FROM attachments WHERE dossier_code = $1 ORDER BY idx",
        )
        .bind(code.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attachment {
                    index: r.try_get("idx")?,
                    component: r.try_get("component")?,
                    filename: r.try_get("filename")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    kind: AttachmentKind::parse(r.try_get::<&str, _>("kind")?)
                        .ok_or_else(|| StoreError::Corrupt("loại tệp đính kèm".into()))?,
                })
            })
            .collect()
    }

    async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>> {
        sqlx::query("SELECT body, last_event_seq, last_event_hash FROM dossiers WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::stored_from_row(&r))
            .transpose()
    }

    async fn dossiers_of(&self, codes: &[DossierCode]) -> Result<Vec<StoredDossier>> {
        let mut out = Vec::with_capacity(codes.len());
        for chunk in codes.chunks(500) {
            let mut qb =
                QueryBuilder::<DB>::new("SELECT body, last_event_seq, last_event_hash FROM dossiers WHERE code IN (");
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str().to_owned());
            }
            qb.push(")");
            for r in qb.build().fetch_all(&self.pool).await? {
                out.push(Self::stored_from_row(&r)?);
            }
        }
        Ok(out)
    }

    async fn record_action(
        &self,
        code: &DossierCode,
        expected_seq: i64,
        dossier: &Dossier,
        placement: Placement,
        draft: EventDraft,
        attachments: &[Attachment],
    ) -> Result<(StoredDossier, Event)> {
        let mut tx = self.writer.begin().await?;
        // The dossier's row is locked from this read (PostgreSQL: FOR UPDATE; SQLite has one
        // writer), so the update below cannot miss and goes with the rest at once.
        let lock = if DB::BACKEND == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let Some(head) = sqlx::query(AssertSqlSafe(format!(
            "SELECT last_event_seq, last_event_hash, body,
               (SELECT CAST(COALESCE(MAX(idx), 0) AS BIGINT) FROM attachments WHERE dossier_code = $1)
             FROM dossiers WHERE code = $1{lock}"
        )))
        .bind(code.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(StoreError::MissingReference(code.to_string()));
        };
        let (seq, prev): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
        if seq != expected_seq {
            return Err(StoreError::Conflict(format!("hồ sơ {code} đã thay đổi")));
        }
        let old: Dossier = serde_json::from_str(head.try_get::<&str, _>(2)?).map_err(corrupt("hồ sơ"))?;
        // Files are numbered after those already there.
        let last_file = i32::try_from(head.try_get::<i64, _>(3)?).map_err(corrupt("số thứ tự tệp"))?;
        let body = dossier_body(dossier)?;
        let event = draft.into_event(code.as_str(), seq + 1, &body, &prev);
        // The update, the event (its key (dossier, seq) refuses a second writer of this step),
        // the files and the counters in one statement (PostgreSQL) or one trip (SQLite).
        let mut batch = Batch::new();
        let qb = batch.part();
        qb.push("UPDATE dossiers SET processing_org = ").push_bind(dossier.processing_org.as_str().to_owned());
        qb.push(", status = ").push_bind(i32::from(dossier.status.code()));
        qb.push(", step = ").push_bind(dossier.step.clone());
        qb.push(", waiting_org = ").push_bind(placement.as_ref().map(|p| p.0.as_str().to_owned()));
        qb.push(", waiting_role = ").push_bind(placement.as_ref().map(|p| p.1.as_str().to_owned()));
        qb.push(", due_at = ").push_bind(dossier.due_at.map(micros));
        qb.push(", finished_at = ").push_bind(dossier.finished_at.map(micros));
        qb.push(", body = ").push_bind(body.clone());
        qb.push(", last_event_seq = ").push_bind(seq + 1);
        qb.push(", last_event_hash = ").push_bind(event.hash.clone());
        qb.push(" WHERE code = ").push_bind(code.as_str().to_owned());
        qb.push(" AND last_event_seq = ").push_bind(seq);
        batch.end();
        Self::push_event(batch.part(), &event, false);
        batch.end();
        if !attachments.is_empty() {
            Self::push_attachments(batch.part(), code, attachments, Some(last_file), seq + 1);
            batch.end();
        }
        if crate::escalations::settles(dossier) && !crate::escalations::settles(&old) {
            // Finished or closed (it never reopens): its leaders' escalations no longer stand,
            // and the leaders' reads keep to the work in progress without a sweep of the archive.
            batch
                .part()
                .push("DELETE FROM escalations_standing WHERE dossier_code = ")
                .push_bind(code.as_str().to_owned());
            batch.end();
        }
        if dossier.processing_org != old.processing_org {
            // Transferred: the new organisation finds it by its words too.
            Self::push_terms(batch.part(), dossier, &[dossier.processing_org.as_str()]);
            batch.end();
        }
        Self::push_stat_delta(&mut tx, &mut batch, &crate::sql_stats::dossier_delta(Some(&old), Some(dossier))).await?;
        batch.execute(&mut tx).await?;
        tx.commit().await?;
        let stored = StoredDossier { dossier: dossier.clone(), body, last_seq: seq + 1, last_hash: event.hash.clone() };
        Ok((stored, event))
    }

    async fn events(&self, code: &DossierCode) -> Result<Vec<Event>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE dossier_code = $1 ORDER BY seq"
        )))
        .bind(code.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::event_from_row).collect()
    }

    async fn submitted_since(&self, owner: i64, since: Timestamp) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM dossiers WHERE owner_account = $1 AND submitted_at >= $2),
                    (SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM attachments a
                       JOIN dossiers d ON d.code = a.dossier_code
                      WHERE d.owner_account = $1 AND d.submitted_at >= $2)",
        )
        .bind(owner)
        .bind(micros(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    async fn list_dossiers(&self, filter: &DossierFilter, page: &DossierPage) -> Result<DossierList> {
        self.dossier_list(filter, page).await
    }

    async fn count_dossiers(&self, filter: &DossierFilter) -> Result<crate::ListTotal> {
        self.dossier_count(filter).await
    }

    async fn explain_dossier_list(&self, filter: &DossierFilter, page: &DossierPage) -> Result<Vec<String>> {
        self.explain_list(filter, page).await
    }

    async fn audit_batch(&self, after: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT code, procedure_code, desk_org, processing_org, owner_account, status, step, waiting_org,
               waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash
             FROM dossiers WHERE code > $1 ORDER BY code LIMIT $2",
        )
        .bind(after.unwrap_or("").to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let code: String = r.try_get("code")?;
            let events = sqlx::query(AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE dossier_code = $1 ORDER BY seq"
            )))
            .bind(code.clone())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::event_from_row)
            .collect::<Result<Vec<_>>>()?;
            out.push(AuditRecord {
                body: r.try_get("body")?,
                columns: AuditColumns {
                    procedure_code: r.try_get("procedure_code")?,
                    desk_org: r.try_get("desk_org")?,
                    processing_org: r.try_get("processing_org")?,
                    owner_account: r.try_get("owner_account")?,
                    status: r.try_get("status")?,
                    step: r.try_get("step")?,
                    waiting_org: r.try_get("waiting_org")?,
                    waiting_role: r.try_get("waiting_role")?,
                    submitted_at: r.try_get("submitted_at")?,
                    due_at: r.try_get("due_at")?,
                    finished_at: r.try_get("finished_at")?,
                },
                last_seq: r.try_get("last_event_seq")?,
                last_hash: r.try_get("last_event_hash")?,
                events,
                code,
            });
        }
        Ok(out)
    }

    async fn dossier_sequences(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT org_code, day, last_value FROM dossier_sequences ORDER BY org_code, day")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    async fn rate(&self, rating: &Rating) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        if !Self::insert_rating(&mut tx, rating).await? {
            // Explicitly: a dropped transaction is only rolled back when its
            // connection is next used, holding its locks until then.
            tx.rollback().await?;
            return Ok(false);
        }
        let body: String = sqlx::query("SELECT body FROM dossiers WHERE code = $1")
            .bind(rating.dossier.as_str().to_owned())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let d: Dossier = serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?;
        if let Some(cell) = motcua_domain::stats::rating_contribution(&d, rating.stars.get()) {
            let delta = motcua_domain::stats::Delta { cells: vec![cell], open: vec![] };
            Self::apply_stat_delta(&mut tx, &delta).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn import_dossiers(&self, batch: &[crate::ImportedDossier]) -> Result<()> {
        self.import_batch(batch).await
    }

    async fn bulk_loaded(&self) -> Result<()> {
        if DB::BACKEND == crate::Backend::Postgres {
            // VACUUM as well as ANALYZE: the rows just written are not yet marked visible to
            // all, so until autovacuum came round every index-only read (the open dossiers'
            // index, the search words) went back to the table for each row. At five million
            // dossiers Sở Tư pháp's list took 24 ms p50 before, 8 after; the VACUUM takes about
            // a minute of a half-hour load.
            sqlx::raw_sql("VACUUM (ANALYZE) dossiers, dossier_events, dossier_terms, dossier_sequences, ratings, stat_days, stat_months, stat_org_days, stat_org_months, stat_proc_days, stat_proc_months, stat_open")
                .execute(&self.pool)
                .await?;
        } else {
            // The writing connection as it was, and every batch synced into the file: the
            // checkpoint syncs the log, copies it into the file and syncs that.
            self.writer.end_load().await?;
            let busy: i64 = sqlx::query_scalar("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
            if busy != 0 {
                // Another process reads an older snapshot: what it holds back stays in the
                // log (synced first) for the next checkpoint.
                tracing::warn!("the bulk load's log is not all copied into the database file yet: it is being read");
            }
        }
        Ok(())
    }

    async fn rating(&self, code: &DossierCode) -> Result<Option<Rating>> {
        Ok(self.ratings_of(std::slice::from_ref(code)).await?.pop())
    }

    async fn ratings_of(&self, codes: &[DossierCode]) -> Result<Vec<Rating>> {
        let mut out = Vec::new();
        for chunk in codes.chunks(500) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT dossier_code, account_id, stars, comment, created_at FROM ratings WHERE dossier_code IN (",
            );
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str().to_owned());
            }
            qb.push(")");
            for r in qb.build().fetch_all(&self.pool).await? {
                out.push(Rating {
                    dossier: DossierCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã hồ sơ"))?,
                    account_id: r.try_get(1)?,
                    stars: motcua_domain::rating::Stars::new(i64::from(r.try_get::<i32, _>(2)?))
                        .map_err(corrupt("đánh giá"))?,
                    comment: r.try_get(3)?,
                    at: timestamp(r.try_get(4)?)?,
                });
            }
        }
        Ok(out)
    }

    async fn save_draft(&self, d: &Draft) -> Result<i64> {
        match d.id {
            None => {
                let mut tx = self.writer.begin().await?;
                let id = sqlx::query(
                    "INSERT INTO drafts (account_id, procedure_code, body, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(d.account_id)
                .bind(d.procedure.as_str().to_owned())
                .bind(d.body.clone())
                .bind(micros(d.updated_at))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                tx.commit().await?;
                Ok(id)
            }
            Some(id) => {
                let done = self.writer.execute(sqlx::query(
                    "UPDATE drafts SET body = $1, updated_at = $2 WHERE id = $3 AND account_id = $4 AND procedure_code = $5",
                )
                .bind(d.body.clone())
                .bind(micros(d.updated_at))
                .bind(id)
                .bind(d.account_id)
                .bind(d.procedure.as_str().to_owned())
                )
                .await?;
                if done.rows_affected() == 1 {
                    Ok(id)
                } else {
                    Err(StoreError::MissingReference(format!("bản nháp {id}")))
                }
            }
        }
    }

    async fn draft(&self, id: i64, account_id: i64) -> Result<Option<Draft>> {
        sqlx::query(
            "SELECT id, account_id, procedure_code, body, updated_at FROM drafts WHERE id = $1 AND account_id = $2",
        )
        .bind(id)
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Self::draft_from_row(&r))
        .transpose()
    }

    async fn drafts(&self, account_id: i64) -> Result<Vec<Draft>> {
        sqlx::query(
            "SELECT id, account_id, procedure_code, body, updated_at FROM drafts WHERE account_id = $1 ORDER BY updated_at DESC, id DESC",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(Self::draft_from_row)
        .collect()
    }

    async fn delete_draft(&self, id: i64, account_id: i64) -> Result<bool> {
        let done = self
            .writer
            .execute(sqlx::query("DELETE FROM drafts WHERE id = $1 AND account_id = $2").bind(id).bind(account_id))
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

//! Dossiers written as they are, in bulk (`motcua demo --synthetic`, migrations from other
//! systems): each table's rows of a batch in a few multi-row statements, in one transaction,
//! with the code sequences and the statistics they imply.

use std::collections::HashMap;

use sqlx::QueryBuilder;

use motcua_domain::audit::Event;
use motcua_domain::workflow::Dossier;

use crate::copy_text::CopyText;
use crate::sql_shared::*;
use crate::{ImportedDossier, Result, StoreError};

/// Rows per statement, under SQLite's 32,766 bound values (and PostgreSQL's 65,535).
const DOSSIERS_PER_STATEMENT: usize = 1_000;
const EVENTS_PER_STATEMENT: usize = 2_000;
const TERMS_PER_STATEMENT: usize = 8_000;

/// SQLite's writing connection during a bulk load, by `PRAGMA` name and value, set by the
/// first batch; [`crate::DossierStore::bulk_loaded`] sets back what these names held before
/// (read by exactly these names, so a setting added here is always given back).
/// - `synchronous = NORMAL` (1): a batch's commit does not wait for the disk; the log is synced
///   before each checkpoint and the file after it, so a power cut can lose the last batches
///   but never corrupt the database. A batch's search words land on pages all over their
///   index, so each commit rewrote some 250 MB of pages for 25 MB of new rows, and waited
///   for all of it to reach the disk.
/// - A 256 MB page cache (`cache_size` takes a negative count as KiB). With the default 2 MB
///   every batch read the indexes' pages back from the file and spilled them to the log
///   before its commit.
/// - A checkpoint every 1 GB of log (default 4 MB, that is after every batch): a page that
///   several batches change is copied into the file once, not once per batch.
/// - `temp_store = FILE` (1): the writer keeps what its savepoints change in memory (see
///   [`crate::SqliteStore::connect`]), which for a batch that touches index pages all over a
///   large database could be hundreds of megabytes; during a load that copy goes to a
///   temporary file as SQLite does by default.
pub(crate) const LOAD_SETTINGS: &[(&str, i64)] =
    &[("synchronous", 1), ("cache_size", -262_144), ("wal_autocheckpoint", 262_144), ("temp_store", 1)];

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
    /// See [`crate::DossierStore::import_dossiers`].
    pub(crate) async fn import_batch(&self, batch: &[ImportedDossier]) -> Result<()> {
        let mut rows = Vec::with_capacity(batch.len());
        let mut terms = Vec::new();
        let mut snap = crate::stats::StatSnapshot::default();
        let mut sequences: HashMap<(String, String), i64> = HashMap::new();
        for item in batch {
            let d = &item.dossier;
            let last = item.events.last().ok_or_else(|| StoreError::Corrupt("hồ sơ không có sự kiện".into()))?;
            rows.push((d, &item.placement, item.body.as_str(), last));
            terms.extend(Self::own_term_rows(d));
            let c = motcua_domain::stats::contribution(d);
            for (day, counts) in &c.days {
                snap.add(&c.key, *day, counts);
            }
            if let Some(due) = c.open_due {
                snap.add_open(&c.key, due, 1);
            }
            if let Some(r) = &item.rating
                && let Some((key, day, counts)) = motcua_domain::stats::rating_contribution(d, r.stars.get())
            {
                snap.add(&key, day, &counts);
            }
            let day = d.code.date().ok_or_else(|| StoreError::Corrupt(format!("mã hồ sơ {}", d.code)))?;
            let e = sequences.entry((d.code.unit().to_owned(), day.to_string())).or_default();
            *e = (*e).max(i64::from(d.code.sequence()));
        }
        // Each table's rows in its key order: its B-tree takes them walking forward, each page
        // once, instead of scattered over the whole index (a third of the write time).
        rows.sort_unstable_by(|a, b| a.0.code.as_str().cmp(b.0.code.as_str()));
        terms.sort_unstable();
        terms.dedup();
        let mut events: Vec<_> = batch.iter().flat_map(|i| &i.events).collect();
        events.sort_unstable_by(|a, b| (a.dossier_code.as_str(), a.seq).cmp(&(b.dossier_code.as_str(), b.seq)));
        // PostgreSQL takes the three large tables by COPY (text built before the transaction).
        let copies = (DB::BACKEND == crate::Backend::Postgres)
            .then(|| [copy_dossiers(&rows), copy_events(&events), copy_terms(&terms)]);
        self.writer.begin_load(LOAD_SETTINGS).await?;
        let mut tx = self.writer.begin().await?;
        if let Some([dossiers, events, terms]) = copies {
            DB::copy_in(&mut tx, DOSSIER_TARGET, dossiers).await?;
            DB::copy_in(&mut tx, &format!("dossier_events ({EVENT_COLUMNS}, notified)"), events).await?;
            DB::copy_in(&mut tx, "dossier_terms (org_code, term, submitted_at, dossier_code)", terms).await?;
        } else {
            for chunk in rows.chunks(DOSSIERS_PER_STATEMENT) {
                let mut qb = QueryBuilder::new("");
                Self::push_dossier_rows(&mut qb, chunk.iter().copied());
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in events.chunks(EVENTS_PER_STATEMENT) {
                let mut qb = QueryBuilder::new("");
                Self::push_events(&mut qb, chunk.iter().copied(), true);
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in terms.chunks(TERMS_PER_STATEMENT) {
                let mut qb = QueryBuilder::new("");
                Self::push_terms_of(&mut qb, chunk);
                qb.build().execute(&mut *tx).await?;
            }
        }
        let ratings: Vec<_> = batch.iter().filter_map(|i| i.rating.as_ref()).collect();
        for chunk in ratings.chunks(DOSSIERS_PER_STATEMENT) {
            let mut qb =
                QueryBuilder::new("INSERT INTO ratings (dossier_code, account_id, stars, comment, created_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.dossier.as_str().to_owned())
                    .push_bind(r.account_id)
                    .push_bind(i32::from(r.stars.get()))
                    .push_bind(r.comment.clone())
                    .push_bind(micros(r.at));
            });
            qb.push(" ON CONFLICT (dossier_code) DO NOTHING");
            if qb.build().execute(&mut *tx).await?.rows_affected() != chunk.len() as u64 {
                return Err(StoreError::Conflict("đánh giá hồ sơ đã có".into()));
            }
        }
        if !sequences.is_empty() {
            let mut qb = QueryBuilder::new("INSERT INTO dossier_sequences (org_code, day, last_value) ");
            qb.push_values(sequences, |mut b, ((unit, day), last)| {
                b.push_bind(unit).push_bind(day).push_bind(last);
            });
            qb.push(
                " ON CONFLICT (org_code, day) DO UPDATE SET last_value = CASE
                   WHEN excluded.last_value > dossier_sequences.last_value THEN excluded.last_value
                   ELSE dossier_sequences.last_value END",
            );
            qb.build().execute(&mut *tx).await?;
        }
        Self::write_stat_snapshot(&mut tx, &snap).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An imported dossier's row: the dossier, where it waits, its stored body, its last event.
type DossierRow<'a> = (&'a Dossier, &'a crate::Placement, &'a str, &'a Event);

const DOSSIER_TARGET: &str = "dossiers (code, procedure_code, desk_org, processing_org, owner_account, status, step, \
     waiting_org, waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash, channel, search_text)";

/// The rows of [`SqlStore::push_dossier_rows`], as COPY text in [`DOSSIER_TARGET`]'s order.
fn copy_dossiers(rows: &[DossierRow<'_>]) -> Vec<u8> {
    let mut c = CopyText::default();
    for (d, placement, body, last) in rows {
        c.text(d.code.as_str())
            .text(d.procedure.as_str())
            .text(d.desk_org.as_str())
            .text(d.processing_org.as_str())
            .opt_int(d.owner_account)
            .int(i64::from(d.status.code()))
            .opt_text(d.step.as_deref())
            .opt_text(placement.as_ref().map(|p| p.0.as_str()))
            .opt_text(placement.as_ref().map(|p| p.1.as_str()))
            .int(micros(d.submitted_at))
            .opt_int(d.due_at.map(micros))
            .opt_int(d.finished_at.map(micros))
            .text(body)
            .int(last.seq)
            .text(&last.hash)
            .text(d.channel.as_str())
            .text(&search_text(d));
        c.end_row();
    }
    c.into_bytes()
}

/// The rows of [`SqlStore::push_events`] (notified), as COPY text.
fn copy_events(events: &[&Event]) -> Vec<u8> {
    let mut c = CopyText::default();
    for e in events {
        c.text(&e.dossier_code)
            .int(e.seq)
            .int(e.at_us)
            .opt_int(e.actor_account)
            .text(&e.actor)
            .text(&e.action)
            .opt_int(e.from_status.map(i64::from))
            .int(i64::from(e.to_status))
            .opt_text(e.from_step.as_deref())
            .opt_text(e.to_step.as_deref())
            .text(&e.details)
            .text(&e.state_hash)
            .text(&e.prev_hash)
            .text(&e.hash)
            .bool(true);
        c.end_row();
    }
    c.into_bytes()
}

/// Search words (organisation, word, submitted, code), as COPY text.
fn copy_terms(terms: &[(String, String, i64, String)]) -> Vec<u8> {
    let mut c = CopyText::default();
    for (org, term, at, code) in terms {
        c.text(org).text(term).int(*at).text(code);
        c.end_row();
    }
    c.into_bytes()
}

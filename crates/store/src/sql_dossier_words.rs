//! The words a unit's search reads (`dossier_terms`: organisation, word, submitted, code),
//! written with each dossier, once per organisation that received or processes it.
//!
//! - PostgreSQL's groups write theirs after the commit (`sql_dossier_group.rs`), marking
//!   their dossiers in `dossier_terms_pending` until then; a store that opens writes the
//!   words of any marked dossier (stored before the table, or cut off by a crash).
//! - SQLite's new dossiers append theirs to `dossier_terms_recent` (a row a dossier, no key),
//!   and the store moves them into `dossier_terms` a moment later, many commits' at once, and
//!   when it opens; a unit's search reads both tables (`sql_dossier_list.rs`).

use motcua_domain::workflow::Dossier;
use sqlx::QueryBuilder;

use crate::Result;
use crate::sql_shared::*;
use crate::sql_write::Batch;

/// The most search words in one statement (four values each: within either engine's limit
/// on bound values).
const TERM_ROWS: usize = 2_000;

/// What separates, and ends, the organisations and the words of a row of
/// `dossier_terms_recent` (the unit separator: in no code and no folded word).
const SEP: char = '\u{1f}';

/// A row of `dossier_terms`: organisation, word, submitted (µs), dossier code.
pub(crate) type TermRow = (String, String, i64, String);

/// `value` as it is found in a list of `dossier_terms_recent` (`instr(list, …)`).
pub(crate) fn recent_key(value: &str) -> String {
    format!("{SEP}{value}{SEP}")
}

fn recent_list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.fold(SEP.to_string(), |mut list, v| {
        list.push_str(v);
        list.push(SEP);
        list
    })
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
    /// `INSERT INTO dossier_terms …` of the dossier's words for each organisation given
    /// (its desk and processing organisation; once when they are the same). A word already
    /// there (an organisation the dossier comes back to) is left as it is.
    pub(crate) fn push_terms(qb: &mut QueryBuilder<DB>, d: &Dossier, orgs: &[&str]) {
        Self::push_terms_of(qb, &Self::term_rows(d, orgs));
    }

    /// The rows of `dossier_terms` for the dossier at these organisations.
    pub(crate) fn term_rows(d: &Dossier, orgs: &[&str]) -> Vec<TermRow> {
        let terms = crate::dossier_list::search_terms(d);
        let mut orgs = orgs.to_vec();
        orgs.dedup();
        let at = micros(d.submitted_at);
        orgs.iter()
            .flat_map(|o| terms.iter().map(move |t| ((*o).to_owned(), t.clone(), at, d.code.as_str().to_owned())))
            .collect()
    }

    /// The rows of `dossier_terms` for a new dossier: at its desk and its processing
    /// organisation.
    pub(crate) fn own_term_rows(d: &Dossier) -> Vec<TermRow> {
        Self::term_rows(d, &[d.desk_org.as_str(), d.processing_org.as_str()])
    }

    /// `INSERT INTO dossier_terms …` of these rows (organisation, word, submitted, code).
    pub(crate) fn push_terms_of(qb: &mut QueryBuilder<DB>, rows: &[TermRow]) {
        qb.push("INSERT INTO dossier_terms (org_code, term, submitted_at, dossier_code) ");
        qb.push_values(rows, |mut b, (org, term, at, code)| {
            b.push_bind(org.clone()).push_bind(term.clone()).push_bind(*at).push_bind(code.clone());
        });
        qb.push(" ON CONFLICT DO NOTHING");
    }

    /// Writes the search words of these dossiers (at their desk and processing organisation)
    /// and takes their marks off `dossier_terms_pending`: the words of a group written after
    /// its commit (`sql_dossier_group.rs`) and the fill when a store opens. One statement per
    /// [`TERM_ROWS`] words, each with the marks of its own dossiers, so a mark only goes with
    /// its words.
    pub(crate) async fn write_marked_terms(conn: &mut DB::Connection, dossiers: &[&Dossier]) -> Result<()> {
        let mut rest = dossiers;
        while !rest.is_empty() {
            let mut rows = Vec::new();
            let mut taken = 0;
            while taken < rest.len() && (taken == 0 || rows.len() < TERM_ROWS) {
                rows.extend(Self::own_term_rows(rest[taken]));
                taken += 1;
            }
            let (these, next) = rest.split_at(taken);
            let mut batch = crate::sql_write::Batch::new();
            if !rows.is_empty() {
                Self::push_terms_of(batch.part(), &rows);
                batch.end();
            }
            let qb = batch.part();
            qb.push("DELETE FROM dossier_terms_pending WHERE dossier_code IN (");
            let mut codes = qb.separated(", ");
            for d in these {
                codes.push_bind(d.code.as_str().to_owned());
            }
            qb.push(")");
            batch.end();
            batch.execute(&mut *conn).await?;
            rest = next;
        }
        Ok(())
    }

    /// Writes the words of marked dossiers (stored before `dossier_terms` existed, or whose
    /// group's words a crash cut off), a thousand at a time, when the store opens.
    pub(crate) async fn fill_search_terms(pool: &sqlx::Pool<DB>) -> Result<()> {
        loop {
            let rows = sqlx::query(
                "SELECT p.dossier_code, d.body FROM dossier_terms_pending p
                 LEFT JOIN dossiers d ON d.code = p.dossier_code LIMIT 1000",
            )
            .fetch_all(pool)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let (mut dossiers, mut gone) = (Vec::new(), Vec::new());
            for r in &rows {
                let code = sqlx::Row::try_get::<String, _>(r, 0)?;
                match sqlx::Row::try_get::<Option<String>, _>(r, 1)? {
                    Some(body) => dossiers.push(serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?),
                    // A code whose dossier is gone (none should be) only leaves the list.
                    None => gone.push(code),
                }
            }
            let mut tx = pool.begin().await?;
            Self::write_marked_terms(&mut tx, &dossiers.iter().collect::<Vec<_>>()).await?;
            if !gone.is_empty() {
                let mut qb = QueryBuilder::new("DELETE FROM dossier_terms_pending WHERE dossier_code IN (");
                let mut codes = qb.separated(", ");
                for code in gone {
                    codes.push_bind(code);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            // A short batch was the last: what other servers mark from now on, they write
            // themselves a moment later (`sql_dossier_group.rs`), so a busy database does not
            // keep this open for ever.
            if rows.len() < 1000 {
                return Ok(());
            }
        }
    }

    /// `INSERT INTO dossier_terms_recent …` of these new dossiers' words: a row each, its
    /// organisations (desk and processing) and its words in a list each.
    pub(crate) fn push_recent_words(batch: &mut Batch<DB>, dossiers: &[&Dossier]) {
        if dossiers.is_empty() {
            return;
        }
        let qb = batch.part();
        qb.push("INSERT INTO dossier_terms_recent (dossier_code, submitted_at, orgs, terms) ");
        qb.push_values(dossiers, |mut b, d| {
            let mut orgs = vec![d.desk_org.as_str(), d.processing_org.as_str()];
            orgs.dedup();
            let terms = crate::dossier_list::search_terms(d);
            b.push_bind(d.code.as_str().to_owned())
                .push_bind(micros(d.submitted_at))
                .push_bind(recent_list(orgs.into_iter()))
                .push_bind(recent_list(terms.iter().map(String::as_str)));
        });
        batch.end();
    }

    /// Moves every row of `dossier_terms_recent` into `dossier_terms`, sorted by its key (a
    /// word already there, as a transfer back writes them, left as it is), in the caller's
    /// transaction: a moment after new dossiers' commits, and when a store opens.
    pub(crate) async fn move_recent_words(conn: &mut DB::Connection) -> Result<()> {
        let rows = sqlx::query("SELECT dossier_code, submitted_at, orgs, terms FROM dossier_terms_recent")
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut words: Vec<TermRow> = Vec::new();
        for r in &rows {
            let code = sqlx::Row::try_get::<String, _>(r, 0)?;
            let at = sqlx::Row::try_get::<i64, _>(r, 1)?;
            let (orgs, terms) = (sqlx::Row::try_get::<String, _>(r, 2)?, sqlx::Row::try_get::<String, _>(r, 3)?);
            for org in orgs.split(SEP).filter(|o| !o.is_empty()) {
                for term in terms.split(SEP).filter(|t| !t.is_empty()) {
                    words.push((org.to_owned(), term.to_owned(), at, code.clone()));
                }
            }
        }
        words.sort_unstable();
        words.dedup();
        for chunk in words.chunks(TERM_ROWS) {
            let mut qb = QueryBuilder::new("");
            Self::push_terms_of(&mut qb, chunk);
            qb.build().execute(&mut *conn).await?;
        }
        sqlx::query("DELETE FROM dossier_terms_recent").execute(&mut *conn).await?;
        Ok(())
    }
}

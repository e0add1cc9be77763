//! Writing the statistics counters, inside the caller's transaction: a dossier's delta (what
//! changed when it was created or acted on) and whole snapshots (rebuilds, bulk imports), for
//! both engines. A delta's rows go to the database at once; a large snapshot in chunks.

use motcua_domain::stats::{Counts, MEASURES};

use crate::Result;
use crate::sql_shared::{Column, Engine, SqlStore};
use crate::sql_write::Batch;

pub(crate) fn columns() -> String {
    MEASURES.join(", ")
}

/// Which key a counter table has besides its period and channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyed {
    OrgAndProcedure,
    Org,
    Procedure,
}

impl Keyed {
    pub(crate) fn columns(self) -> &'static str {
        match self {
            Keyed::OrgAndProcedure => "org_code, procedure_code, channel",
            Keyed::Org => "org_code, channel",
            Keyed::Procedure => "procedure_code, channel",
        }
    }
}

/// The six counter tables: name, period column, key.
pub(crate) const COUNTER_TABLES: [(&str, &str, Keyed); 6] = [
    ("stat_days", "day", Keyed::OrgAndProcedure),
    ("stat_months", "month", Keyed::OrgAndProcedure),
    ("stat_org_days", "day", Keyed::Org),
    ("stat_org_months", "month", Keyed::Org),
    ("stat_proc_days", "day", Keyed::Procedure),
    ("stat_proc_months", "month", Keyed::Procedure),
];

/// Rows of a large snapshot per multi-row statement: under SQLite's 32,766 bound values at
/// 39 per row. The statements are built with the engine's own placeholders (`?` on SQLite,
/// which its driver binds in order; numbered `$n` names it finds one by one, so a statement's
/// binding time grew with the square of its parameters and chunks had to stay at 8 rows).
pub(crate) const SNAPSHOT_CHUNK: usize = 500;

/// A snapshot of at most this many rows (a dossier's change) goes to the database at once;
/// larger ones (rebuilds) in chunks.
pub(crate) const ONE_STATEMENT_ROWS: usize = 64;

/// One counter row to add: (period, first key, second key, channel, counters).
pub(crate) type CounterRow<'a> = (i32, &'a str, Option<&'a str>, &'a str, &'a Counts);

/// `INSERT … VALUES (…), (…) ON CONFLICT DO UPDATE` adding `rows` rows to `table`.
/// A snapshot's counter rows per table: (table, period column, keying, rows of (period, first
/// key, second key, channel, counters)), each table's rows in its key order (appends to the
/// B-tree instead of scattering, and one lock order for every writer).
#[allow(clippy::type_complexity)]
fn counter_rows(s: &crate::stats::StatSnapshot) -> Vec<(&'static str, &'static str, Keyed, Vec<CounterRow<'_>>)> {
    let mut tables = Vec::with_capacity(COUNTER_TABLES.len());
    for (table, period, keyed) in COUNTER_TABLES {
        let day = period == "day";
        let mut rows: Vec<CounterRow<'_>> = match keyed {
            Keyed::OrgAndProcedure => (if day { &s.days } else { &s.months })
                .iter()
                .map(|((k, p), c)| (*p, k.org.as_str(), Some(k.procedure.as_str()), k.channel.as_str(), c))
                .collect(),
            Keyed::Org => (if day { &s.org_days } else { &s.org_months })
                .iter()
                .map(|(((org, ch), p), c)| (*p, org.as_str(), None, ch.as_str(), c))
                .collect(),
            Keyed::Procedure => (if day { &s.proc_days } else { &s.proc_months })
                .iter()
                .map(|(((procedure, ch), p), c)| (*p, procedure.as_str(), None, ch.as_str(), c))
                .collect(),
        };
        rows.sort_by(|a, b| (a.0, a.1, a.2, a.3).cmp(&(b.0, b.1, b.2, b.3)));
        tables.push((table, period, keyed, rows));
    }
    tables
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
    /// Adds a snapshot's rows inside the caller's transaction, many rows per statement. Rows go
    /// in one order (tables, then each table's key), so concurrent PostgreSQL transactions never
    /// wait on each other in a cycle. A dossier's change is applied as the
    /// snapshot of its delta ([`apply_stat_delta`]).
    pub(crate) async fn write_stat_snapshot(conn: &mut DB::Connection, s: &crate::stats::StatSnapshot) -> Result<()> {
        let tables = counter_rows(s);
        let rows: usize = tables.iter().map(|t| t.3.len()).sum::<usize>() + s.open.len();
        if rows <= ONE_STATEMENT_ROWS {
            // A dossier's change touches a row or two of each table: all of them go to the
            // database at once (one round trip on PostgreSQL, one trip to the connection's
            // thread on SQLite, instead of seven or more).
            return Self::write_counters_at_once(conn, &tables, s).await;
        }
        Self::write_counters_in_chunks(conn, &tables, s).await
    }

    /// A dossier's statistics delta as parts of `batch` (the rest of its transaction's writes
    /// go with them); a delta too large for one statement is written at once instead.
    pub(crate) async fn push_stat_delta(
        conn: &mut DB::Connection,
        batch: &mut Batch<DB>,
        delta: &motcua_domain::stats::Delta,
    ) -> Result<()> {
        let s = crate::stats::StatSnapshot::of_delta(delta);
        let tables = counter_rows(&s);
        let rows: usize = tables.iter().map(|t| t.3.len()).sum::<usize>() + s.open.len();
        if rows <= ONE_STATEMENT_ROWS {
            Self::push_counters(batch, &tables, &s);
            return Ok(());
        }
        Self::write_counters_in_chunks(conn, &tables, &s).await
    }

    async fn write_counters_in_chunks(
        conn: &mut DB::Connection,
        tables: &[(&str, &str, Keyed, Vec<CounterRow<'_>>)],
        s: &crate::stats::StatSnapshot,
    ) -> Result<()> {
        for (table, period, keyed, rows) in tables {
            for chunk in rows.chunks(SNAPSHOT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("");
                Self::push_upsert(&mut qb, table, period, *keyed, chunk);
                qb.build().execute(&mut *conn).await?;
            }
        }
        let open: Vec<_> = s.open.iter().collect();
        for chunk in open.chunks(SNAPSHOT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new("");
            Self::push_open(&mut qb, chunk.iter().copied());
            qb.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Every counter table's upsert and the open-dossier rows sent at once (one [`Batch`]: on
    /// PostgreSQL each table appears once, so no row is changed twice by the statement).
    async fn write_counters_at_once(
        conn: &mut DB::Connection,
        tables: &[(&str, &str, Keyed, Vec<CounterRow<'_>>)],
        s: &crate::stats::StatSnapshot,
    ) -> Result<()> {
        let mut batch = Batch::new();
        Self::push_counters(&mut batch, tables, s);
        batch.execute(conn).await
    }

    /// The counter upserts of `tables` and the open-dossier rows of `s`, as parts of `batch`.
    fn push_counters(
        batch: &mut Batch<DB>,
        tables: &[(&str, &str, Keyed, Vec<CounterRow<'_>>)],
        s: &crate::stats::StatSnapshot,
    ) {
        for (table, period, keyed, rows) in tables.iter().filter(|t| !t.3.is_empty()) {
            Self::push_upsert(batch.part(), table, period, *keyed, rows);
            batch.end();
        }
        if !s.open.is_empty() {
            Self::push_open(batch.part(), s.open.iter());
            batch.end();
        }
    }

    /// `INSERT INTO <table> … ON CONFLICT … DO UPDATE` adding `rows` to a counter table.
    fn push_upsert(qb: &mut sqlx::QueryBuilder<DB>, table: &str, period: &str, keyed: Keyed, rows: &[CounterRow<'_>]) {
        qb.push(format!("INSERT INTO {table} ({period}, {}, {}) ", keyed.columns(), columns()));
        qb.push_values(rows, |mut b, (p, first, second, channel, counts)| {
            b.push_bind(*p).push_bind(first.to_string());
            if let Some(second) = second {
                b.push_bind(second.to_string());
            }
            b.push_bind(channel.to_string());
            for v in counts.0 {
                b.push_bind(v);
            }
        });
        let sets: Vec<String> = MEASURES.iter().map(|m| format!("{m} = {table}.{m} + excluded.{m}")).collect();
        qb.push(format!(" ON CONFLICT ({period}, {}) DO UPDATE SET {}", keyed.columns(), sets.join(", ")));
    }

    /// The open-dossier rows ((key, due day), count) added to `stat_open`.
    fn push_open<'a>(
        qb: &mut sqlx::QueryBuilder<DB>,
        rows: impl IntoIterator<Item = (&'a (motcua_domain::stats::CellKey, i32), &'a i64)>,
    ) {
        qb.push("INSERT INTO stat_open (org_code, procedure_code, channel, due_day, n) ");
        qb.push_values(rows, |mut b, ((key, due), n)| {
            b.push_bind(key.org.as_str().to_owned())
                .push_bind(key.procedure.as_str().to_owned())
                .push_bind(key.channel.as_str().to_owned())
                .push_bind(*due)
                .push_bind(*n);
        });
        qb.push(" ON CONFLICT (org_code, procedure_code, channel, due_day) DO UPDATE SET n = stat_open.n + excluded.n");
    }

    /// Applies a dossier's statistics delta inside the caller's transaction.
    pub(crate) async fn apply_stat_delta(conn: &mut DB::Connection, delta: &motcua_domain::stats::Delta) -> Result<()> {
        Self::write_stat_snapshot(conn, &crate::stats::StatSnapshot::of_delta(delta)).await
    }
}

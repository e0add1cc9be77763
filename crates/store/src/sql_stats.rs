//! [`StatsStore`] for both engines, written once as code generic over the engine (the `where`
//! clauses: see `sql_catalog.rs`): the dashboard's sums, the open dossiers, rebuilding the
//! counters. Writing counters (a dossier's delta, a snapshot) is `sql_stat_writes.rs`.

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::civil::Date;
use motcua_domain::stats::{self, CellKey, Counts, Delta, MEASURES, Measure, OpenNow};
use motcua_domain::workflow::{Channel, Dossier};
use motcua_domain::{OrgCode, ProcedureCode};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::sql_shared::{Column, Engine, SqlStore, corrupt, micros};
use crate::sql_stat_writes::{Keyed, columns};
use crate::stats::{Clock, StatGroup, StatQuery, StatRow, StatSnapshot, StatsStore};
use crate::{Result, StoreError};

pub(crate) fn parse_channel(s: &str) -> Result<Channel> {
    Channel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("kênh «{s}»")))
}

fn cell_key(org: &str, procedure: &str, channel: &str) -> Result<CellKey> {
    Ok(CellKey {
        org: OrgCode::parse(org).map_err(corrupt("mã cơ quan"))?,
        procedure: ProcedureCode::parse(procedure).map_err(corrupt("mã thủ tục"))?,
        channel: parse_channel(channel)?,
    })
}

/// An inclusive range of `yyyymmdd` days or `yyyymm` months.
pub(crate) type Span = (i32, i32);

/// What changes when a dossier goes from `old` to `new` (either may be absent).
pub(crate) fn dossier_delta(old: Option<&Dossier>, new: Option<&Dossier>) -> Delta {
    let o = old.map(stats::contribution);
    let n = new.map(stats::contribution);
    Delta::between(o.as_ref(), n.as_ref())
}

/// Day and month ranges covering `from..=to`: whole months from the monthly rows, the ragged
/// ends from the daily rows.
pub(crate) fn split_period(from: Date, to: Date) -> (Vec<Span>, Option<Span>) {
    let mut days = Vec::new();
    let mut months: Option<(i32, i32)> = None;
    let mut cursor = from;
    while cursor <= to {
        let month_end = cursor.last_of_month();
        if cursor.day() == 1 && month_end <= to {
            let m = stats::month_number(cursor);
            months = Some(months.map_or((m, m), |(a, _)| (a, m)));
        } else {
            let end = month_end.min(to);
            days.push((stats::day_number(cursor), stats::day_number(end)));
        }
        match month_end.tomorrow() {
            Ok(next) => cursor = next,
            Err(_) => break,
        }
    }
    (days, months)
}

fn group_expr(group: StatGroup, daily: bool) -> &'static str {
    match group {
        StatGroup::All => "''",
        StatGroup::Org => "c.org_code",
        StatGroup::Procedure => "c.procedure_code",
        StatGroup::Field => "p.field_code",
        StatGroup::Level => "p.level",
        StatGroup::Day => "CAST(c.day AS TEXT)",
        StatGroup::Month if daily => "CAST(c.day / 100 AS TEXT)",
        StatGroup::Month => "CAST(c.month AS TEXT)",
    }
}

fn needs_procedures(q: &StatQuery, group: StatGroup) -> bool {
    q.field.is_some() || q.level.is_some() || matches!(group, StatGroup::Field | StatGroup::Level)
}

/// The smallest counter table that answers: without the procedure when no procedure, field
/// or level is asked for; without the organisation when no organisation is.
fn keyed_for(q: &StatQuery, group: StatGroup) -> Keyed {
    if q.procedure.is_none() && !needs_procedures(q, group) && group != StatGroup::Procedure {
        Keyed::Org
    } else if q.orgs.is_none() && group != StatGroup::Org {
        Keyed::Procedure
    } else {
        Keyed::OrgAndProcedure
    }
}

/// The positions in [`Counts`] of the measures summed (every one for `None`;
/// [`Measure::Histogram`] stands for all its buckets).
fn measure_slots(measures: Option<&[Measure]>) -> Vec<usize> {
    match measures {
        None => (0..MEASURES.len()).collect(),
        Some(ms) => ms
            .iter()
            .flat_map(|m| match m {
                Measure::Histogram => (Measure::Histogram as usize..MEASURES.len()).collect::<Vec<_>>(),
                m => vec![*m as usize],
            })
            .collect(),
    }
}

fn sums_select(group: StatGroup, daily: bool, join: bool, keyed: Keyed, slots: &[usize]) -> String {
    let table = match (daily, keyed) {
        (true, Keyed::OrgAndProcedure) => "stat_days",
        (false, Keyed::OrgAndProcedure) => "stat_months",
        (true, Keyed::Org) => "stat_org_days",
        (false, Keyed::Org) => "stat_org_months",
        (true, Keyed::Procedure) => "stat_proc_days",
        (false, Keyed::Procedure) => "stat_proc_months",
    };
    let sums: Vec<String> = slots.iter().map(|i| format!("CAST(SUM(c.{}) AS BIGINT)", MEASURES[*i])).collect();
    format!(
        "SELECT {} AS g, c.channel, {} FROM {table} c{} WHERE 1 = 1",
        group_expr(group, daily),
        sums.join(", "),
        if join { " JOIN procedures p ON p.code = c.procedure_code" } else { "" }
    )
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
    /// `AND column IN (…)` for the organisations of `q`, if it names any.
    fn push_orgs(qb: &mut QueryBuilder<DB>, column: &str, q: &StatQuery) {
        if let Some(orgs) = &q.orgs {
            if orgs.is_empty() {
                qb.push(" AND 1 = 0");
            } else {
                qb.push(format!(" AND {column} IN ("));
                let mut sep = qb.separated(", ");
                for o in orgs {
                    sep.push_bind(o.as_str().to_owned());
                }
                qb.push(")");
            }
        }
    }

    /// `AND …` for the filters of `q` on rows aliased `c` (and `p` for procedures).
    fn push_filters(qb: &mut QueryBuilder<DB>, q: &StatQuery) {
        Self::push_orgs(qb, "c.org_code", q);
        if let Some(p) = &q.procedure {
            qb.push(" AND c.procedure_code = ").push_bind(p.as_str().to_owned());
        }
        if let Some(f) = &q.field {
            qb.push(" AND p.field_code = ").push_bind(f.as_str().to_owned());
        }
        if let Some(l) = &q.level {
            qb.push(" AND p.level = ").push_bind(l.clone());
        }
        if let Some(ch) = q.channel {
            qb.push(" AND c.channel = ").push_bind(ch.as_str());
        }
    }

    fn counts_from(r: &DB::Row, first: usize) -> Result<Counts> {
        let mut c = Counts::default();
        for (i, v) in c.0.iter_mut().enumerate() {
            *v = r.try_get::<Option<i64>, _>(first + i)?.unwrap_or(0);
        }
        Ok(c)
    }

    async fn recompute(conn: &mut <DB as sqlx::Database>::Connection) -> Result<StatSnapshot> {
        let mut snap = StatSnapshot::default();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT d.code, d.body, r.stars FROM dossiers d LEFT JOIN ratings r ON r.dossier_code = d.code
                 WHERE d.code > $1 ORDER BY d.code LIMIT 2000",
            )
            .bind(after.clone())
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get(0)?;
            for r in &rows {
                let d: Dossier = serde_json::from_str(r.try_get::<&str, _>(1)?).map_err(corrupt("hồ sơ"))?;
                let c = stats::contribution(&d);
                for (day, counts) in &c.days {
                    snap.add(&c.key, *day, counts);
                }
                if let Some(due) = c.open_due {
                    snap.add_open(&c.key, due, 1);
                }
                if let Some(stars) = r.try_get::<Option<i32>, _>(2)?
                    && let Some((key, day, counts)) = stats::rating_contribution(&d, u8::try_from(stars).unwrap_or(0))
                {
                    snap.add(&key, day, &counts);
                }
            }
        }
        Ok(snap.trimmed())
    }

    async fn sums_part(
        &self,
        q: &StatQuery,
        group: StatGroup,
        daily: bool,
        ranges: &[(i32, i32)],
        slots: &[usize],
        out: &mut HashMap<(String, Channel), Counts>,
    ) -> Result<()> {
        if ranges.is_empty() {
            return Ok(());
        }
        let join = needs_procedures(q, group);
        let mut qb = QueryBuilder::<DB>::new(sums_select(group, daily, join, keyed_for(q, group), slots));
        let col = if daily { "c.day" } else { "c.month" };
        qb.push(" AND (");
        for (i, (a, b)) in ranges.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(format!("{col} BETWEEN ")).push_bind(*a).push(" AND ").push_bind(*b);
        }
        qb.push(")");
        Self::push_filters(&mut qb, q);
        qb.push(" GROUP BY g, c.channel");
        for r in qb.build().fetch_all(&self.pool).await? {
            let g: String = r.try_get(0)?;
            let ch = parse_channel(r.try_get::<&str, _>(1)?)?;
            let mut c = Counts::default();
            for (col, slot) in slots.iter().enumerate() {
                c.0[*slot] = r.try_get::<Option<i64>, _>(2 + col)?.unwrap_or(0);
            }
            out.entry((g, ch)).or_default().add(&c);
        }
        Ok(())
    }

    async fn snapshot_of(
        &self,
        table: &str,
        period: &str,
    ) -> Result<std::collections::BTreeMap<(CellKey, i32), Counts>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {period}, org_code, procedure_code, channel, {} FROM {table}",
            columns()
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = std::collections::BTreeMap::new();
        for r in rows {
            let key = cell_key(r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)?;
            let c = Self::counts_from(&r, 4)?;
            if !c.is_zero() {
                out.insert((key, r.try_get::<i32, _>(0)?), c);
            }
        }
        Ok(out)
    }

    /// A table keyed by one code and the channel, with `parse` for the code.
    async fn snapshot_by<K: Ord>(
        &self,
        table: &str,
        period: &str,
        column: &str,
        parse: impl Fn(&str) -> Result<K>,
    ) -> Result<std::collections::BTreeMap<((K, Channel), i32), Counts>> {
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {period}, {column}, channel, {} FROM {table}", columns())))
                .fetch_all(&self.pool)
                .await?;
        let mut out = std::collections::BTreeMap::new();
        for r in rows {
            let code = parse(r.try_get::<&str, _>(1)?)?;
            let channel = parse_channel(r.try_get::<&str, _>(2)?)?;
            let c = Self::counts_from(&r, 3)?;
            if !c.is_zero() {
                out.insert(((code, channel), r.try_get::<i32, _>(0)?), c);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl<DB: Engine> StatsStore for SqlStore<DB>
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
    async fn stat_sums_of(
        &self,
        q: &StatQuery,
        group: StatGroup,
        measures: Option<&[Measure]>,
    ) -> Result<Vec<StatRow>> {
        let mut out = HashMap::new();
        let slots = measure_slots(measures);
        if q.from <= q.to {
            if group == StatGroup::Day {
                let all = [(stats::day_number(q.from), stats::day_number(q.to))];
                self.sums_part(q, group, true, &all, &slots, &mut out).await?;
            } else {
                let (days, months) = split_period(q.from, q.to);
                self.sums_part(q, group, true, &days, &slots, &mut out).await?;
                self.sums_part(q, group, false, months.as_slice(), &slots, &mut out).await?;
            }
        }
        let mut rows: Vec<StatRow> =
            out.into_iter().map(|((group, channel), counts)| StatRow { group, channel, counts }).collect();
        rows.sort_by(|a, b| (&a.group, a.channel).cmp(&(&b.group, b.channel)));
        Ok(rows)
    }

    async fn open_now(&self, q: &StatQuery, group: StatGroup, clock: &Clock) -> Result<Vec<(String, OpenNow)>> {
        let group = if matches!(group, StatGroup::Day | StatGroup::Month) { StatGroup::All } else { group };
        let join = needs_procedures(q, group);
        let today = stats::day_number(clock.today);
        let soon = stats::day_number(clock.soon_until);
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {} AS g, CAST(SUM(c.n) AS BIGINT),
               CAST(SUM(CASE WHEN c.due_day > 0 AND c.due_day < ",
            group_expr(group, false)
        ));
        qb.push_bind(today);
        qb.push(" THEN c.n ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN c.due_day >= ");
        qb.push_bind(today);
        qb.push(" AND c.due_day <= ");
        qb.push_bind(soon);
        qb.push(" THEN c.n ELSE 0 END) AS BIGINT) FROM stat_open c");
        if join {
            qb.push(" JOIN procedures p ON p.code = c.procedure_code");
        }
        qb.push(" WHERE 1 = 1");
        Self::push_filters(&mut qb, q);
        qb.push(" GROUP BY g");
        let mut out: HashMap<String, OpenNow> = HashMap::new();
        for r in qb.build().fetch_all(&self.pool).await? {
            let e = out.entry(r.try_get(0)?).or_default();
            e.open += r.try_get::<Option<i64>, _>(1)?.unwrap_or(0);
            e.overdue += r.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
            e.due_soon += r.try_get::<Option<i64>, _>(3)?.unwrap_or(0);
        }
        // Due today and already past the hour: overdue, counted on the dossiers (those waiting
        // somewhere: a linked application waits nowhere itself, its branches count).
        let g = match group {
            StatGroup::Org => "c.processing_org",
            StatGroup::Procedure => "c.procedure_code",
            other => group_expr(other, false),
        };
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {g} AS g, COUNT(*) FROM dossiers c{} WHERE c.finished_at IS NULL AND c.status <> 7 \
             AND c.waiting_org IS NOT NULL AND c.due_at >= ",
            if join { " JOIN procedures p ON p.code = c.procedure_code" } else { "" }
        ));
        qb.push_bind(micros(clock.today_start)).push(" AND c.due_at < ").push_bind(micros(clock.now));
        Self::push_orgs(&mut qb, "c.processing_org", q);
        let no_orgs = StatQuery { orgs: None, ..q.clone() };
        Self::push_filters(&mut qb, &no_orgs);
        qb.push(" GROUP BY g");
        for r in qb.build().fetch_all(&self.pool).await? {
            let n: i64 = r.try_get(1)?;
            let e = out.entry(r.try_get(0)?).or_default();
            e.overdue += n;
            e.due_soon -= n;
        }
        let mut rows: Vec<(String, OpenNow)> = out.into_iter().collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    }

    async fn documents_sent(&self, q: &StatQuery) -> Result<Vec<(OrgCode, i64)>> {
        let tz = motcua_domain::calendar::vietnam();
        let start = tz.to_timestamp(q.from.at(0, 0, 0, 0)).map_err(corrupt("ngày"))?;
        let end = match q.to.tomorrow() {
            Ok(d) => tz.to_timestamp(d.at(0, 0, 0, 0)).map_err(corrupt("ngày"))?,
            Err(_) => jiff::Timestamp::MAX,
        };
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT c.org_code, COUNT(*) FROM documents c WHERE c.direction = 'out' AND c.created_at >= ",
        );
        qb.push_bind(micros(start)).push(" AND c.created_at < ").push_bind(micros(end));
        let only_orgs =
            StatQuery { orgs: q.orgs.clone(), procedure: None, field: None, level: None, channel: None, ..q.clone() };
        Self::push_filters(&mut qb, &only_orgs);
        qb.push(" GROUP BY c.org_code ORDER BY c.org_code");
        let mut out = Vec::new();
        for r in qb.build().fetch_all(&self.pool).await? {
            out.push((OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?, r.try_get(1)?));
        }
        Ok(out)
    }

    async fn stat_snapshot(&self) -> Result<StatSnapshot> {
        let days = self.snapshot_of("stat_days", "day").await?;
        let months = self.snapshot_of("stat_months", "month").await?;
        let org = |s: &str| OrgCode::parse(s).map_err(corrupt("mã cơ quan"));
        let procedure = |s: &str| ProcedureCode::parse(s).map_err(corrupt("mã thủ tục"));
        let org_days = self.snapshot_by("stat_org_days", "day", "org_code", org).await?;
        let org_months = self.snapshot_by("stat_org_months", "month", "org_code", org).await?;
        let proc_days = self.snapshot_by("stat_proc_days", "day", "procedure_code", procedure).await?;
        let proc_months = self.snapshot_by("stat_proc_months", "month", "procedure_code", procedure).await?;
        let mut open = std::collections::BTreeMap::new();
        for r in sqlx::query("SELECT org_code, procedure_code, channel, due_day, n FROM stat_open WHERE n <> 0")
            .fetch_all(&self.pool)
            .await?
        {
            open.insert(
                (cell_key(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)?, r.try_get::<i32, _>(3)?),
                r.try_get::<i64, _>(4)?,
            );
        }
        Ok(StatSnapshot { days, months, org_days, org_months, proc_days, proc_months, open })
    }

    async fn recompute_stats(&self) -> Result<StatSnapshot> {
        let mut conn = self.pool.acquire().await?;
        Self::recompute(&mut conn).await
    }

    async fn rebuild_stats(&self) -> Result<u64> {
        // Recomputed and replaced in one write transaction, so no dossier change
        // slips between the two (SQLite: BEGIN IMMEDIATE; PostgreSQL: dossiers and
        // ratings locked against writers meanwhile).
        let mut tx = self.writer.begin().await?;
        if matches!(DB::BACKEND, crate::Backend::Postgres) {
            sqlx::query("LOCK TABLE dossiers, ratings IN SHARE MODE").execute(&mut *tx).await?;
        }
        let snap = Self::recompute(&mut tx).await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM dossiers").fetch_one(&mut *tx).await?.try_get(0)?;
        for table in crate::sql_stat_writes::COUNTER_TABLES.iter().map(|t| t.0).chain(["stat_open"]) {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
        }
        Self::write_stat_snapshot(&mut tx, &snap).await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('stats_built', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn add_stats(&self, snapshot: &StatSnapshot) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::write_stat_snapshot(&mut tx, snapshot).await?;
        tx.commit().await?;
        Ok(())
    }
}

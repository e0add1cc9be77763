//! The operations centre's counters: sums per day and month kept current with every dossier
//! change (see `motcua_domain::stats`), queried by period and filters, rebuilt from the
//! dossiers when needed.

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::stats::{CellKey, Counts, Delta, Measure, OpenNow};
use motcua_domain::workflow::Channel;
use motcua_domain::{FieldCode, OrgCode, ProcedureCode};

use crate::Result;

/// Which dossiers: a period (inclusive, Vietnam dates) and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatQuery {
    pub from: Date,
    pub to: Date,
    /// Processing organisations (an organisation and its children); `None`: all.
    pub orgs: Option<Vec<OrgCode>>,
    pub procedure: Option<ProcedureCode>,
    pub field: Option<FieldCode>,
    /// Procedure level: `central`, `province` or `commune`.
    pub level: Option<String>,
    pub channel: Option<Channel>,
}

/// How rows are grouped (always also by channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatGroup {
    All,
    Org,
    Procedure,
    Field,
    Level,
    /// `yyyymmdd`.
    Day,
    /// `yyyymm`.
    Month,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    /// The group's value (empty for [`StatGroup::All`]).
    pub group: String,
    pub channel: Channel,
    pub counts: Counts,
}

/// The clock for "open now": the current time, today's start and the last day counted as
/// "due soon" (the next working day), all in Vietnam time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: Timestamp,
    pub today: Date,
    pub today_start: Timestamp,
    pub soon_until: Date,
}

/// An organisation and a channel: the key of the rows without the procedure.
pub type OrgKey = (OrgCode, Channel);
/// A procedure and a channel: the key of the rows without the organisation.
pub type ProcKey = (ProcedureCode, Channel);

/// The counters as stored, or as recomputed from the dossiers: equal when all is well.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatSnapshot {
    pub days: BTreeMap<(CellKey, i32), Counts>,
    pub months: BTreeMap<(CellKey, i32), Counts>,
    /// The same sums without the procedure (what most dashboard queries read).
    pub org_days: BTreeMap<(OrgKey, i32), Counts>,
    pub org_months: BTreeMap<(OrgKey, i32), Counts>,
    /// And without the organisation (the province's figures by procedure, field or level).
    pub proc_days: BTreeMap<(ProcKey, i32), Counts>,
    pub proc_months: BTreeMap<(ProcKey, i32), Counts>,
    pub open: BTreeMap<(CellKey, i32), i64>,
}

impl StatSnapshot {
    /// Adds counters for a day (and its month, and both without the procedure).
    pub fn add(&mut self, key: &CellKey, day: i32, c: &Counts) {
        self.days.entry((key.clone(), day)).or_default().add(c);
        self.months.entry((key.clone(), day / 100)).or_default().add(c);
        let org = (key.org.clone(), key.channel);
        self.org_days.entry((org.clone(), day)).or_default().add(c);
        self.org_months.entry((org, day / 100)).or_default().add(c);
        let procedure = (key.procedure.clone(), key.channel);
        self.proc_days.entry((procedure.clone(), day)).or_default().add(c);
        self.proc_months.entry((procedure, day / 100)).or_default().add(c);
    }
    /// The rows a dossier's change adds (negative counters where it subtracts).
    pub fn of_delta(delta: &Delta) -> Self {
        let mut s = StatSnapshot::default();
        for (key, day, c) in &delta.cells {
            s.add(key, *day, c);
        }
        for (key, due, n) in &delta.open {
            s.add_open(key, *due, *n);
        }
        s.trimmed()
    }
    pub fn add_open(&mut self, key: &CellKey, due_day: i32, n: i64) {
        *self.open.entry((key.clone(), due_day)).or_default() += n;
    }
    /// Adds another snapshot's rows to these.
    pub fn merge(&mut self, other: StatSnapshot) {
        for (k, c) in other.days {
            self.days.entry(k).or_default().add(&c);
        }
        for (k, c) in other.months {
            self.months.entry(k).or_default().add(&c);
        }
        for (k, c) in other.org_days {
            self.org_days.entry(k).or_default().add(&c);
        }
        for (k, c) in other.org_months {
            self.org_months.entry(k).or_default().add(&c);
        }
        for (k, c) in other.proc_days {
            self.proc_days.entry(k).or_default().add(&c);
        }
        for (k, c) in other.proc_months {
            self.proc_months.entry(k).or_default().add(&c);
        }
        for (k, n) in other.open {
            *self.open.entry(k).or_default() += n;
        }
    }
    /// Without rows that sum to nothing.
    pub fn trimmed(mut self) -> Self {
        self.days.retain(|_, c| !c.is_zero());
        self.months.retain(|_, c| !c.is_zero());
        self.org_days.retain(|_, c| !c.is_zero());
        self.org_months.retain(|_, c| !c.is_zero());
        self.proc_days.retain(|_, c| !c.is_zero());
        self.proc_months.retain(|_, c| !c.is_zero());
        self.open.retain(|_, n| *n != 0);
        self
    }
}

#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Summed counters of the dossiers received (or ended) in the period, grouped.
    async fn stat_sums(&self, q: &StatQuery, group: StatGroup) -> Result<Vec<StatRow>> {
        self.stat_sums_of(q, group, None).await
    }
    /// As [`StatsStore::stat_sums`], summing only `measures` (the others are left at zero;
    /// `None`: every measure; [`Measure::Histogram`]: all its buckets): each summed column is most of what such a read costs on SQLite,
    /// so a chart that shows three measures does not pay for thirty-five.
    async fn stat_sums_of(&self, q: &StatQuery, group: StatGroup, measures: Option<&[Measure]>)
    -> Result<Vec<StatRow>>;
    /// Dossiers open now (the period of `q` is ignored), grouped by `group` (`Day` and
    /// `Month` are not groupings of open dossiers and count as `All`).
    async fn open_now(&self, q: &StatQuery, group: StatGroup, clock: &Clock) -> Result<Vec<(String, OpenNow)>>;
    /// Electronic documents sent per organisation in the period (for postage saved).
    async fn documents_sent(&self, q: &StatQuery) -> Result<Vec<(OrgCode, i64)>>;
    /// The counters as stored.
    async fn stat_snapshot(&self) -> Result<StatSnapshot>;
    /// The counters recomputed from every dossier and rating, nothing written.
    async fn recompute_stats(&self) -> Result<StatSnapshot>;
    /// Replaces the counters by a recomputation (after an upgrade or a restore); returns the
    /// dossiers counted.
    async fn rebuild_stats(&self) -> Result<u64>;
    /// Adds prepared counters in one transaction (bulk loads of synthetic data).
    async fn add_stats(&self, snapshot: &StatSnapshot) -> Result<()>;
}

//! The operations centre's headline, trend, ranking and centres read together. At five
//! million dossiers the page summed the year's counters once per view — the headline and the
//! trend by month, the ranking by organisation, the centres' month so far, every time all
//! thirty-five measures — and on SQLite each summed column of each row is what such a read
//! costs. Here the year is summed once by organisation (the ranking; the headline is its sum),
//! this month's part of it is the centres' month so far, the dossiers open now are read once by
//! organisation, and the trend sums only the three measures its chart draws.

use std::collections::{BTreeMap, HashMap};

use motcua_domain::stats::{Counts, Figures, Measure, OpenNow};
use motcua_domain::workflow::Channel;
use motcua_store::stats::{Clock, StatGroup, StatQuery};

use super::{ByKey, Centre, FigureRow, RankedOrg, Savings, Scope, Stats, StatsError, centres_of, grouped, month_start};

/// What the trend chart draws: dossiers received by channel and the on-time rate.
const TREND: [Measure; 3] = [Measure::Received, Measure::Finished, Measure::OnTime];

/// What the table by field shows: dossiers received (by channel), the on-time rate and the
/// average days (spent minutes over the dossiers in the histogram).
const FIELD_TABLE: [Measure; 5] =
    [Measure::Received, Measure::Finished, Measure::OnTime, Measure::SpentMinutes, Measure::Histogram];

/// What the operations centre shows of the counters.
#[derive(Debug, Clone, PartialEq)]
pub struct Operations {
    pub figures: Figures,
    pub savings: Savings,
    /// Per day or month: only the received dossiers (by channel), the finished and the
    /// on-time ones and the on-time rate are summed; the other figures are zero.
    pub trend: Vec<FigureRow>,
    pub ranking: Vec<RankedOrg>,
    pub centres: Vec<Centre>,
    /// By field, most received first: only what [`FIELD_TABLE`] sums, and no dossiers open.
    pub by_field: Vec<FigureRow>,
}

/// Two sums of disjoint periods, added key by key and channel by channel.
fn merged(a: ByKey, b: &ByKey) -> ByKey {
    let mut sums: BTreeMap<String, BTreeMap<Channel, Counts>> = BTreeMap::new();
    for (k, rows) in a.iter().chain(b.iter()) {
        for (ch, c) in rows {
            sums.entry(k.clone()).or_default().entry(*ch).or_default().add(c);
        }
    }
    sums.into_iter().map(|(k, by_channel)| (k, by_channel.into_iter().collect())).collect()
}

impl Stats {
    /// The headline, savings, trend, ranking and centres of the scope, equal to
    /// [`Stats::overview`], [`Stats::ranking`] and [`Stats::centres`] read apart (a test
    /// compares) with fewer and narrower reads of the counters.
    pub async fn operations(&self, scope: &Scope, clock: &Clock, monthly: bool) -> Result<Operations, StatsError> {
        let (q, tree) = self.query(scope).await?;
        let this_month = month_start(clock.today);
        // The period cut at the first of this month (when it falls inside), so this month's
        // sums by organisation are read on their own.
        let (before, current) = match this_month.yesterday() {
            Ok(last) if scope.from <= last && this_month <= scope.to => {
                (Some(StatQuery { to: last, ..q.clone() }), StatQuery { from: this_month, ..q.clone() })
            }
            _ => (None, q.clone()),
        };
        // The centres' month so far is this month's part when the scope runs from before it
        // to today; otherwise the centres are read apart.
        let centres_here = scope.from <= this_month && scope.to == clock.today;
        let today = StatQuery { from: clock.today, to: clock.today, ..q.clone() };
        let org_sums = |q: Option<StatQuery>| async move {
            match q {
                Some(q) => Ok::<_, StatsError>(grouped(self.counters.stat_sums(&q, StatGroup::Org).await?)),
                None => Ok(ByKey::new()),
            }
        };
        let trend_group = if monthly { StatGroup::Month } else { StatGroup::Day };
        let (before, current, on_today, trend, fields, open, procedures) = tokio::try_join!(
            org_sums(before),
            org_sums(Some(current)),
            org_sums(centres_here.then_some(today)),
            async { Ok::<_, StatsError>(self.counters.stat_sums_of(&q, trend_group, Some(&TREND)).await?) },
            async { Ok::<_, StatsError>(self.counters.stat_sums_of(&q, StatGroup::Field, Some(&FIELD_TABLE)).await?) },
            async { Ok::<_, StatsError>(self.counters.open_now(&q, StatGroup::Org, clock).await?) },
            async { Ok::<_, StatsError>(self.procedures().await?) },
        )?;
        let open: HashMap<String, OpenNow> = open.into_iter().collect();
        let mut open_total = OpenNow::default();
        for o in open.values() {
            open_total.open += o.open;
            open_total.overdue += o.overdue;
            open_total.due_soon += o.due_soon;
        }
        let by_org = merged(before, &current);
        let mut totals: BTreeMap<Channel, Counts> = BTreeMap::new();
        for (ch, c) in by_org.values().flatten() {
            totals.entry(*ch).or_default().add(c);
        }
        let by_channel: Vec<(Channel, Counts)> = totals.into_iter().collect();
        let savings = self.savings_from(scope, &by_channel).await?;
        let centres = if centres_here {
            centres_of(&tree, &open, &on_today, &current)
        } else {
            self.centres(scope, clock).await?
        };
        let labels = self.labels(super::By::Field, &tree).await?;
        let mut by_field: Vec<FigureRow> = grouped(fields)
            .into_iter()
            .map(|(key, counts)| FigureRow {
                label: labels.get(&key).cloned().unwrap_or_else(|| key.clone()),
                figures: Figures::compute(&counts, OpenNow::default()),
                key,
            })
            .collect();
        by_field.sort_by(|a, b| b.figures.received.cmp(&a.figures.received).then_with(|| a.key.cmp(&b.key)));
        Ok(Operations {
            figures: Figures::compute(&by_channel, open_total),
            savings,
            trend: super::series_rows(scope, monthly, grouped(trend)),
            ranking: self.rank(by_org, &open, &tree, &procedures),
            centres,
            by_field,
        })
    }
}

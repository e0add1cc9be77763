//! Statistics of the operations centre: what one dossier adds to the counters of its
//! organisation, procedure, channel and day, and the figures and the 766 index computed from
//! summed counters.
//!
//! A dossier's contribution is a pure function of its current state ([`contribution`]).
//! The store keeps the sums up to date by subtracting the old contribution and adding the
//! new one in the transaction that changes the dossier, so a dashboard sums a few thousand
//! rows instead of scanning millions of dossiers, and a recomputation from the dossiers
//! gives the same numbers.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::vietnam;
use crate::codes::{OrgCode, ProcedureCode};
use crate::workflow::{Channel, Dossier, PaidVia, Status};

/// Upper bounds (in days, inclusive) of the processing-time histogram; the last is open.
pub const HISTOGRAM_DAYS: [i64; 12] = [1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, i64::MAX];

/// One counter per measure, in this order (column names in the store).
pub const MEASURES: [&str; 35] = [
    // Dossiers received on the day (the cohort), by what became of them.
    "received",
    "in_progress",
    "done",
    "returned",
    "refused",
    "stopped",
    "withdrawn",
    "full_online",
    "fee_bearing",
    "paid",
    "cashless",
    "reused",
    "digitised",
    "supplemented",
    "rated",
    "stars",
    "apologised",
    // Dossiers whose processing ended on the day (766: done, returned, stopped or refused)
    // and that had an appointment.
    "finished",
    "on_time",
    "early",
    "late",
    "spent_minutes",
    "limit_minutes",
    "h1",
    "h2",
    "h3",
    "h5",
    "h7",
    "h10",
    "h15",
    "h20",
    "h30",
    "h45",
    "h60",
    "hmore",
];

/// Index of each measure in [`Counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Measure {
    Received,
    InProgress,
    Done,
    Returned,
    Refused,
    Stopped,
    Withdrawn,
    FullOnline,
    FeeBearing,
    Paid,
    Cashless,
    Reused,
    Digitised,
    Supplemented,
    Rated,
    Stars,
    Apologised,
    Finished,
    OnTime,
    Early,
    Late,
    SpentMinutes,
    LimitMinutes,
    /// First histogram bucket; the others follow.
    Histogram,
}

/// Additive counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts(pub [i64; MEASURES.len()]);

impl Default for Counts {
    fn default() -> Self {
        Counts([0; MEASURES.len()])
    }
}

impl Counts {
    pub fn get(&self, m: Measure) -> i64 {
        self.0[m as usize]
    }
    pub fn bump(&mut self, m: Measure, by: i64) {
        self.0[m as usize] += by;
    }
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
    pub fn sub(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a -= b;
        }
    }
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }
    pub fn histogram(&self) -> &[i64] {
        &self.0[Measure::Histogram as usize..]
    }
}

/// Where a dossier's counters go: the organisation processing it, its procedure, its
/// channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub org: OrgCode,
    pub procedure: ProcedureCode,
    pub channel: Channel,
}

/// A day as the integer `yyyymmdd` (Vietnam time), the key of daily rows.
pub fn day_number(d: Date) -> i32 {
    i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day())
}

/// A month as `yyyymm`.
pub fn month_number(d: Date) -> i32 {
    i32::from(d.year()) * 100 + i32::from(d.month())
}

pub fn vn_date(t: Timestamp) -> Date {
    t.to_zoned(vietnam()).date()
}

/// 00:00 of a day in Vietnam.
pub fn vietnam_midnight(d: Date) -> Timestamp {
    // A fixed UTC+7 offset: every civil time exists exactly once.
    vietnam().to_timestamp(d.at(0, 0, 0, 0)).unwrap_or(Timestamp::MIN)
}

/// What one dossier adds to the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub key: CellKey,
    /// Counters per day (at most two days: received, ended).
    pub days: Vec<(i32, Counts)>,
    /// Still open (not ended, not withdrawn): its due day `yyyymmdd`, 0 before reception.
    pub open_due: Option<i32>,
}

/// Whether the dossier is still being processed.
pub fn is_open(d: &Dossier) -> bool {
    d.finished_at.is_none() && d.status != Status::Withdrawn
}

/// 766: the end of processing compared with the appointment the applicant was given. An
/// apology moves the appointment but not the verdict: the original one counts. More than one
/// supplement request makes the dossier late.
pub fn appointment(d: &Dossier) -> Option<Timestamp> {
    d.original_due_at.or(d.due_at)
}

/// Handled entirely online (Decree 42/2022 Art. 11): submitted online, fees (if any) paid by
/// transfer, processed, the result returned electronically.
pub fn is_full_online(d: &Dossier) -> bool {
    let fee_ok = match &d.fee {
        Some(q) if q.total.amount() > 0 => d.paid_via == Some(PaidVia::Transfer),
        _ => true,
    };
    d.channel == Channel::Online && matches!(d.status, Status::Done | Status::Returned) && fee_ok
}

fn histogram_bucket(minutes: i64) -> usize {
    let days = (minutes + 1439).div_euclid(1440).max(0);
    HISTOGRAM_DAYS.iter().position(|b| days <= *b).unwrap_or(HISTOGRAM_DAYS.len() - 1)
}

/// The dossier's contribution in its current state. A linked application counts nothing
/// itself: each of its branches counts as its own procedure at its own organisation.
pub fn contribution(d: &Dossier) -> Contribution {
    let key = CellKey { org: d.processing_org.clone(), procedure: d.procedure.clone(), channel: d.channel };
    if d.group.is_some() {
        return Contribution { key, days: Vec::new(), open_due: None };
    }
    let mut cohort = Counts::default();
    cohort.bump(Measure::Received, 1);
    let state = match d.status {
        Status::Done => Measure::Done,
        Status::Returned => Measure::Returned,
        Status::NotAccepted => Measure::Refused,
        Status::Stopped => Measure::Stopped,
        Status::Withdrawn => Measure::Withdrawn,
        _ => Measure::InProgress,
    };
    cohort.bump(state, 1);
    if is_full_online(d) {
        cohort.bump(Measure::FullOnline, 1);
    }
    if d.fee.as_ref().is_some_and(|q| q.total.amount() > 0) {
        cohort.bump(Measure::FeeBearing, 1);
        if let Some(via) = d.paid_via {
            cohort.bump(Measure::Paid, 1);
            if via == PaidVia::Transfer {
                cohort.bump(Measure::Cashless, 1);
            }
        }
    }
    if d.reused_data {
        cohort.bump(Measure::Reused, 1);
    }
    if d.channel != Channel::InPerson || d.reused_data {
        cohort.bump(Measure::Digitised, 1);
    }
    if d.supplement_requests > 0 {
        cohort.bump(Measure::Supplemented, 1);
    }
    if d.apologised {
        cohort.bump(Measure::Apologised, 1);
    }
    let mut days = vec![(day_number(vn_date(d.submitted_at)), cohort)];
    if let (Some(end), Some(due)) = (d.finished_at, appointment(d)) {
        let mut ended = Counts::default();
        ended.bump(Measure::Finished, 1);
        let late = d.supplement_requests > 1 || end > due;
        if late {
            ended.bump(Measure::Late, 1);
        } else {
            ended.bump(Measure::OnTime, 1);
            if vn_date(end) < vn_date(due) {
                ended.bump(Measure::Early, 1);
            }
        }
        if let Some(start) = d.received_at {
            let spent = (end - start).get_seconds().div_euclid(60).max(0);
            let limit = (due - start).get_seconds().div_euclid(60).max(0);
            ended.bump(Measure::SpentMinutes, spent);
            ended.bump(Measure::LimitMinutes, limit);
            ended.0[Measure::Histogram as usize + histogram_bucket(spent)] += 1;
        }
        let day = day_number(vn_date(end));
        match days.iter_mut().find(|(d, _)| *d == day) {
            Some((_, c)) => c.add(&ended),
            None => days.push((day, ended)),
        }
    }
    let open_due = is_open(d).then(|| d.due_at.map_or(0, |t| day_number(vn_date(t))));
    Contribution { key, days, open_due }
}

/// A rating's counters: on the dossier's cell and day of receipt (none for a linked
/// application: its rating is the service's, kept with it, not a procedure's).
pub fn rating_contribution(d: &Dossier, stars: u8) -> Option<(CellKey, i32, Counts)> {
    if d.group.is_some() {
        return None;
    }
    let key = CellKey { org: d.processing_org.clone(), procedure: d.procedure.clone(), channel: d.channel };
    let mut c = Counts::default();
    c.bump(Measure::Rated, 1);
    c.bump(Measure::Stars, i64::from(stars));
    Some((key, day_number(vn_date(d.submitted_at)), c))
}

/// What changes in the sums when a dossier goes from `old` to `new`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    pub cells: Vec<(CellKey, i32, Counts)>,
    /// (cell, due day, +1 or -1) on the open-dossier counts.
    pub open: Vec<(CellKey, i32, i64)>,
}

impl Delta {
    pub fn between(old: Option<&Contribution>, new: Option<&Contribution>) -> Delta {
        let mut cells: Vec<(CellKey, i32, Counts)> = Vec::new();
        let mut put = |key: &CellKey, day: i32, c: &Counts, sign: i64| {
            let pos = cells.iter().position(|(k, d, _)| k == key && *d == day);
            let slot = match pos {
                Some(i) => &mut cells[i].2,
                None => {
                    cells.push((key.clone(), day, Counts::default()));
                    let last = cells.len() - 1;
                    &mut cells[last].2
                }
            };
            if sign > 0 { slot.add(c) } else { slot.sub(c) }
        };
        for (c, sign) in [(old, -1), (new, 1)] {
            if let Some(c) = c {
                for (day, counts) in &c.days {
                    put(&c.key, *day, counts, sign);
                }
            }
        }
        cells.retain(|(_, _, c)| !c.is_zero());
        let mut open = Vec::new();
        let o = old.and_then(|c| c.open_due.map(|d| (c.key.clone(), d)));
        let n = new.and_then(|c| c.open_due.map(|d| (c.key.clone(), d)));
        if o != n {
            if let Some((k, d)) = o {
                open.push((k, d, -1));
            }
            if let Some((k, d)) = n {
                open.push((k, d, 1));
            }
        }
        Delta { cells, open }
    }
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.open.is_empty()
    }
}

/// Dossiers open now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenNow {
    pub open: i64,
    /// Past their appointment.
    pub overdue: i64,
    /// Due before the end of the next working day and not yet overdue.
    pub due_soon: i64,
}

/// The figures a leader reads, computed from summed counters.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub received: i64,
    pub in_progress: i64,
    pub done: i64,
    pub returned: i64,
    pub refused: i64,
    pub stopped: i64,
    pub withdrawn: i64,
    pub received_in_person: i64,
    pub received_online: i64,
    pub received_post: i64,
    /// Online submissions ÷ received.
    pub online_share: Option<f64>,
    pub full_online: i64,
    /// Handled entirely online ÷ received.
    pub full_online_share: Option<f64>,
    pub fee_bearing: i64,
    pub paid: i64,
    pub cashless: i64,
    /// Paid by transfer ÷ paid.
    pub cashless_share: Option<f64>,
    pub reused: i64,
    pub digitised: i64,
    pub supplemented: i64,
    /// Dossiers with a supplement request ÷ received.
    pub supplement_rate: Option<f64>,
    pub apologised: i64,
    pub rated: i64,
    /// Mean stars (1–5).
    pub satisfaction: Option<f64>,
    /// Ended in the period with an appointment.
    pub finished: i64,
    pub on_time: i64,
    pub early: i64,
    pub late: i64,
    /// 766: (on time + early) ÷ finished.
    pub on_time_rate: Option<f64>,
    /// Mean processing time (reception to end), days.
    pub average_days: Option<f64>,
    /// Mean time allowed (reception to appointment), days.
    pub average_limit_days: Option<f64>,
    /// Half of the dossiers ended within this many days (histogram bound; `None` above 60).
    pub median_days_at_most: Option<i64>,
    /// 1 − time spent ÷ time allowed.
    pub time_saved_share: Option<f64>,
    pub histogram: Vec<HistogramBar>,
    pub open_now: OpenNow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HistogramBar {
    /// Upper bound in days (`None`: more than 60).
    pub up_to_days: Option<i64>,
    pub dossiers: i64,
}

pub fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Figures {
    /// `by_channel`: the counters split by channel (in person, online, post), summed.
    pub fn compute(by_channel: &[(Channel, Counts)], open_now: OpenNow) -> Figures {
        let mut t = Counts::default();
        let mut chan = [0i64; 3];
        for (ch, c) in by_channel {
            t.add(c);
            let i = match ch {
                Channel::InPerson => 0,
                Channel::Online => 1,
                Channel::Post => 2,
            };
            chan[i] += c.get(Measure::Received);
        }
        let g = |m| t.get(m);
        let finished = g(Measure::Finished);
        let hist = t.histogram();
        let timed: i64 = hist.iter().sum();
        let median = (timed > 0)
            .then(|| {
                let half = (timed + 1) / 2;
                let mut acc = 0;
                hist.iter().zip(HISTOGRAM_DAYS).find_map(|(n, b)| {
                    acc += n;
                    (acc >= half).then_some(b)
                })
            })
            .flatten()
            .filter(|b| *b != i64::MAX);
        Figures {
            received: g(Measure::Received),
            in_progress: g(Measure::InProgress),
            done: g(Measure::Done),
            returned: g(Measure::Returned),
            refused: g(Measure::Refused),
            stopped: g(Measure::Stopped),
            withdrawn: g(Measure::Withdrawn),
            received_in_person: chan[0],
            received_online: chan[1],
            received_post: chan[2],
            online_share: ratio(chan[1], g(Measure::Received)),
            full_online: g(Measure::FullOnline),
            full_online_share: ratio(g(Measure::FullOnline), g(Measure::Received)),
            fee_bearing: g(Measure::FeeBearing),
            paid: g(Measure::Paid),
            cashless: g(Measure::Cashless),
            cashless_share: ratio(g(Measure::Cashless), g(Measure::Paid)),
            reused: g(Measure::Reused),
            digitised: g(Measure::Digitised),
            supplemented: g(Measure::Supplemented),
            supplement_rate: ratio(g(Measure::Supplemented), g(Measure::Received)),
            apologised: g(Measure::Apologised),
            rated: g(Measure::Rated),
            satisfaction: ratio(g(Measure::Stars), g(Measure::Rated)),
            finished,
            on_time: g(Measure::OnTime),
            early: g(Measure::Early),
            late: g(Measure::Late),
            on_time_rate: ratio(g(Measure::OnTime), finished),
            average_days: ratio(g(Measure::SpentMinutes), timed * 1440),
            average_limit_days: ratio(g(Measure::LimitMinutes), timed * 1440),
            median_days_at_most: median,
            time_saved_share: ratio(g(Measure::LimitMinutes) - g(Measure::SpentMinutes), g(Measure::LimitMinutes)),
            histogram: hist
                .iter()
                .zip(HISTOGRAM_DAYS)
                .map(|(n, b)| HistogramBar { up_to_days: (b != i64::MAX).then_some(b), dossiers: *n })
                .collect(),
            open_now,
        }
    }
}

/// Weights and thresholds of the 766 index (Decision 766/QĐ-TTg), from configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexWeights {
    pub groups: Vec<IndexGroupWeights>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexGroupWeights {
    pub key: String,
    pub label: String,
    pub parts: Vec<IndexPartWeights>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexPartWeights {
    /// One of [`INDICATORS`].
    pub indicator: String,
    pub points: f64,
    /// The share that earns full points (points scale linearly below it).
    pub full_at: f64,
}

/// Sub-indicators motcua measures, with their Vietnamese names.
pub const INDICATORS: [(&str, &str); 11] = [
    ("published", "Thủ tục được công khai đầy đủ trên Cổng"),
    ("tracking", "Hồ sơ được theo dõi trực tuyến bằng mã hồ sơ"),
    ("on_time", "Hồ sơ giải quyết đúng hạn"),
    ("not_overdue", "Hồ sơ đang xử lý chưa quá hạn"),
    ("online_provision", "Thủ tục cung cấp dịch vụ công trực tuyến"),
    ("online_dossiers", "Hồ sơ nộp trực tuyến"),
    ("online_payment", "Hồ sơ thanh toán trực tuyến"),
    ("digitised", "Hồ sơ được số hóa"),
    ("reuse", "Hồ sơ tái sử dụng dữ liệu số hóa"),
    ("satisfaction", "Mức độ hài lòng (điểm đánh giá trung bình ÷ 5)"),
    ("full_online", "Hồ sơ xử lý trực tuyến toàn trình"),
];

impl Default for IndexWeights {
    /// Transparency 18, progress 20, digitisation and online service 44, satisfaction 18.
    /// How the 44 points split is not settled nationally: this split is a default to change.
    fn default() -> Self {
        let part = |indicator: &str, points: f64, full_at: f64| IndexPartWeights {
            indicator: indicator.to_owned(),
            points,
            full_at,
        };
        let group = |key: &str, label: &str, parts| IndexGroupWeights { key: key.into(), label: label.into(), parts };
        IndexWeights {
            groups: vec![
                group(
                    "transparency",
                    "Công khai, minh bạch",
                    vec![part("published", 9.0, 1.0), part("tracking", 9.0, 1.0)],
                ),
                group(
                    "progress",
                    "Tiến độ, kết quả giải quyết",
                    vec![part("on_time", 14.0, 1.0), part("not_overdue", 6.0, 1.0)],
                ),
                group(
                    "digital",
                    "Số hóa, cung cấp dịch vụ trực tuyến và thanh toán trực tuyến",
                    vec![
                        part("online_provision", 8.0, 0.8),
                        part("online_dossiers", 8.0, 0.5),
                        part("full_online", 6.0, 0.8),
                        part("online_payment", 8.0, 0.8),
                        part("digitised", 7.0, 0.8),
                        part("reuse", 7.0, 0.8),
                    ],
                ),
                group("satisfaction", "Mức độ hài lòng", vec![part("satisfaction", 18.0, 1.0)]),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Trọng số chỉ số 766 không hợp lệ: {0}")]
pub struct WeightsError(pub String);

impl IndexWeights {
    pub fn check(self) -> Result<Self, WeightsError> {
        let mut total = 0.0;
        for g in &self.groups {
            for p in &g.parts {
                if !INDICATORS.iter().any(|(k, _)| *k == p.indicator) {
                    return Err(WeightsError(format!("không có chỉ số «{}»", p.indicator)));
                }
                if !(p.points.is_finite() && p.points >= 0.0 && p.full_at > 0.0 && p.full_at <= 1.0) {
                    return Err(WeightsError(format!("điểm hoặc ngưỡng của «{}» sai", p.indicator)));
                }
                total += p.points;
            }
        }
        if (total - 100.0).abs() > 1e-6 {
            return Err(WeightsError(format!("tổng điểm phải là 100, đang là {total}")));
        }
        Ok(self)
    }
}

/// The measured shares an organisation's index is computed from (`None`: nothing to
/// measure, full points; the national portal scores an empty denominator as met).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndicatorValues {
    pub procedures: i64,
    pub procedures_online: i64,
}

pub fn indicator_value(key: &str, f: &Figures, v: &IndicatorValues) -> Option<f64> {
    match key {
        // Every procedure of the catalog is published with its components, fees, time limit
        // and legal basis (the catalog refuses it otherwise), and every dossier has a code
        // followed online: both are met by construction.
        "published" | "tracking" => Some(1.0),
        "on_time" => f.on_time_rate,
        "not_overdue" => ratio(f.open_now.open - f.open_now.overdue, f.open_now.open),
        "online_provision" => ratio(v.procedures_online, v.procedures),
        "online_dossiers" => f.online_share,
        "full_online" => f.full_online_share,
        "online_payment" => f.cashless_share,
        "digitised" => ratio(f.digitised, f.received),
        "reuse" => ratio(f.reused, f.received),
        "satisfaction" => f.satisfaction.map(|s| s / 5.0),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IndexScore {
    pub total: f64,
    pub groups: Vec<GroupScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupScore {
    pub key: String,
    pub label: String,
    pub points: f64,
    pub score: f64,
    pub parts: Vec<PartScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartScore {
    pub indicator: String,
    pub label: String,
    /// Measured share (`None`: nothing to measure in the period).
    pub value: Option<f64>,
    pub full_at: f64,
    pub points: f64,
    pub score: f64,
}

/// Rounds to two decimals, as the index is published.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn index(w: &IndexWeights, f: &Figures, v: &IndicatorValues) -> IndexScore {
    let groups: Vec<GroupScore> = w
        .groups
        .iter()
        .map(|g| {
            let parts: Vec<PartScore> = g
                .parts
                .iter()
                .map(|p| {
                    let value = indicator_value(&p.indicator, f, v);
                    let achieved = value.map_or(1.0, |x| (x / p.full_at).clamp(0.0, 1.0));
                    PartScore {
                        indicator: p.indicator.clone(),
                        label: INDICATORS.iter().find(|(k, _)| *k == p.indicator).map_or("", |(_, l)| l).to_owned(),
                        value,
                        full_at: p.full_at,
                        points: p.points,
                        score: round2(achieved * p.points),
                    }
                })
                .collect();
            GroupScore {
                key: g.key.clone(),
                label: g.label.clone(),
                points: parts.iter().map(|p| p.points).sum(),
                score: round2(parts.iter().map(|p| p.score).sum()),
                parts,
            }
        })
        .collect();
    IndexScore { total: round2(groups.iter().map(|g| g.score).sum()), groups }
}

#[cfg(test)]
mod tests;

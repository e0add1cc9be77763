//! The operations centre's figures, over the store's kept counters: filters from a request,
//! figures for a period, series, breakdowns, the 766 ranking, live counts per centre,
//! savings, and tables for CSV and XLSX export.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::calendar::WorkCalendar;
use motcua_domain::stats::{self, Counts, Figures, IndexScore, IndexWeights, IndicatorValues, OpenNow};
use motcua_domain::workflow::Channel;
use motcua_domain::{FieldCode, OnlineLevel, OrgCode, Organisation, Procedure, ProcedureCode, Vnd};
use motcua_store::stats::{Clock, StatGroup, StatQuery, StatRow, StatsStore};
use motcua_store::{CatalogStore, OrgFilter, Page, ProcedureFilter, StoreError};
use serde::{Deserialize, Serialize};

mod operations;
pub use operations::Operations;

/// Configuration of the operations centre.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsSettings {
    pub weights: IndexWeights,
    /// Postage an electronic document saves (default 7,000 ₫).
    pub postage_per_document: Vnd,
    /// Travel an online submission saves (default 50,000 ₫: a round trip to the desk).
    pub travel_per_dossier: Vnd,
}

impl Default for StatsSettings {
    fn default() -> Self {
        Self {
            weights: IndexWeights::default(),
            postage_per_document: Vnd::new(7_000).unwrap_or(Vnd::ZERO),
            travel_per_dossier: Vnd::new(50_000).unwrap_or(Vnd::ZERO),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    BadFilter(String),
}

/// Filters as they come in a query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Từ ngày (dd/mm/yyyy hoặc yyyy-mm-dd); mặc định: đầu năm nay.
    pub from: Option<String>,
    /// Đến ngày (bao gồm); mặc định: hôm nay.
    pub to: Option<String>,
    /// Cơ quan (cùng các cơ quan trực thuộc).
    pub org: Option<String>,
    pub procedure: Option<String>,
    /// Lĩnh vực (mã hoặc tên).
    pub field: Option<String>,
    /// Cấp thủ tục: central, province, commune.
    pub level: Option<String>,
    /// Kênh: in_person, online, post.
    pub channel: Option<String>,
    /// Nhóm theo (bảng phân tích): org, procedure, field, level, channel; chuỗi thời gian: day, month.
    pub by: Option<String>,
    /// json (mặc định), csv hoặc xlsx.
    pub format: Option<String>,
}

/// The period and filters, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scope {
    #[schema(value_type = String)]
    pub from: Date,
    #[schema(value_type = String)]
    pub to: Date,
    #[schema(value_type = Option<String>)]
    pub org: Option<OrgCode>,
    #[schema(value_type = Option<String>)]
    pub procedure: Option<ProcedureCode>,
    #[schema(value_type = Option<String>)]
    pub field: Option<FieldCode>,
    pub level: Option<String>,
    pub channel: Option<Channel>,
}

pub fn today() -> Date {
    stats::vn_date(Timestamp::now())
}

pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let mut it = s.split('/');
    let (d, m, y) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    if it.next().is_some() {
        return None;
    }
    Date::new(y, m, d).ok()
}

/// Longest period one request may ask for (ten years).
const MAX_DAYS: i32 = 3660;

impl StatsParams {
    pub fn scope(&self) -> Result<Scope, StatsError> {
        let today = today();
        let date = |v: &Option<String>, what: &str, default: Date| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => parse_date(s).ok_or_else(|| {
                StatsError::BadFilter(format!("{what} «{s}» không đúng dạng dd/mm/yyyy hoặc yyyy-mm-dd"))
            }),
        };
        let start_of_year = Date::new(today.year(), 1, 1).unwrap_or(today);
        let from = date(&self.from, "Ngày bắt đầu", start_of_year)?;
        let to = date(&self.to, "Ngày kết thúc", today)?;
        if from > to {
            return Err(StatsError::BadFilter("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc".into()));
        }
        if (to - from).get_days() > MAX_DAYS {
            return Err(StatsError::BadFilter("Khoảng thời gian tối đa là 10 năm".into()));
        }
        let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let bad = |what: &str, v: &str| StatsError::BadFilter(format!("{what} «{v}» không hợp lệ"));
        let org = some(&self.org).map(|v| OrgCode::parse(&v).map_err(|_| bad("Mã cơ quan", &v))).transpose()?;
        let procedure =
            some(&self.procedure).map(|v| ProcedureCode::parse(&v).map_err(|_| bad("Mã thủ tục", &v))).transpose()?;
        let field = some(&self.field).map(|v| FieldCode::parse(&v).map_err(|_| bad("Lĩnh vực", &v))).transpose()?;
        let level = some(&self.level)
            .map(|v| match v.as_str() {
                "central" | "province" | "commune" => Ok(v),
                _ => Err(bad("Cấp thủ tục (central, province, commune)", &v)),
            })
            .transpose()?;
        let channel = some(&self.channel)
            .map(|v| Channel::parse(&v).ok_or_else(|| bad("Kênh (in_person, online, post)", &v)))
            .transpose()?;
        Ok(Scope { from, to, org, procedure, field, level, channel })
    }
}

/// Organisations, with their children, as the dashboard needs them.
pub struct OrgTree {
    pub orgs: Vec<Organisation>,
    children: HashMap<OrgCode, Vec<OrgCode>>,
}

impl OrgTree {
    pub async fn load(store: &dyn CatalogStore) -> Result<Self, StoreError> {
        let orgs = store.list_organisations(&OrgFilter::default(), Page::all()).await?.items;
        let mut children: HashMap<OrgCode, Vec<OrgCode>> = HashMap::new();
        for o in &orgs {
            if let Some(p) = &o.parent {
                children.entry(p.clone()).or_default().push(o.code.clone());
            }
        }
        Ok(Self { orgs, children })
    }
    /// The organisation and everything under it.
    pub fn subtree(&self, root: &OrgCode) -> Vec<OrgCode> {
        let mut out = vec![root.clone()];
        let mut i = 0;
        while i < out.len() {
            if let Some(c) = self.children.get(&out[i]) {
                out.extend(c.iter().filter(|c| !out.contains(c)).cloned().collect::<Vec<_>>());
            }
            i += 1;
        }
        out
    }
    pub fn name(&self, code: &str) -> String {
        self.orgs.iter().find(|o| o.code.as_str() == code).map_or_else(|| code.to_owned(), |o| o.name.to_string())
    }
}

/// The figures of one request (or one bench): the organisations and the catalog are read
/// once, when first needed.
/// The figures' service. It asks the store for two roles only: the catalog (organisations and
/// procedures, to scope and name the figures) and the statistics' counters.
pub struct Stats {
    catalog: Arc<dyn CatalogStore>,
    counters: Arc<dyn StatsStore>,
    settings: StatsSettings,
    tree: tokio::sync::OnceCell<Arc<OrgTree>>,
    procedures: tokio::sync::OnceCell<Arc<Vec<Procedure>>>,
}

/// One row of a breakdown or series.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FigureRow {
    pub key: String,
    pub label: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankedOrg {
    pub rank: usize,
    #[schema(value_type = String)]
    pub org: OrgCode,
    pub name: String,
    pub received: i64,
    pub finished: i64,
    pub index: IndexScore,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Centre {
    #[schema(value_type = String)]
    pub org: OrgCode,
    pub name: String,
    pub open_now: OpenNow,
    pub received_today: i64,
    pub finished_today: i64,
    pub on_time_rate_month: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Savings {
    pub documents_sent: i64,
    pub postage_per_document: i64,
    pub postage_saved: i64,
    pub online_dossiers: i64,
    pub travel_per_dossier: i64,
    pub travel_saved: i64,
    pub total_saved: i64,
}

fn by_channel(rows: &[StatRow]) -> Vec<(Channel, Counts)> {
    rows.iter().map(|r| (r.channel, r.counts)).collect()
}

/// Rows grouped by their group value.
fn grouped(rows: Vec<StatRow>) -> ByKey {
    let mut out: BTreeMap<String, Vec<(Channel, Counts)>> = BTreeMap::new();
    for r in rows {
        out.entry(r.group).or_default().push((r.channel, r.counts));
    }
    out
}

/// The first day of the month of `day`.
pub fn month_start(day: Date) -> Date {
    Date::new(day.year(), day.month(), 1).unwrap_or(day)
}

/// Counters by key, each with its rows by channel.
pub(crate) type ByKey = BTreeMap<String, Vec<(Channel, Counts)>>;

/// The centres' rows: every organisation with dossiers open, received today or this month,
/// most open first.
fn centres_of(tree: &OrgTree, open: &HashMap<String, OpenNow>, today: &ByKey, month: &ByKey) -> Vec<Centre> {
    let mut keys: Vec<&String> = open.keys().chain(today.keys()).chain(month.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let Ok(org) = OrgCode::parse(k) else { continue };
        let t = Figures::compute(today.get(k).map_or(&[][..], |v| v.as_slice()), OpenNow::default());
        let m = Figures::compute(month.get(k).map_or(&[][..], |v| v.as_slice()), OpenNow::default());
        out.push(Centre {
            name: tree.name(k),
            org,
            open_now: open.get(k).copied().unwrap_or_default(),
            received_today: t.received,
            finished_today: t.finished,
            on_time_rate_month: m.on_time_rate,
        });
    }
    out.sort_by(|a, b| b.open_now.open.cmp(&a.open_now.open).then_with(|| a.org.cmp(&b.org)));
    out
}

/// Every day or month of the scope's period in order, empty ones too, from counters grouped
/// by period.
fn series_rows(scope: &Scope, monthly: bool, mut rows: ByKey) -> Vec<FigureRow> {
    let mut out = Vec::new();
    let mut d = scope.from;
    loop {
        let key = if monthly { stats::month_number(d).to_string() } else { stats::day_number(d).to_string() };
        let label = if monthly {
            format!("{:02}/{}", d.month(), d.year())
        } else {
            format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
        };
        if out.last().is_none_or(|r: &FigureRow| r.key != key) {
            let counts = rows.remove(&key).unwrap_or_default();
            out.push(FigureRow { key, label, figures: Figures::compute(&counts, OpenNow::default()) });
        }
        let next = if monthly { d.last_of_month().tomorrow() } else { d.tomorrow() };
        match next {
            Ok(n) if n <= scope.to => d = n,
            _ => break,
        }
    }
    out
}

pub fn clock(calendar: &WorkCalendar, now: Timestamp) -> Clock {
    let today = stats::vn_date(now);
    let mut soon = today;
    for _ in 0..15 {
        match soon.tomorrow() {
            Ok(next) => soon = next,
            Err(_) => break,
        }
        if calendar.is_working_day(soon).unwrap_or(true) {
            break;
        }
    }
    Clock { now, today, today_start: stats::vietnam_midnight(today), soon_until: soon }
}

impl Stats {
    /// `catalog` and `counters` are usually the same store (`Arc<dyn Store>` gives both).
    pub fn new(catalog: Arc<dyn CatalogStore>, counters: Arc<dyn StatsStore>, settings: StatsSettings) -> Self {
        Self { catalog, counters, settings, tree: Default::default(), procedures: Default::default() }
    }

    pub async fn tree(&self) -> Result<Arc<OrgTree>, StoreError> {
        self.tree.get_or_try_init(|| async { OrgTree::load(&*self.catalog).await.map(Arc::new) }).await.cloned()
    }

    pub async fn procedures(&self) -> Result<Arc<Vec<Procedure>>, StoreError> {
        self.procedures
            .get_or_try_init(|| async {
                let all = self.catalog.list_procedures(&ProcedureFilter::default(), Page::all()).await?;
                Ok(Arc::new(all.items))
            })
            .await
            .cloned()
    }

    pub async fn query(&self, scope: &Scope) -> Result<(StatQuery, Arc<OrgTree>), StatsError> {
        let tree = self.tree().await?;
        let orgs = match &scope.org {
            Some(o) if tree.orgs.iter().any(|x| &x.code == o) => Some(tree.subtree(o)),
            Some(o) => return Err(StatsError::BadFilter(format!("Không có cơ quan {o}"))),
            None => None,
        };
        let q = StatQuery {
            from: scope.from,
            to: scope.to,
            orgs,
            procedure: scope.procedure.clone(),
            field: scope.field.clone(),
            level: scope.level.clone(),
            channel: scope.channel,
        };
        Ok((q, tree))
    }

    /// Every figure for the scope, with the dossiers open now.
    pub async fn summary(&self, scope: &Scope, clock: &Clock) -> Result<Figures, StatsError> {
        let (by_channel, open) = self.totals(scope, clock).await?;
        Ok(Figures::compute(&by_channel, open))
    }

    /// The scope's counters summed by channel, and the dossiers open now.
    async fn totals(&self, scope: &Scope, clock: &Clock) -> Result<(Vec<(Channel, Counts)>, OpenNow), StatsError> {
        let (q, _) = self.query(scope).await?;
        let rows = self.counters.stat_sums(&q, StatGroup::All).await?;
        let open = self.counters.open_now(&q, StatGroup::All, clock).await?;
        Ok((by_channel(&rows), open.into_iter().map(|(_, o)| o).next().unwrap_or_default()))
    }

    /// The summary and the savings from one read of the counters (by channel): what the API's
    /// summary answers.
    pub async fn summary_and_savings(&self, scope: &Scope, clock: &Clock) -> Result<(Figures, Savings), StatsError> {
        let (by_channel, open) = self.totals(scope, clock).await?;
        let savings = self.savings_from(scope, &by_channel).await?;
        Ok((Figures::compute(&by_channel, open), savings))
    }

    /// Figures per day or month of the period (every day or month present, empty ones too).
    pub async fn series(&self, scope: &Scope, monthly: bool) -> Result<Vec<FigureRow>, StatsError> {
        let (q, _) = self.query(scope).await?;
        let group = if monthly { StatGroup::Month } else { StatGroup::Day };
        Ok(series_rows(scope, monthly, grouped(self.counters.stat_sums(&q, group).await?)))
    }

    /// Figures per organisation, procedure, field, level or channel.
    pub async fn breakdown(&self, scope: &Scope, by: By, clock: &Clock) -> Result<Vec<FigureRow>, StatsError> {
        let (q, tree) = self.query(scope).await?;
        let channel_split = by == By::Channel;
        let sum_group = by.group();
        let rows = self.counters.stat_sums(&q, sum_group).await?;
        let open: HashMap<String, OpenNow> = self.counters.open_now(&q, sum_group, clock).await?.into_iter().collect();
        let mut groups: BTreeMap<String, Vec<(Channel, Counts)>> = BTreeMap::new();
        if channel_split {
            for r in rows {
                groups.entry(r.channel.as_str().to_owned()).or_default().push((r.channel, r.counts));
            }
        } else {
            groups = grouped(rows);
        }
        let labels = self.labels(by, &tree).await?;
        let mut out: Vec<FigureRow> = groups
            .into_iter()
            .map(|(key, counts)| {
                let open_now =
                    if channel_split { OpenNow::default() } else { open.get(&key).copied().unwrap_or_default() };
                FigureRow {
                    label: labels.get(&key).cloned().unwrap_or_else(|| key.clone()),
                    figures: Figures::compute(&counts, open_now),
                    key,
                }
            })
            .collect();
        out.sort_by(|a, b| b.figures.received.cmp(&a.figures.received).then_with(|| a.key.cmp(&b.key)));
        Ok(out)
    }

    async fn labels(&self, by: By, tree: &OrgTree) -> Result<HashMap<String, String>, StatsError> {
        Ok(match by {
            By::Org => tree.orgs.iter().map(|o| (o.code.to_string(), o.name.to_string())).collect(),
            By::Procedure | By::Field => {
                let all = self.procedures().await?;
                if by == By::Procedure {
                    all.iter().map(|p| (p.code.to_string(), p.name.to_string())).collect()
                } else {
                    all.iter().map(|p| (p.field.code.to_string(), p.field.name.to_string())).collect()
                }
            }
            By::Level => [("central", "Trung ương"), ("province", "Cấp tỉnh"), ("commune", "Cấp xã")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            By::Channel => [("in_person", "Trực tiếp"), ("online", "Trực tuyến"), ("post", "Bưu chính")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }

    /// The 766 index of every organisation with dossiers in the scope, best first.
    pub async fn ranking(&self, scope: &Scope, clock: &Clock) -> Result<Vec<RankedOrg>, StatsError> {
        let (q, tree) = self.query(scope).await?;
        let rows = grouped(self.counters.stat_sums(&q, StatGroup::Org).await?);
        let open: HashMap<String, OpenNow> =
            self.counters.open_now(&q, StatGroup::Org, clock).await?.into_iter().collect();
        let procedures = self.procedures().await?;
        Ok(self.rank(rows, &open, &tree, &procedures))
    }

    /// The ranking from counters summed by organisation and the dossiers open in each.
    fn rank(
        &self,
        rows: BTreeMap<String, Vec<(Channel, Counts)>>,
        open: &HashMap<String, OpenNow>,
        tree: &OrgTree,
        procedures: &[Procedure],
    ) -> Vec<RankedOrg> {
        let mut offered: HashMap<&str, (i64, i64)> = HashMap::new();
        for p in procedures {
            for o in &p.organisations {
                let e = offered.entry(o.as_str()).or_default();
                e.0 += 1;
                if p.online != OnlineLevel::None {
                    e.1 += 1;
                }
            }
        }
        let mut out: Vec<RankedOrg> = Vec::new();
        for (org, counts) in rows {
            let Ok(code) = OrgCode::parse(&org) else { continue };
            let f = Figures::compute(&counts, open.get(&org).copied().unwrap_or_default());
            if f.received == 0 && f.finished == 0 {
                continue;
            }
            let (procedures, procedures_online) = offered.get(org.as_str()).copied().unwrap_or_default();
            let index = stats::index(&self.settings.weights, &f, &IndicatorValues { procedures, procedures_online });
            out.push(RankedOrg {
                rank: 0,
                name: tree.name(&org),
                org: code,
                received: f.received,
                finished: f.finished,
                index,
            });
        }
        out.sort_by(|a, b| b.index.total.total_cmp(&a.index.total).then_with(|| a.org.cmp(&b.org)));
        for (i, r) in out.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        out
    }

    /// Live counts of every organisation that handles dossiers (in the filters' scope).
    pub async fn centres(&self, scope: &Scope, clock: &Clock) -> Result<Vec<Centre>, StatsError> {
        let (q, tree) = self.query(scope).await?;
        let open: HashMap<String, OpenNow> =
            self.counters.open_now(&q, StatGroup::Org, clock).await?.into_iter().collect();
        let today_q = StatQuery { from: clock.today, to: clock.today, ..q.clone() };
        let today = grouped(self.counters.stat_sums(&today_q, StatGroup::Org).await?);
        let month_q = StatQuery { from: month_start(clock.today), to: clock.today, ..q.clone() };
        let month = grouped(self.counters.stat_sums(&month_q, StatGroup::Org).await?);
        Ok(centres_of(&tree, &open, &today, &month))
    }

    pub async fn savings(&self, scope: &Scope) -> Result<Savings, StatsError> {
        let (q, _) = self.query(scope).await?;
        let documents_sent = self.documents_sent(&q).await?;
        let online_q = StatQuery { channel: Some(Channel::Online), ..q };
        let online_dossiers: i64 = self
            .counters
            .stat_sums(&online_q, StatGroup::All)
            .await?
            .iter()
            .map(|r| r.counts.get(stats::Measure::Received))
            .sum();
        Ok(self.savings_of(documents_sent, online_dossiers))
    }

    /// The savings with the online dossiers taken from counters already read by channel
    /// (read again only when the scope's channel filter left the online ones out).
    async fn savings_from(&self, scope: &Scope, by_channel: &[(Channel, Counts)]) -> Result<Savings, StatsError> {
        if scope.channel.is_some_and(|c| c != Channel::Online) {
            return self.savings(scope).await;
        }
        let (q, _) = self.query(scope).await?;
        let documents_sent = self.documents_sent(&q).await?;
        let online_dossiers = by_channel
            .iter()
            .filter(|(c, _)| *c == Channel::Online)
            .map(|(_, counts)| counts.get(stats::Measure::Received))
            .sum();
        Ok(self.savings_of(documents_sent, online_dossiers))
    }

    async fn documents_sent(&self, q: &StatQuery) -> Result<i64, StatsError> {
        Ok(self.counters.documents_sent(q).await?.iter().map(|(_, n)| n).sum())
    }

    fn savings_of(&self, documents_sent: i64, online_dossiers: i64) -> Savings {
        let postage = self.settings.postage_per_document.amount();
        let travel = self.settings.travel_per_dossier.amount();
        let postage_saved = documents_sent.saturating_mul(postage);
        let travel_saved = online_dossiers.saturating_mul(travel);
        Savings {
            documents_sent,
            postage_per_document: postage,
            postage_saved,
            online_dossiers,
            travel_per_dossier: travel,
            travel_saved,
            total_saved: postage_saved.saturating_add(travel_saved),
        }
    }
}

/// What a breakdown is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Org,
    Procedure,
    Field,
    Level,
    Channel,
}

impl By {
    pub fn parse(s: Option<&str>) -> Result<By, StatsError> {
        match s.map(str::trim).unwrap_or("org") {
            "org" | "" => Ok(By::Org),
            "procedure" => Ok(By::Procedure),
            "field" => Ok(By::Field),
            "level" => Ok(By::Level),
            "channel" => Ok(By::Channel),
            other => Err(StatsError::BadFilter(format!(
                "Nhóm theo «{other}» không hợp lệ (org, procedure, field, level, channel)"
            ))),
        }
    }
    fn group(self) -> StatGroup {
        match self {
            By::Org => StatGroup::Org,
            By::Procedure => StatGroup::Procedure,
            By::Field => StatGroup::Field,
            By::Level => StatGroup::Level,
            By::Channel => StatGroup::All,
        }
    }
    pub fn header(self) -> &'static str {
        match self {
            By::Org => "Cơ quan",
            By::Procedure => "Thủ tục",
            By::Field => "Lĩnh vực",
            By::Level => "Cấp",
            By::Channel => "Kênh",
        }
    }
}

pub use crate::export::{Cell, Table};

/// The columns of a figures table after the key and label.
pub fn figure_headers() -> Vec<String> {
    [
        "Tiếp nhận",
        "Đang xử lý",
        "Đã giải quyết",
        "Đã trả kết quả",
        "Từ chối",
        "Dừng xử lý",
        "Rút hồ sơ",
        "Trực tuyến (%)",
        "Toàn trình (%)",
        "Không dùng tiền mặt (%)",
        "Đã kết thúc",
        "Đúng hạn",
        "Trễ hạn",
        "Tỷ lệ đúng hạn (%)",
        "Thời gian TB (ngày)",
        "Trung vị ≤ (ngày)",
        "Tiết kiệm thời gian (%)",
        "Hài lòng (sao TB)",
        "Yêu cầu bổ sung (%)",
        "Xin lỗi",
        "Quá hạn hiện tại",
        "Đến hạn trong 1 ngày",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

pub fn figure_cells(f: &Figures) -> Vec<Cell> {
    vec![
        Cell::Int(f.received),
        Cell::Int(f.in_progress),
        Cell::Int(f.done),
        Cell::Int(f.returned),
        Cell::Int(f.refused),
        Cell::Int(f.stopped),
        Cell::Int(f.withdrawn),
        Cell::Share(f.online_share),
        Cell::Share(f.full_online_share),
        Cell::Share(f.cashless_share),
        Cell::Int(f.finished),
        Cell::Int(f.on_time),
        Cell::Int(f.late),
        Cell::Share(f.on_time_rate),
        Cell::Number(f.average_days),
        Cell::Number(f.median_days_at_most.map(|d| d as f64)),
        Cell::Share(f.time_saved_share),
        Cell::Number(f.satisfaction),
        Cell::Share(f.supplement_rate),
        Cell::Int(f.apologised),
        Cell::Int(f.open_now.overdue),
        Cell::Int(f.open_now.due_soon),
    ]
}

pub fn figure_table(title: &str, key_header: &str, rows: &[FigureRow]) -> Table {
    let mut headers = vec!["Mã".to_owned(), key_header.to_owned()];
    headers.extend(figure_headers());
    Table {
        title: title.to_owned(),
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut cells = vec![Cell::Text(r.key.clone()), Cell::Text(r.label.clone())];
                cells.extend(figure_cells(&r.figures));
                cells
            })
            .collect(),
    }
}

pub fn ranking_table(rows: &[RankedOrg]) -> Table {
    let mut headers = vec!["Hạng".to_owned(), "Mã cơ quan".to_owned(), "Cơ quan".to_owned(), "Tổng điểm".to_owned()];
    let groups: Vec<String> =
        rows.first().map(|r| r.index.groups.iter().map(|g| g.label.clone()).collect()).unwrap_or_default();
    headers.extend(groups);
    headers.push("Tiếp nhận".into());
    headers.push("Đã kết thúc".into());
    Table {
        title: "Chỉ số 766".into(),
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut cells = vec![
                    Cell::Int(r.rank as i64),
                    Cell::Text(r.org.to_string()),
                    Cell::Text(r.name.clone()),
                    Cell::Number(Some(r.index.total)),
                ];
                cells.extend(r.index.groups.iter().map(|g| Cell::Number(Some(g.score))));
                cells.push(Cell::Int(r.received));
                cells.push(Cell::Int(r.finished));
                cells
            })
            .collect(),
    }
}

pub fn centres_table(rows: &[Centre]) -> Table {
    Table {
        title: "Trung tâm".into(),
        headers: [
            "Mã cơ quan",
            "Cơ quan",
            "Đang xử lý",
            "Quá hạn",
            "Đến hạn trong 1 ngày",
            "Tiếp nhận hôm nay",
            "Kết thúc hôm nay",
            "Đúng hạn tháng này (%)",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect(),
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(c.org.to_string()),
                    Cell::Text(c.name.clone()),
                    Cell::Int(c.open_now.open),
                    Cell::Int(c.open_now.overdue),
                    Cell::Int(c.open_now.due_soon),
                    Cell::Int(c.received_today),
                    Cell::Int(c.finished_today),
                    Cell::Share(c.on_time_rate_month),
                ]
            })
            .collect(),
    }
}

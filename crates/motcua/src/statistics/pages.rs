//! `/ioc`: the operations centre on one page — headline figures, trend charts drawn here as
//! SVG (no script from elsewhere), the 766 ranking, every centre's live counts, and a small
//! script of ours that refreshes the figures when the server says dossiers changed.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use motcua_domain::money::group_thousands;
use motcua_domain::stats::Figures;

use crate::app::AppState;
use crate::statistics::figures::{Centre, FigureRow, RankedOrg, Savings, StatsError, StatsParams};
use crate::web::page::{Nav, PageCtx, error_page, other_lang_href, render, server_error};
use crate::web::texts::Texts;

const SCRIPT: &str = include_str!("../../static/ioc.js");

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/ioc", get(page)).route("/static/ioc.js", get(script))
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}

/// A number the Vietnamese way (`1.234`) or the English way (`1,234`).
fn count(t: &Texts, n: i64) -> String {
    group_thousands(n, if t.lang == "en" { ',' } else { '.' })
}

/// A share as a percentage with one decimal (`80,6 %`), or a dash.
fn pct(t: &Texts, v: Option<f64>) -> String {
    match v {
        Some(x) => {
            let s = format!("{:.1}", x * 100.0);
            let s = if t.lang == "en" { s } else { s.replace('.', ",") };
            format!("{s} %")
        }
        None => "—".to_owned(),
    }
}

fn decimal(t: &Texts, v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) => {
            let s = format!("{x:.digits$}");
            if t.lang == "en" { s } else { s.replace('.', ",") }
        }
        None => "—".to_owned(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The axis top: four equal steps of 1, 2 or 5 × 10ⁿ, so every gridline is a whole number.
pub fn nice_max(max: i64) -> i64 {
    let step_needed = (max.max(1) + 3) / 4;
    let mut magnitude = 1i64;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step >= step_needed {
                return step * 4;
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

const CHANNEL_COLOURS: [&str; 3] = ["#0b4f8a", "#2e8540", "#b35c00"];

/// Stacked bars of dossiers received per period by channel, with the on-time rate as a line
/// on its own 0–100 % scale.
pub fn trend_svg(t: &Texts, rows: &[FigureRow]) -> String {
    let (w, h, left, bottom, top) = (720.0_f64, 260.0_f64, 48.0_f64, 36.0_f64, 12.0_f64);
    let plot_h = h - bottom - top;
    let max = nice_max(rows.iter().map(|r| r.figures.received).max().unwrap_or(0)) as f64;
    let n = rows.len().max(1) as f64;
    let slot = (w - left - 48.0) / n;
    let bar = (slot * 0.7).max(1.0);
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="trend-title"><title id="trend-title">{}</title>"#,
        esc(t.pick(
            "Hồ sơ tiếp nhận theo kỳ, theo kênh; đường: tỷ lệ đúng hạn",
            "Dossiers received per period by channel; line: on-time rate"
        ))
    );
    // Axes and a few gridlines.
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        // Whole numbers by construction of `nice_max`.
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        out.push_str(&format!(
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d7de"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#4a4a4a">{}</text>"##,
            w - 48.0,
            left - 4.0,
            y + 4.0,
            count(t, v.round() as i64)
        ));
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#4a4a4a">{}%</text>"##,
            w - 44.0,
            y + 4.0,
            25 * i
        ));
    }
    let mut line = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let f = &r.figures;
        let mut y = top + plot_h;
        for (c, v) in [f.received_in_person, f.received_online, f.received_post].into_iter().enumerate() {
            let bh = plot_h * v as f64 / max;
            y -= bh;
            if v > 0 {
                out.push_str(&format!(
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    CHANNEL_COLOURS[c],
                    esc(&r.label),
                    count(t, v)
                ));
            }
        }
        if let Some(rate) = f.on_time_rate {
            line.push(format!("{:.1},{:.1}", x + bar / 2.0, top + plot_h - plot_h * rate));
        }
        // Every label if they fit, else every few.
        let every = (rows.len() / 12).max(1);
        if i % every == 0 {
            out.push_str(&format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1a1a1a">{}</text>"##,
                x + bar / 2.0,
                h - bottom + 16.0,
                esc(&r.label)
            ));
        }
    }
    if line.len() > 1 {
        out.push_str(&format!(
            r##"<polyline points="{}" fill="none" stroke="#c00" stroke-width="2"/>"##,
            line.join(" ")
        ));
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars of the processing-time histogram.
pub fn histogram_svg(t: &Texts, f: &Figures) -> String {
    let rows = f.histogram.len().max(1);
    let (w, row_h, left) = (720.0_f64, 22.0_f64, 90.0_f64);
    let h = row_h * rows as f64 + 8.0;
    let max = f.histogram.iter().map(|b| b.dossiers).max().unwrap_or(0).max(1) as f64;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="hist-title"><title id="hist-title">{}</title>"#,
        esc(t.pick("Số hồ sơ theo thời gian giải quyết", "Dossiers by processing time"))
    );
    for (i, b) in f.histogram.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let label = match b.up_to_days {
            Some(d) => format!("≤ {d} {}", t.pick("ngày", "days")),
            None => format!("> 60 {}", t.pick("ngày", "days")),
        };
        let bw = (w - left - 70.0) * b.dossiers as f64 / max;
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#1a1a1a">{}</text><rect x="{left}" y="{y:.1}" width="{bw:.1}" height="{:.1}" fill="#0b4f8a"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1a1a1a">{}</text>"##,
            left - 6.0,
            y + 14.0,
            esc(&label),
            row_h - 6.0,
            left + bw + 4.0,
            y + 14.0,
            count(t, b.dossiers)
        ));
    }
    out.push_str("</svg>");
    out
}

/// One headline number.
pub struct Card {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub note: String,
    pub alert: bool,
    /// Where the dossiers behind the figure are listed (for staff, within their units).
    pub href: &'static str,
}

pub struct CentreRow {
    pub org: String,
    pub name: String,
    pub open: String,
    pub overdue: String,
    pub overdue_n: i64,
    pub due_soon: String,
    pub received_today: String,
    pub finished_today: String,
    pub on_time: String,
}

pub struct RankRow {
    pub rank: usize,
    pub org: String,
    pub name: String,
    pub total: String,
    pub groups: Vec<String>,
}

pub struct BreakdownRow {
    pub label: String,
    pub received: String,
    pub online: String,
    pub on_time: String,
    pub average: String,
}

/// A line of the feedback and the work tables: received (or assigned), closed (answered,
/// refused, done), closed on time, overdue now.
struct HandledLine {
    label: String,
    received: String,
    answered: String,
    on_time: String,
    overdue: String,
    overdue_n: i64,
}

/// The feedback table of the page: in all, by organisation (the first ten), by topic.
async fn feedback_lines(
    state: &AppState,
    t: &'static Texts,
    scope: &crate::statistics::figures::Scope,
    tree: &crate::statistics::figures::OrgTree,
) -> Result<Vec<HandledLine>, crate::app::AppError> {
    let subtree = scope.org.as_ref().map(|o| tree.subtree(o));
    let report = crate::feedback::Feedbacks::of(state)
        .figures(scope.from, scope.to, subtree.as_deref(), |c| tree.name(c))
        .await?;
    let line = |label: String, f: &crate::feedback::figures::FeedbackFigures| HandledLine {
        label,
        received: count(t, f.received),
        answered: count(t, f.answered + f.refused),
        on_time: pct(t, f.on_time_rate),
        overdue: count(t, f.overdue),
        overdue_n: f.overdue,
    };
    Ok(std::iter::once(line(t.pick("Tất cả", "All").to_owned(), &report.total))
        .chain(report.by_org.iter().take(10).map(|r| line(r.label.clone(), &r.figures)))
        .chain(report.by_topic.iter().map(|r| line(r.label.clone(), &r.figures)))
        .collect())
}

/// The table of work on incoming documents: in all, by organisation (the first ten).
async fn work_lines(
    state: &AppState,
    t: &'static Texts,
    scope: &crate::statistics::figures::Scope,
    tree: &crate::statistics::figures::OrgTree,
) -> Result<Vec<HandledLine>, crate::app::AppError> {
    let subtree = scope.org.as_ref().map(|o| tree.subtree(o));
    let report = crate::documents::work::Works::of(state)
        .figures(scope.from, scope.to, subtree.as_deref(), |c| tree.name(c))
        .await?;
    let line = |label: String, f: &crate::documents::work_figures::WorkFigures| HandledLine {
        label,
        received: count(t, f.assigned),
        answered: count(t, f.done),
        on_time: pct(t, f.on_time_rate),
        overdue: count(t, f.overdue),
        overdue_n: f.overdue,
    };
    Ok(std::iter::once(line(t.pick("Tất cả", "All").to_owned(), &report.total))
        .chain(report.by_org.iter().take(10).map(|r| line(r.label.clone(), &r.figures)))
        .collect())
}

/// The filters' choices: (code, name, chosen) of every organisation and every field, by name.
type Choices = Vec<(String, String, bool)>;
fn choices(
    scope: &crate::statistics::figures::Scope,
    tree: &crate::statistics::figures::OrgTree,
    procedures: &[motcua_domain::Procedure],
) -> (Choices, Choices) {
    let chosen_org = scope.org.as_ref().map(|o| o.to_string()).unwrap_or_default();
    let mut orgs: Choices =
        tree.orgs.iter().map(|o| (o.code.to_string(), o.name.to_string(), o.code.as_str() == chosen_org)).collect();
    orgs.sort_by(|a, b| a.1.cmp(&b.1));
    let chosen_field = scope.field.as_ref().map(|f| f.to_string()).unwrap_or_default();
    let mut fields: Choices = Vec::new();
    for p in procedures {
        let code = p.field.code.to_string();
        if !fields.iter().any(|f| f.0 == code) {
            let selected = code == chosen_field;
            fields.push((code, p.field.name.to_string(), selected));
        }
    }
    fields.sort_by(|a, b| a.1.cmp(&b.1));
    (orgs, fields)
}

/// The feedback and the work tables.
async fn handled_tables(
    state: &AppState,
    t: &'static Texts,
    scope: &crate::statistics::figures::Scope,
    tree: &crate::statistics::figures::OrgTree,
) -> Result<(Vec<HandledLine>, Vec<HandledLine>), crate::app::AppError> {
    tokio::try_join!(feedback_lines(state, t, scope, tree), work_lines(state, t, scope, tree))
}

#[derive(Template)]
#[template(path = "web/ioc.html")]
struct IocPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    from: String,
    to: String,
    /// (code, name, selected)
    orgs: Vec<(String, String, bool)>,
    fields: Vec<(String, String, bool)>,
    level: String,
    channel: String,
    cards: Vec<Card>,
    trend: String,
    histogram: String,
    group_labels: Vec<String>,
    ranking: Vec<RankRow>,
    centres: Vec<CentreRow>,
    by_field: Vec<BreakdownRow>,
    /// Citizens' feedback: in all, by organisation (the first ten), by topic.
    feedback: Vec<HandledLine>,
    /// Work on incoming documents: in all, by organisation (the first ten).
    work: Vec<HandledLine>,
    /// The filters as a query string, for the export links.
    query: String,
    updated: String,
}

/// `escalated`: the leaders' escalations standing (the workflows' rules, see dossiers/escalation.rs).
fn cards(t: &Texts, f: &Figures, s: &Savings, escalated: i64) -> Vec<Card> {
    let days = |v: Option<f64>| format!("{} {}", decimal(t, v, 1), t.pick("ngày", "days"));
    vec![
        Card {
            id: "received",
            label: t.pick("Hồ sơ tiếp nhận", "Dossiers received").into(),
            value: count(t, f.received),
            note: format!(
                "{} {} · {} {} · {} {}",
                count(t, f.received_online),
                t.pick("trực tuyến", "online"),
                count(t, f.received_in_person),
                t.pick("trực tiếp", "in person"),
                count(t, f.received_post),
                t.pick("bưu chính", "post")
            ),
            alert: false,
            href: "",
        },
        Card {
            id: "open",
            label: t.pick("Đang xử lý (hiện tại)", "Open now").into(),
            value: count(t, f.open_now.open),
            note: format!("{} {}", count(t, f.in_progress), t.pick("trong số hồ sơ của kỳ", "of this period's")),
            alert: false,
            href: "",
        },
        Card {
            id: "overdue",
            label: t.pick("Quá hạn (hiện tại)", "Overdue now").into(),
            value: count(t, f.open_now.overdue),
            note: format!(
                "{} {} · {} {}",
                count(t, f.open_now.due_soon),
                t.pick("đến hạn trong 1 ngày làm việc", "due within a working day"),
                count(t, escalated),
                t.pick("đã báo cáo lãnh đạo", "escalated to leaders")
            ),
            alert: f.open_now.overdue > 0,
            href: "/ho-so?pham-vi=tat-ca&han=qua-han",
        },
        Card {
            id: "on_time",
            label: t.pick("Đúng hạn (766)", "On time (766)").into(),
            value: pct(t, f.on_time_rate),
            note: format!(
                "{} / {} {}",
                count(t, f.on_time),
                count(t, f.finished),
                t.pick("hồ sơ đã kết thúc", "ended")
            ),
            alert: f.on_time_rate.is_some_and(|r| r < 0.9),
            href: "",
        },
        Card {
            id: "online",
            label: t.pick("Nộp trực tuyến", "Submitted online").into(),
            value: pct(t, f.online_share),
            note: format!("{} {}", pct(t, f.full_online_share), t.pick("xử lý toàn trình", "full-online")),
            alert: false,
            href: "",
        },
        Card {
            id: "cashless",
            label: t.pick("Thanh toán không dùng tiền mặt", "Paid without cash").into(),
            value: pct(t, f.cashless_share),
            note: format!("{} / {} {}", count(t, f.cashless), count(t, f.paid), t.pick("hồ sơ đã nộp phí", "paid")),
            alert: false,
            href: "",
        },
        Card {
            id: "time",
            label: t.pick("Thời gian giải quyết trung bình", "Average processing time").into(),
            value: days(f.average_days),
            note: format!(
                "{} {} · {} {}",
                t.pick("hạn", "limit"),
                days(f.average_limit_days),
                t.pick("tiết kiệm", "saved"),
                pct(t, f.time_saved_share)
            ),
            alert: false,
            href: "",
        },
        Card {
            id: "median",
            label: t.pick("Một nửa số hồ sơ xong trong", "Half the dossiers done within").into(),
            value: f.median_days_at_most.map_or("—".into(), |d| format!("≤ {d} {}", t.pick("ngày", "days"))),
            note: format!("{} {}", pct(t, f.supplement_rate), t.pick("phải bổ sung", "asked to supplement")),
            alert: false,
            href: "",
        },
        Card {
            id: "satisfaction",
            label: t.pick("Mức độ hài lòng", "Satisfaction").into(),
            value: format!("{} / 5", decimal(t, f.satisfaction, 2)),
            note: format!("{} {}", count(t, f.rated), t.pick("lượt đánh giá", "ratings")),
            alert: false,
            href: "",
        },
        Card {
            id: "saved",
            label: t.pick("Chi phí xã hội tiết kiệm", "Money saved").into(),
            value: format!("{} ₫", count(t, s.total_saved)),
            note: format!(
                "{} {} · {} {}",
                count(t, s.documents_sent),
                t.pick("văn bản điện tử", "electronic documents"),
                count(t, s.online_dossiers),
                t.pick("hồ sơ trực tuyến", "online dossiers")
            ),
            alert: false,
            href: "",
        },
    ]
}

fn query_string(p: &StatsParams) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("from", &p.from),
        ("to", &p.to),
        ("org", &p.org),
        ("field", &p.field),
        ("level", &p.level),
        ("channel", &p.channel),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", crate::edge::percent_encode(v)));
        }
    }
    parts.join("&")
}

async fn page(State(state): State<AppState>, ctx: PageCtx, Query(p): Query<StatsParams>) -> Response {
    let t = ctx.t;
    let scope = match p.scope() {
        Ok(s) => s,
        Err(e) => {
            return error_page(
                axum::http::StatusCode::BAD_REQUEST,
                t,
                ctx.nav.clone(),
                &ctx.uri,
                t.error_title,
                e.to_string(),
            );
        }
    };
    let stats = crate::statistics::service(&state);
    let clock = match crate::statistics::now_clock(&state).await {
        Ok(c) => c,
        Err(_) => return server_error(t, &ctx.uri, "calendar"),
    };
    let monthly = (scope.to - scope.from).get_days() > 62;
    let tree = match stats.tree().await {
        Ok(tree) => tree,
        Err(e) => return server_error(t, &ctx.uri, e),
    };
    let escalations = crate::dossiers::escalation::Escalations::of(&state);
    // Independent reads, each on a connection of its own: the page waits for the slowest, not
    // for their sum (at a million dossiers the sum was 60 ms, the slowest 22 ms).
    let (result, escalations, tables) = tokio::join!(
        async {
            tokio::try_join!(stats.operations(&scope, &clock, monthly), async {
                Ok::<_, StatsError>(stats.procedures().await?)
            },)
        },
        escalations.counts(),
        handled_tables(&state, t, &scope, &tree),
    );
    let (operations, procedures) = match result {
        Ok(r) => r,
        Err(StatsError::BadFilter(m)) => {
            return error_page(axum::http::StatusCode::BAD_REQUEST, t, ctx.nav.clone(), &ctx.uri, t.error_title, m);
        }
        Err(StatsError::Store(e)) => return server_error(t, &ctx.uri, e),
    };
    let crate::statistics::figures::Operations { figures, savings, trend: series, ranking, centres, by_field } =
        operations;
    let escalated = match escalations {
        Ok(by_org) => by_org.iter().filter(|(o, _)| scope.org.as_ref().is_none_or(|s| s == o)).map(|(_, n)| n).sum(),
        Err(e) => return server_error(t, &ctx.uri, e.message),
    };
    let (orgs, fields) = choices(&scope, &tree, &procedures);
    let group_labels = ranking
        .first()
        .map(|r| r.index.groups.iter().map(|g| format!("{} ({})", g.label, g.points)))
        .into_iter()
        .flatten()
        .collect();
    let rank_rows = ranking.iter().take(30).map(|r: &RankedOrg| RankRow {
        rank: r.rank,
        org: r.org.to_string(),
        name: r.name.clone(),
        total: decimal(t, Some(r.index.total), 2),
        groups: r.index.groups.iter().map(|g| decimal(t, Some(g.score), 2)).collect(),
    });
    let centre_rows = centres.iter().map(|c: &Centre| CentreRow {
        org: c.org.to_string(),
        name: c.name.clone(),
        open: count(t, c.open_now.open),
        overdue: count(t, c.open_now.overdue),
        overdue_n: c.open_now.overdue,
        due_soon: count(t, c.open_now.due_soon),
        received_today: count(t, c.received_today),
        finished_today: count(t, c.finished_today),
        on_time: pct(t, c.on_time_rate_month),
    });
    let field_rows = by_field.iter().take(12).map(|r| BreakdownRow {
        label: r.label.clone(),
        received: count(t, r.figures.received),
        online: pct(t, r.figures.online_share),
        on_time: pct(t, r.figures.on_time_rate),
        average: decimal(t, r.figures.average_days, 1),
    });
    let (feedback, work) = match tables {
        Ok(tables) => tables,
        Err(e) => return server_error(t, &ctx.uri, e.message),
    };
    let now = clock.now.to_zoned(motcua_domain::calendar::vietnam());
    render(IocPage {
        t,
        other_lang_href: other_lang_href(&ctx.uri, t.lang_value()),
        nav: ctx.nav.clone(),
        from: format!("{:02}/{:02}/{}", scope.from.day(), scope.from.month(), scope.from.year()),
        to: format!("{:02}/{:02}/{}", scope.to.day(), scope.to.month(), scope.to.year()),
        orgs,
        fields,
        level: scope.level.clone().unwrap_or_default(),
        channel: scope.channel.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        cards: cards(t, &figures, &savings, escalated),
        trend: trend_svg(t, &series),
        histogram: histogram_svg(t, &figures),
        group_labels,
        ranking: rank_rows.collect(),
        centres: centre_rows.collect(),
        by_field: field_rows.collect(),
        feedback,
        work,
        query: query_string(&p),
        updated: format!(
            "{:02}:{:02}:{:02} {:02}/{:02}/{}",
            now.hour(),
            now.minute(),
            now.second(),
            now.day(),
            now.month(),
            now.year()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_split_into_four_whole_steps() {
        for (max, top) in
            [(0, 4), (1, 4), (4, 4), (5, 8), (9, 20), (209, 400), (800, 800), (801, 2000), (12_345, 20_000)]
        {
            assert_eq!(nice_max(max), top, "{max}");
            assert_eq!(nice_max(max) % 4, 0);
            assert!(nice_max(max) >= max);
        }
    }

    #[test]
    fn charts_escape_labels_and_draw_one_bar_per_channel_with_dossiers() {
        let t = Texts::of(crate::web::texts::Lang::Vi);
        let mut f = Figures::compute(&[], Default::default());
        f.received = 3;
        f.received_online = 2;
        f.received_in_person = 1;
        f.on_time_rate = Some(0.5);
        let rows = vec![
            FigureRow { key: "202501".into(), label: "<01/2025>".into(), figures: f.clone() },
            FigureRow { key: "202502".into(), label: "02/2025".into(), figures: f },
        ];
        let svg = trend_svg(t, &rows);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;01/2025&gt;") && !svg.contains("<01/2025>"));
        assert_eq!(svg.matches("<rect").count(), 4, "two channels with dossiers in each of two months");
        assert!(svg.contains("<polyline"), "the on-time line");
    }
}

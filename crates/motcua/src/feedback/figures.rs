//! Feedback figures for the operations centre and the statistics API: the feedback received
//! in a period, answered, refused, closed within the deadline and overdue now — in all, by the
//! organisation holding it and by topic.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use motcua_domain::feedback::Topic;
use motcua_store::feedback::FeedbackCount;
use serde::Serialize;

use super::Feedbacks;
use crate::app::{AppError, AppResult};
use crate::export::{Cell, Table};

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedbackFigures {
    pub received: i64,
    pub answered: i64,
    /// Not taken up, with the legal reason.
    pub refused: i64,
    /// Answered or refused within the deadline.
    pub closed_on_time: i64,
    /// Still open and past the deadline now.
    pub overdue: i64,
    /// `closed_on_time / (answered + refused)`; null before anything was closed.
    pub on_time_rate: Option<f64>,
}

impl FeedbackFigures {
    fn add(&mut self, c: &FeedbackCount) {
        self.received += c.received;
        self.answered += c.answered;
        self.refused += c.refused;
        self.closed_on_time += c.closed_on_time;
        self.overdue += c.overdue;
        let closed = self.answered + self.refused;
        self.on_time_rate = (closed > 0).then(|| self.closed_on_time as f64 / closed as f64);
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackRow {
    /// The organisation's code, or the topic (`regulation`, `procedure`, `dossier`,
    /// `organisation`).
    pub key: String,
    pub label: String,
    pub figures: FeedbackFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackReport {
    pub total: FeedbackFigures,
    pub by_org: Vec<FeedbackRow>,
    pub by_topic: Vec<FeedbackRow>,
}

fn rows(
    counts: &[FeedbackCount],
    key: impl Fn(&FeedbackCount) -> String,
    label: impl Fn(&str) -> String,
) -> Vec<FeedbackRow> {
    let mut out: Vec<FeedbackRow> = Vec::new();
    for c in counts {
        let k = key(c);
        match out.iter_mut().find(|r| r.key == k) {
            Some(r) => r.figures.add(c),
            None => {
                let mut figures = FeedbackFigures::default();
                figures.add(c);
                out.push(FeedbackRow { label: label(&k), key: k, figures });
            }
        }
    }
    out.sort_by(|a, b| b.figures.received.cmp(&a.figures.received).then(a.key.cmp(&b.key)));
    out
}

impl Feedbacks<'_> {
    /// The figures of the feedback received from `from` to `to` (days in Vietnam, both
    /// included), held by one of `orgs` when given; `name` gives an organisation's name.
    pub async fn figures(
        &self,
        from: Date,
        to: Date,
        orgs: Option<&[OrgCode]>,
        name: impl Fn(&str) -> String,
    ) -> AppResult<FeedbackReport> {
        let tz = motcua_domain::calendar::vietnam();
        let start =
            tz.to_timestamp(from.to_datetime(jiff::civil::Time::midnight())).map_err(|_| AppError::internal())?;
        let end_day = to.tomorrow().map_err(|_| AppError::internal())?;
        let end =
            tz.to_timestamp(end_day.to_datetime(jiff::civil::Time::midnight())).map_err(|_| AppError::internal())?;
        let mut counts = self.store.feedback_counts(start, end, Timestamp::now()).await?;
        if let Some(orgs) = orgs {
            counts.retain(|c| orgs.contains(&c.org));
        }
        let mut total = FeedbackFigures::default();
        for c in &counts {
            total.add(c);
        }
        let topic_label = |k: &str| Topic::parse(k).map_or_else(|| k.to_owned(), |t| t.label_vi().to_owned());
        Ok(FeedbackReport {
            total,
            by_org: rows(&counts, |c| c.org.to_string(), &name),
            by_topic: rows(&counts, |c| c.topic.clone(), topic_label),
        })
    }
}

/// The report as one table to export: every organisation, then every topic.
pub fn feedback_table(r: &FeedbackReport) -> Table {
    let line = |kind: &str, row: &FeedbackRow| {
        let f = &row.figures;
        vec![
            Cell::Text(kind.to_owned()),
            Cell::Text(row.key.clone()),
            Cell::Text(row.label.clone()),
            Cell::Int(f.received),
            Cell::Int(f.answered),
            Cell::Int(f.refused),
            Cell::Int(f.closed_on_time),
            Cell::Share(f.on_time_rate),
            Cell::Int(f.overdue),
        ]
    };
    Table {
        title: "Phản ánh, kiến nghị".to_owned(),
        headers: [
            "Theo",
            "Mã",
            "Tên",
            "Tiếp nhận",
            "Đã trả lời",
            "Không thụ lý",
            "Đúng hạn",
            "Tỷ lệ đúng hạn (%)",
            "Quá hạn",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: r
            .by_org
            .iter()
            .map(|row| line("Cơ quan", row))
            .chain(r.by_topic.iter().map(|row| line("Nội dung", row)))
            .collect(),
    }
}

//! Work figures for the operations centre and the statistics API: the incoming documents
//! assigned in a period, done, done within the deadline and overdue now — in all and by
//! organisation.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use motcua_store::work::WorkCount;
use serde::Serialize;

use super::work::Works;
use crate::app::{AppError, AppResult};
use crate::export::{Cell, Table};

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkFigures {
    /// Incoming documents assigned.
    pub assigned: i64,
    pub done: i64,
    /// Done within the deadline.
    pub done_on_time: i64,
    /// Still open and past the deadline now.
    pub overdue: i64,
    /// `done_on_time / done`; null before anything was done.
    pub on_time_rate: Option<f64>,
}

impl WorkFigures {
    fn add(&mut self, c: &WorkCount) {
        self.assigned += c.assigned;
        self.done += c.done;
        self.done_on_time += c.done_on_time;
        self.overdue += c.overdue;
        self.on_time_rate = (self.done > 0).then(|| self.done_on_time as f64 / self.done as f64);
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkRow {
    /// The organisation's code.
    pub key: String,
    pub label: String,
    pub figures: WorkFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkReport {
    pub total: WorkFigures,
    pub by_org: Vec<WorkRow>,
}

impl Works<'_> {
    /// The figures of the work assigned from `from` to `to` (days in Vietnam, both included),
    /// at one of `orgs` when given; `name` gives an organisation's name.
    pub async fn figures(
        &self,
        from: Date,
        to: Date,
        orgs: Option<&[OrgCode]>,
        name: impl Fn(&str) -> String,
    ) -> AppResult<WorkReport> {
        let tz = motcua_domain::calendar::vietnam();
        let midnight = |d: Date| tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()));
        let start = midnight(from).map_err(|_| AppError::internal())?;
        let end = midnight(to.tomorrow().map_err(|_| AppError::internal())?).map_err(|_| AppError::internal())?;
        let mut counts = self.store().work_counts(start, end, Timestamp::now()).await?;
        if let Some(orgs) = orgs {
            counts.retain(|c| orgs.contains(&c.org));
        }
        let mut total = WorkFigures::default();
        let mut by_org = Vec::with_capacity(counts.len());
        for c in &counts {
            total.add(c);
            let mut figures = WorkFigures::default();
            figures.add(c);
            by_org.push(WorkRow { key: c.org.to_string(), label: name(c.org.as_str()), figures });
        }
        by_org.sort_by(|a, b| b.figures.assigned.cmp(&a.figures.assigned).then(a.key.cmp(&b.key)));
        Ok(WorkReport { total, by_org })
    }
}

/// The report as one table to export, an organisation a row.
pub fn work_table(r: &WorkReport) -> Table {
    Table {
        title: "Xử lý văn bản đến".to_owned(),
        headers: ["Mã", "Cơ quan", "Được giao", "Hoàn thành", "Đúng hạn", "Tỷ lệ đúng hạn (%)", "Quá hạn"]
            .map(str::to_owned)
            .to_vec(),
        rows: r
            .by_org
            .iter()
            .map(|row| {
                let f = &row.figures;
                vec![
                    Cell::Text(row.key.clone()),
                    Cell::Text(row.label.clone()),
                    Cell::Int(f.assigned),
                    Cell::Int(f.done),
                    Cell::Int(f.done_on_time),
                    Cell::Share(f.on_time_rate),
                    Cell::Int(f.overdue),
                ]
            })
            .collect(),
    }
}

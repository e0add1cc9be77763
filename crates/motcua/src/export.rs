//! Tables to export — CSV for any spreadsheet, XLSX — with one writer for every report
//! (statistics, payment reconciliation), so every text cell is escaped the same way.

/// A table to export.
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A share (0–1), shown as a percentage; empty when there is nothing to divide.
    Share(Option<f64>),
    Number(Option<f64>),
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => csv_escape(s),
            Cell::Int(n) => n.to_string(),
            Cell::Share(v) => v.map(|x| format!("{:.2}", x * 100.0)).unwrap_or_default(),
            Cell::Number(v) => v.map(|x| format!("{x:.2}")).unwrap_or_default(),
        }
    }
}

/// A text field of a CSV file: quoted when it must be, and never a formula — a leading
/// `= + - @`, tab or carriage return would run in a spreadsheet, so it gets a `'` first.
pub fn csv_escape(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

impl Table {
    /// UTF-8 with a byte-order mark so spreadsheets read the Vietnamese right.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        out.push_str(&self.headers.iter().map(|h| csv_escape(h)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
        for r in &self.rows {
            out.push_str(&r.iter().map(Cell::csv).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        out
    }

    pub fn to_xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet();
        let name: String = self.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        sheet.set_name(if name.trim().is_empty() { "Bang" } else { name.trim() })?;
        let bold = Format::new().set_bold();
        let pct = Format::new().set_num_format("0.00%");
        let num = Format::new().set_num_format("0.00");
        for (c, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Share(Some(x)) => {
                        sheet.write_number_with_format(r, c, *x, &pct)?;
                    }
                    Cell::Number(Some(x)) => {
                        sheet.write_number_with_format(r, c, *x, &num)?;
                    }
                    Cell::Share(None) | Cell::Number(None) => {}
                }
            }
        }
        wb.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_never_become_formulas() {
        let t = Table {
            title: "x".into(),
            headers: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Cell::Text("=cmd|' /C calc'!A0".into()), Cell::Int(-5)],
                vec![Cell::Text("+1".into()), Cell::Text("@SUM(A1)".into())],
                vec![Cell::Text("-2".into()), Cell::Text("\tx".into())],
                vec![Cell::Text("a,\"b\"".into()), Cell::Text("Hạ Long".into())],
            ],
        };
        let csv = t.to_csv();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines, ["a,b", "'=cmd|' /C calc'!A0,-5", "'+1,'@SUM(A1)", "'-2,'\tx", "\"a,\"\"b\"\"\",Hạ Long"]);
    }
}

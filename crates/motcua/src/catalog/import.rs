//! Reading catalogs, units and organisations from JSON files: every bad record is reported
//! with its position, and nothing is written unless every record is good.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use motcua_domain::unit::{UnitRecord, records_from_published, resolve_levels};
use motcua_domain::{OrgCode, Organisation, Procedure, ProcedureCode};
use motcua_store::{CatalogStore, OrgFilter, Page, ProcedureFilter, SettingsStore, StoreError, UnitFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Where a record starts in its file (1-based), and its index in the array (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub index: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub position: Position,
    pub message: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.position;
        write!(f, "bản ghi #{} (dòng {}, cột {}): {}", p.index + 1, p.line, p.column, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bản ghi không hợp lệ; không nạp bản ghi nào:\n{}", .0.len(), list(.0))]
    Invalid(Vec<RecordError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(errors: &[RecordError]) -> String {
    errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n")
}

/// A progress bar on a terminal, nothing otherwise.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Turns byte offsets into 1-based line and column (in characters). Offsets must be asked
/// for in increasing order: each call scans only the text since the previous one.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, offset: 0, line: 1, line_start: 0 }
    }

    fn at(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.clamp(self.offset, self.text.len());
        let chunk = &self.text[self.offset..offset];
        for (i, b) in chunk.bytes().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self.text[self.line_start..offset].chars().count() + 1;
        (self.line, column)
    }
}

/// serde_json's message without its own " at line X column Y" (we give absolute positions).
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Splits a JSON array into records and parses each as `T`, collecting every failure with
/// the absolute line and column of the fault.
pub fn parse_records<T: DeserializeOwned>(
    text: &str,
    bar: &ProgressBar,
) -> Result<Vec<(T, Position)>, Vec<RecordError>> {
    let Parsed { ok, errors } = parse_records_partially(text, bar)?;
    if errors.is_empty() { Ok(ok) } else { Err(errors) }
}

/// Like [`parse_records`], but gives back the good records beside the bad ones, so that
/// further checks can run on the good ones and the user hears of every problem at once.
/// Only a file that is not a JSON array at all is an outright error.
pub fn parse_records_partially<T: DeserializeOwned>(
    text: &str,
    bar: &ProgressBar,
) -> Result<Parsed<T>, Vec<RecordError>> {
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        vec![RecordError {
            position: Position { index: 0, line: e.line(), column: e.column() },
            message: format!("tệp không phải một mảng JSON hợp lệ: {}", serde_message(&e)),
        }]
    })?;
    bar.set_length(raws.len() as u64);
    let mut ok = Vec::with_capacity(raws.len());
    let mut errors = Vec::new();
    let mut lines = LineCounter::new(text);
    for (index, raw) in raws.into_iter().enumerate() {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let (line, column) = lines.at(offset);
        let position = Position { index, line, column };
        match serde_json::from_str::<T>(raw.get()) {
            Ok(v) => ok.push((v, position)),
            Err(e) => {
                let (el, ec) = (e.line(), e.column());
                let at = if el <= 1 {
                    Position { index, line, column: column + ec.saturating_sub(1) }
                } else {
                    Position { index, line: line + el - 1, column: ec }
                };
                errors.push(RecordError { position: at, message: serde_message(&e) });
            }
        }
        bar.inc(1);
    }
    Ok(Parsed { ok, errors })
}

/// Records that parsed, with their positions, and the failures of the others.
pub struct Parsed<T> {
    pub ok: Vec<(T, Position)>,
    pub errors: Vec<RecordError>,
}

/// Writes records as a JSON array, one record per line (easy to diff, easy to point at).
pub fn to_json_lines_array<T: Serialize>(records: &[T]) -> Result<String, serde_json::Error> {
    let mut out = String::from("[\n");
    for (i, r) in records.iter().enumerate() {
        out.push_str(&serde_json::to_string(r)?);
        out.push_str(if i + 1 < records.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    Ok(out)
}

/// Validates a procedure catalog completely, then stores it in one transaction.
pub async fn import_catalog(
    store: &(impl CatalogStore + SettingsStore + ?Sized),
    text: &str,
) -> Result<usize, ImportError> {
    let bar = progress(0, "Kiểm tra thủ tục");
    let parsed = parse_records_partially::<Procedure>(text, &bar);
    bar.finish_and_clear();
    let Parsed { ok: parsed, mut errors } = parsed.map_err(ImportError::Invalid)?;

    let mut seen: HashMap<ProcedureCode, usize> = HashMap::new();
    let mut procedures = Vec::with_capacity(parsed.len());
    let mut positions = Vec::with_capacity(parsed.len());
    for (p, position) in parsed {
        if let Some(first) = seen.insert(p.code.clone(), position.index) {
            errors.push(RecordError {
                position,
                message: format!("mã thủ tục {} trùng với bản ghi #{}", p.code, first + 1),
            });
            continue;
        }
        match p.check() {
            Ok(p) => {
                procedures.push(p);
                positions.push(position);
            }
            Err(e) => errors.push(RecordError { position, message: e.to_string() }),
        }
    }
    let workflows: HashSet<String> = store.workflows().await?.into_iter().map(|w| w.code).collect();
    for (p, position) in procedures.iter().zip(&positions) {
        if !workflows.contains(&p.workflow) {
            errors.push(RecordError {
                position: *position,
                message: format!("quy trình {} chưa có trong hệ thống", p.workflow),
            });
        }
    }
    for (p, position) in procedures.iter().zip(&positions) {
        let unknown =
            p.components.iter().filter_map(|c| c.eform.as_deref()).find(|f| super::declarations::form(f).is_none());
        if let Some(code) = unknown {
            let known: Vec<&str> = super::declarations::codes().collect();
            errors.push(RecordError {
                position: *position,
                message: format!("tờ khai điện tử {code} chưa có (có: {})", known.join(", ")),
            });
        }
    }
    let referenced: Vec<OrgCode> =
        procedures.iter().flat_map(|p| p.organisations.iter().cloned()).collect::<HashSet<_>>().into_iter().collect();
    let known = store.existing_organisations(&referenced).await?;
    for (p, position) in procedures.iter().zip(&positions) {
        if let Some(missing) = p.organisations.iter().find(|o| !known.contains(*o)) {
            errors.push(RecordError {
                position: *position,
                message: format!("cơ quan {missing} chưa có trong hệ thống"),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.position.index);
        return Err(ImportError::Invalid(errors));
    }
    Ok(store.upsert_procedures(&procedures).await? as usize)
}

/// Units in the project's flat format, or in the published nested format (provinces with
/// `wards`), which is converted.
pub async fn import_units(store: &dyn CatalogStore, text: &str) -> Result<usize, ImportError> {
    let bar = progress(0, "Kiểm tra đơn vị hành chính");
    let records: Vec<(UnitRecord, Position)> = if looks_published(text) {
        records_from_published(text)
            .map_err(|e| {
                ImportError::Invalid(vec![RecordError {
                    position: Position { index: 0, line: 1, column: 1 },
                    message: e.to_string(),
                }])
            })?
            .into_iter()
            .enumerate()
            .map(|(index, r)| (r, Position { index, line: 0, column: 0 }))
            .collect()
    } else {
        parse_records::<UnitRecord>(text, &bar).map_err(ImportError::Invalid)?
    };
    bar.finish_and_clear();
    let positions: Vec<Position> = records.iter().map(|(_, p)| *p).collect();
    let stored = store.unit_levels().await?;
    let units =
        resolve_levels(records.into_iter().map(|(r, _)| r).collect(), |c| stored.get(c).copied()).map_err(|errs| {
            ImportError::Invalid(
                errs.into_iter().map(|(i, e)| RecordError { position: positions[i], message: e.to_string() }).collect(),
            )
        })?;
    Ok(store.upsert_units(&units).await? as usize)
}

fn looks_published(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        wards: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Vec<&RawValue>>(text)
        .ok()
        .and_then(|v| v.first().map(|r| serde_json::from_str::<Probe>(r.get()).is_ok()))
        .unwrap_or(false)
}

/// Organisations: units must exist, parents must be in the file or stored; parents are
/// written before children.
pub async fn import_organisations(store: &dyn CatalogStore, text: &str) -> Result<usize, ImportError> {
    let bar = progress(0, "Kiểm tra cơ quan");
    let parsed = parse_records::<Organisation>(text, &bar);
    bar.finish_and_clear();
    let parsed = parsed.map_err(ImportError::Invalid)?;
    let units = store.unit_levels().await?;
    let in_file: HashSet<OrgCode> = parsed.iter().map(|(o, _)| o.code.clone()).collect();
    let parents: Vec<OrgCode> =
        parsed.iter().filter_map(|(o, _)| o.parent.clone()).filter(|p| !in_file.contains(p)).collect();
    let stored = store.existing_organisations(&parents).await?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (o, position) in &parsed {
        if !seen.insert(o.code.clone()) {
            errors.push(RecordError {
                position: *position,
                message: format!("mã cơ quan {} bị trùng trong tệp", o.code),
            });
        }
        if !units.contains_key(&o.unit) {
            errors.push(RecordError {
                position: *position,
                message: format!("đơn vị hành chính {} chưa có trong hệ thống", o.unit),
            });
        }
        if let Some(p) = &o.parent
            && !in_file.contains(p)
            && !stored.contains(p)
        {
            errors.push(RecordError {
                position: *position, message: format!("cơ quan cấp trên {p} không tồn tại")
            });
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    // Parents first: repeatedly take those whose parent is already placed.
    let mut placed: HashSet<OrgCode> = stored;
    let mut pending: Vec<Organisation> = parsed.into_iter().map(|(o, _)| o).collect();
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, rest): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|o| o.parent.as_ref().is_none_or(|p| placed.contains(p)));
        placed.extend(ready.iter().map(|o| o.code.clone()));
        ordered.extend(ready);
        pending = rest;
        if pending.len() == before {
            return Err(ImportError::Invalid(vec![RecordError {
                position: Position { index: 0, line: 1, column: 1 },
                message: "quan hệ cấp trên giữa các cơ quan tạo thành vòng lặp".into(),
            }]));
        }
    }
    Ok(store.upsert_organisations(&ordered).await? as usize)
}

pub async fn export_catalog(store: &dyn CatalogStore) -> Result<String, StoreError> {
    let all = store.list_procedures(&ProcedureFilter::default(), Page::all()).await?;
    to_json_lines_array(&all.items).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn export_units(store: &dyn CatalogStore) -> Result<String, StoreError> {
    let all = store.list_units(&UnitFilter::default(), Page::all()).await?;
    let records: Vec<UnitRecord> = all
        .items
        .into_iter()
        .map(|u| UnitRecord { code: u.code, name: u.name, kind: u.kind, parent: u.parent })
        .collect();
    to_json_lines_array(&records).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn export_organisations(store: &dyn CatalogStore) -> Result<String, StoreError> {
    let all = store.list_organisations(&OrgFilter::default(), Page::all()).await?;
    to_json_lines_array(&all.items).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct R {
        #[allow(dead_code)]
        code: motcua_domain::UnitCode,
    }

    #[test]
    fn reports_absolute_positions_of_every_bad_record() {
        let text = "[\n  {\"code\": \"22\"},\n  {\"code\": \"x\"},\n  {\"code\": \"01\"},\n  {\"code\": \"01\", \"extra\": 1}\n]";
        let errs = parse_records::<R>(text, &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].position.index, 2 - 1);
        assert_eq!(errs[0].position.line, 3);
        assert!(errs[0].message.contains("Mã đơn vị hành chính không hợp lệ"), "{}", errs[0].message);
        assert_eq!((errs[1].position.index, errs[1].position.line), (3, 5));
        assert!(errs[1].message.contains("extra"));
        assert!(errs[0].to_string().starts_with("bản ghi #2 (dòng 3, cột"));
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let errs = parse_records::<R>("[\n {\"code\": \"22\"},\n oops\n]", &ProgressBar::hidden()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].position.line, 3);
    }

    #[test]
    fn line_columns_count_characters() {
        let mut c = LineCounter::new("ab\nđc\nx");
        assert_eq!(c.at(1), (1, 2));
        assert_eq!(c.at(5), (2, 2));
        assert_eq!(c.at(7), (3, 1));
    }
}

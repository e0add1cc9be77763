//! The declarations (tờ khai) motcua ships as e-forms, read once from `data/declarations`,
//! and the 2025 administrative divisions their address fields choose from.
//!
//! A procedure's component names its form by code (`"eform": "CT01"`); the catalog import
//! refuses a code that is not here. A submission may carry the declaration's answers instead
//! of the scanned paper: they are checked against the form ([`check`]) and kept in the dossier.

use std::collections::HashMap;
use std::sync::OnceLock;

use motcua_domain::Procedure;
use motcua_domain::eform::{Declaration, FieldError, FieldKind, FormDef, Places};

use crate::app::{AppError, AppResult, ErrorCode, FieldProblem};

/// The 2025 administrative units, generated from the published list (see docs/ARCHITECTURE.md).
/// Kept here, with the address fields that choose from it; the demo loads the same list.
pub const UNITS_2025: &str = include_str!("../../../../data/units-vn-2025.json");

/// The shipped declarations, by code.
const SOURCES: &[(&str, &str)] = &[
    ("CT01", include_str!("../../../../data/declarations/CT01.json")),
    ("GPLX", include_str!("../../../../data/declarations/GPLX.json")),
    ("TK-KH", include_str!("../../../../data/declarations/TK-KH.json")),
    ("TK-KS", include_str!("../../../../data/declarations/TK-KS.json")),
    ("TK-KT", include_str!("../../../../data/declarations/TK-KT.json")),
    ("TK-XNHN", include_str!("../../../../data/declarations/TK-XNHN.json")),
];

fn forms() -> &'static HashMap<&'static str, FormDef> {
    static FORMS: OnceLock<HashMap<&'static str, FormDef>> = OnceLock::new();
    FORMS.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(code, json)| match FormDef::parse(json) {
                Ok(f) if f.code == *code => Some((*code, f)),
                Ok(f) => {
                    tracing::error!(code, found = %f.code, "declaration filed under another code");
                    None
                }
                Err(e) => {
                    tracing::error!(code, error = %e, "declaration does not read");
                    None
                }
            })
            .collect()
    })
}

/// The form with this code.
pub fn form(code: &str) -> Option<&'static FormDef> {
    forms().get(code)
}

/// Every shipped form's code.
pub fn codes() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(c, _)| *c)
}

/// The e-form of a procedure's declaration, if it has one.
pub fn of_procedure(p: &Procedure) -> Option<&'static FormDef> {
    p.components.iter().find_map(|c| c.eform.as_deref().and_then(form))
}

/// The 2025 provinces and communes (the list motcua ships).
struct Divisions {
    /// Code → its province's code (None: a province).
    parent: HashMap<String, Option<String>>,
    name: HashMap<String, String>,
}

fn divisions() -> &'static Divisions {
    static D: OnceLock<Divisions> = OnceLock::new();
    D.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Row {
            code: String,
            name: String,
            parent: Option<String>,
        }
        let rows: Vec<Row> = serde_json::from_str(UNITS_2025).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the 2025 divisions do not read");
            Vec::new()
        });
        let name = rows.iter().map(|r| (r.code.clone(), r.name.clone())).collect();
        Divisions { parent: rows.into_iter().map(|r| (r.code, r.parent)).collect(), name }
    })
}

/// The provinces, by name: (code, name).
pub fn provinces() -> Vec<(String, String)> {
    let d = divisions();
    let mut out: Vec<(String, String)> = d
        .parent
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| (c.clone(), d.name.get(c).cloned().unwrap_or_default()))
        .collect();
    out.sort_by_cached_key(|(_, name)| motcua_domain::text::fold(name));
    out
}

/// The communes of a province, by name: (code, name).
pub fn communes_of(province: &str) -> Vec<(String, String)> {
    let d = divisions();
    let mut out: Vec<(String, String)> = d
        .parent
        .iter()
        .filter(|(_, p)| p.as_deref() == Some(province))
        .map(|(c, _)| (c.clone(), d.name.get(c).cloned().unwrap_or_default()))
        .collect();
    out.sort_by_cached_key(|(_, name)| motcua_domain::text::fold(name));
    out
}

/// The codes of a province and of one of its communes named as people write them ("Quảng
/// Ninh" or "Tỉnh Quảng Ninh", "Phường Hạ Long"), with or without diacritics; None where no
/// 2025 unit has that name.
pub fn place_codes(province: &str, commune: &str) -> (Option<String>, Option<String>) {
    // Folded, without the unit's kind ("tỉnh", "thành phố", "phường", "xã", "đặc khu").
    let bare = |name: &str| {
        let folded = motcua_domain::text::fold(name.trim());
        ["tinh ", "thanh pho ", "phuong ", "xa ", "dac khu "]
            .iter()
            .find_map(|k| folded.strip_prefix(k).map(str::to_owned))
            .unwrap_or(folded)
    };
    let same = |unit: &str, given: &str| !given.trim().is_empty() && bare(unit) == bare(given);
    let Some((p, _)) = provinces().into_iter().find(|(_, name)| same(name, province)) else { return (None, None) };
    let c = communes_of(&p).into_iter().find(|(_, name)| same(name, commune)).map(|(c, _)| c);
    (Some(p), c)
}

/// Checks answers against `form` on `today`, as a submission would: the problems, each at
/// its field.
pub fn problems(form: &FormDef, given: &serde_json::Value, today: jiff::civil::Date) -> Vec<FieldProblem> {
    match form.check(given, divisions(), today) {
        Ok(_) => Vec::new(),
        Err(errors) => {
            errors.into_iter().map(|f| FieldProblem { path: f.path, label: f.label, message: f.message }).collect()
        }
    }
}

impl Places for Divisions {
    fn is_province(&self, code: &str) -> bool {
        matches!(self.parent.get(code), Some(None))
    }
    fn is_commune_of(&self, commune: &str, province: &str) -> bool {
        matches!(self.parent.get(commune), Some(Some(p)) if p == province)
    }
}

/// Checks the declaration given with a submission of `procedure` on `today`: what the dossier
/// keeps, or 400 `invalid_declaration` with every problem at its field.
pub fn check(
    procedure: &Procedure,
    given: Option<&serde_json::Value>,
    today: jiff::civil::Date,
) -> AppResult<Option<Declaration>> {
    let Some(given) = given else { return Ok(None) };
    let Some(form) = of_procedure(procedure) else {
        return Err(AppError::bad_request(
            ErrorCode::InvalidDeclaration,
            "Thủ tục này không có tờ khai điện tử; hãy nộp tờ khai dạng tệp",
        ));
    };
    match form.check(given, divisions(), today) {
        Ok(answers) => Ok(Some(Declaration { form: form.code.clone(), answers: answers.0 })),
        Err(errors) => Err(invalid(form, &errors)),
    }
}

/// A declaration as people read it: its form's title and basis, and each section's fields
/// with their values written out (dates dd/mm/yyyy, Có/Không, addresses with the names of
/// their commune and province, a group's rows one by one).
pub struct DeclarationView {
    pub code: String,
    pub title: String,
    pub basis: String,
    /// (section title, [(label, value)])
    pub sections: Vec<(String, Vec<(String, String)>)>,
}

/// How `d` reads, by its form (None if motcua no longer ships that form).
pub fn display(d: &Declaration) -> Option<DeclarationView> {
    let form = form(&d.form)?;
    let sections = form
        .sections
        .iter()
        .map(|s| {
            let mut rows = Vec::new();
            for f in &s.fields {
                match (&f.kind, d.answers.get(&f.name)) {
                    (_, None) => rows.push((f.label.clone(), String::new())),
                    (FieldKind::Group { fields, .. }, Some(serde_json::Value::Array(items))) => {
                        for (i, item) in items.iter().enumerate() {
                            let parts: Vec<String> = fields
                                .iter()
                                .filter_map(|g| {
                                    item.get(&g.name).map(|v| format!("{}: {}", g.label, written(&g.kind, v)))
                                })
                                .collect();
                            rows.push((format!("{} ({})", f.label, i + 1), parts.join("; ")));
                        }
                    }
                    (kind, Some(v)) => rows.push((f.label.clone(), written(kind, v))),
                }
            }
            (s.title.clone(), rows)
        })
        .collect();
    Some(DeclarationView { code: form.code.clone(), title: form.title.clone(), basis: form.basis.clone(), sections })
}

fn written(kind: &FieldKind, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match (kind, v) {
        (FieldKind::Date { .. }, Value::String(s)) => {
            s.parse::<jiff::civil::Date>().map(|d| d.strftime("%d/%m/%Y").to_string()).unwrap_or_else(|_| s.clone())
        }
        (FieldKind::YesNo, Value::Bool(b)) => if *b { "Có" } else { "Không" }.to_owned(),
        (FieldKind::Address, Value::Object(m)) => {
            let part = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
            let named = |code: &str| divisions().name.get(code).cloned().unwrap_or_else(|| code.to_owned());
            format!("{}, {}, {}", part("detail"), named(part("commune")), named(part("province")))
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn invalid(form: &FormDef, errors: &[FieldError]) -> AppError {
    let first: Vec<String> = errors.iter().take(3).map(|e| format!("{}: {}", e.label, e.message)).collect();
    let more = if errors.len() > 3 { format!(" và {} chỗ khác", errors.len() - 3) } else { String::new() };
    let mut e = AppError::bad_request(
        ErrorCode::InvalidDeclaration,
        format!("{} chưa hợp lệ — {}{more}", form.title, first.join("; ")),
    );
    e.fields = errors
        .iter()
        .map(|f| FieldProblem { path: f.path.clone(), label: f.label.clone(), message: f.message.clone() })
        .collect();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_form_reads_under_its_code() {
        for code in codes() {
            assert_eq!(form(code).map(|f| f.code.as_str()), Some(code));
        }
        assert_eq!(forms().len(), SOURCES.len());
    }

    #[test]
    fn addresses_choose_from_the_2025_divisions() {
        let d = divisions();
        assert!(d.is_province("22") && d.is_province("01"));
        assert!(!d.is_province("06688"), "a commune is not a province");
        assert!(d.is_commune_of("06688", "22"), "Phường Hạ Long is in Quảng Ninh");
        assert!(!d.is_commune_of("06688", "01"));
        assert!(!d.is_commune_of("22", "22"));
    }

    #[test]
    fn places_are_found_by_the_names_people_write() {
        let want = (Some("22".to_owned()), Some("06688".to_owned()));
        assert_eq!(place_codes("Quảng Ninh", "Phường Hạ Long"), want);
        assert_eq!(place_codes("tinh quang ninh", "ha long"), want, "without diacritics or the unit's kind");
        assert_eq!(place_codes("Quảng Ninh", "Phường Không Có"), (Some("22".to_owned()), None));
        assert_eq!(place_codes("Long", "Hạ Long"), (None, None), "a part of a name is not the name");
        assert_eq!(place_codes("", ""), (None, None));
    }
}

//! Declarations as data (e-forms): a procedure's declaration (tờ khai) as sections of typed
//! fields — text, number, date, yes/no, one-of, CCCD, phone, e-mail, an address in the 2025
//! province → commune list, and repeating groups such as household members — each required
//! or not, with help text and what to prefill it from, and rules between fields.
//!
//! A definition is read from JSON once ([`FormDef::parse`]) and checked whole: names unique
//! and well-formed, choices and bounds sane, every rule naming fields that exist with kinds
//! it can compare. The answers a citizen gives are then checked field by field
//! ([`FormDef::check`], in `answers.rs`) into normalised answers, or into every problem at once,
//! each with the path of its field, for an error summary that links to it.

mod answers;

pub use answers::{Answers, FieldError, Places, parse_date};

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A declaration filled in online: its form's code and the answers, in normal form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Declaration {
    #[schema(example = "CT01")]
    pub form: String,
    /// Field name → value (dates `yyyy-mm-dd`, yes/no as booleans, an address as
    /// `{province, commune, detail}`, a group as a list of such objects).
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// A checked declaration form.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FormDef {
    /// Short code of the official form (`CT01`, `TK-KS`).
    pub code: String,
    pub title: String,
    /// The instrument that issues the form ("Mẫu CT01 ban hành kèm theo Thông tư 66/2023/TT-BCA").
    pub basis: String,
    pub sections: Vec<Section>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub title: String,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldDef {
    /// `[a-z][a-z0-9_]*`, unique in its form (a group's fields: unique in the group).
    pub name: String,
    pub label: String,
    #[schema(no_recursion)]
    pub kind: FieldKind,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// Up to `max` characters; `lines` > 1 for a paragraph.
    Text {
        max: usize,
        lines: u8,
    },
    Number {
        min: i64,
        max: i64,
    },
    /// A day; `past`: not after the day it is declared.
    Date {
        past: bool,
    },
    YesNo,
    OneOf {
        choices: Vec<String>,
    },
    Cccd,
    Phone,
    Email,
    /// Province and commune codes from the 2025 list, and the street address.
    Address,
    /// Repeating rows of `fields` (household members), between `min` and `max` of them.
    Group {
        fields: Vec<FieldDef>,
        min: usize,
        max: usize,
    },
}

/// Where a field's first value comes from: the verified identity and the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    FullName,
    Cccd,
    BirthDate,
    Sex,
    PermanentAddress,
    Phone,
    Email,
}

/// A rule between fields (top-level fields only).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// `field` is required when `when` has the value `equals`.
    RequiredIf {
        field: String,
        when: String,
        #[schema(value_type = Value)]
        equals: serde_json::Value,
        message: String,
    },
    /// Date `field` is not before date `other`.
    NotBefore { field: String, other: String, message: String },
    /// `field` and `other` differ (the applicant is not their own witness).
    Different { field: String, other: String, message: String },
}

// ---------------------------------------------------------------------------------------
// Reading a definition

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    code: String,
    title: String,
    basis: String,
    sections: Vec<RawSection>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    title: String,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    label: String,
    kind: String,
    #[serde(default)]
    required: bool,
    help: Option<String>,
    prefill: Option<Prefill>,
    max: Option<i64>,
    min: Option<i64>,
    lines: Option<u8>,
    #[serde(default)]
    past: bool,
    choices: Option<Vec<String>>,
    fields: Option<Vec<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "rule", rename_all = "snake_case")]
enum RawRule {
    RequiredIf { field: String, when: String, equals: serde_json::Value, message: String },
    NotBefore { field: String, other: String, message: String },
    Different { field: String, other: String, message: String },
}

fn bad(form: &str, what: impl std::fmt::Display) -> DomainError {
    DomainError::Invalid(format!("Mẫu tờ khai {form} không hợp lệ: {what}"))
}

fn field(form: &str, raw: RawField, nested: bool) -> Result<FieldDef, DomainError> {
    let name_ok = raw.name.len() <= 40
        && raw.name.starts_with(|c: char| c.is_ascii_lowercase())
        && raw.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(bad(form, format_args!("tên trường «{}»", raw.name)));
    }
    if raw.label.trim().is_empty() {
        return Err(bad(form, format_args!("trường {} không có nhãn", raw.name)));
    }
    let n = &raw.name;
    let kind = match raw.kind.as_str() {
        "text" => {
            let max = raw.max.unwrap_or(200);
            if !(1..=4000).contains(&max) {
                return Err(bad(form, format_args!("{n}: độ dài tối đa phải từ 1 đến 4000")));
            }
            FieldKind::Text { max: usize::try_from(max).unwrap_or(200), lines: raw.lines.unwrap_or(1).clamp(1, 12) }
        }
        "number" => {
            let (min, max) = (raw.min.unwrap_or(0), raw.max.unwrap_or(i64::from(u32::MAX)));
            if min > max {
                return Err(bad(form, format_args!("{n}: min lớn hơn max")));
            }
            FieldKind::Number { min, max }
        }
        "date" => FieldKind::Date { past: raw.past },
        "yes_no" => FieldKind::YesNo,
        "one_of" => {
            let choices = raw.choices.unwrap_or_default();
            let mut seen = std::collections::HashSet::new();
            if choices.len() < 2 || choices.iter().any(|c| c.trim().is_empty() || !seen.insert(c.as_str())) {
                return Err(bad(form, format_args!("{n}: cần ít nhất hai lựa chọn khác nhau")));
            }
            FieldKind::OneOf { choices }
        }
        "cccd" => FieldKind::Cccd,
        "phone" => FieldKind::Phone,
        "email" => FieldKind::Email,
        "address" => FieldKind::Address,
        "group" if !nested => {
            let inner = raw.fields.unwrap_or_default();
            if inner.is_empty() {
                return Err(bad(form, format_args!("{n}: nhóm không có trường nào")));
            }
            let fields = unique(form, inner.into_iter().map(|f| field(form, f, true)).collect::<Result<_, _>>()?)?;
            let min = usize::try_from(raw.min.unwrap_or(0)).map_err(|_| bad(form, format_args!("{n}: min")))?;
            let max = usize::try_from(raw.max.unwrap_or(20)).map_err(|_| bad(form, format_args!("{n}: max")))?;
            if min > max || max == 0 || max > 50 {
                return Err(bad(form, format_args!("{n}: số dòng phải trong khoảng 1–50")));
            }
            FieldKind::Group { fields, min, max }
        }
        "group" => return Err(bad(form, format_args!("{n}: nhóm không lồng trong nhóm"))),
        other => return Err(bad(form, format_args!("{n}: loại trường «{other}» không có"))),
    };
    Ok(FieldDef {
        name: raw.name,
        label: raw.label,
        kind,
        required: raw.required,
        help: raw.help,
        prefill: raw.prefill,
    })
}

fn unique(form: &str, fields: Vec<FieldDef>) -> Result<Vec<FieldDef>, DomainError> {
    let mut seen = std::collections::HashSet::new();
    for f in &fields {
        if !seen.insert(f.name.as_str()) {
            return Err(bad(form, format_args!("trường {} trùng tên", f.name)));
        }
    }
    Ok(fields)
}

impl FormDef {
    /// Reads and checks a definition (see the module's documentation).
    pub fn parse(json: &str) -> Result<Self, DomainError> {
        let raw: RawForm = serde_json::from_str(json).map_err(|e| bad("?", e))?;
        let code = raw.code;
        if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(bad(&code, "mã mẫu"));
        }
        if raw.sections.is_empty() || raw.sections.iter().any(|s| s.fields.is_empty() || s.title.trim().is_empty()) {
            return Err(bad(&code, "mỗi phần cần tiêu đề và ít nhất một trường"));
        }
        let mut sections = Vec::with_capacity(raw.sections.len());
        for s in raw.sections {
            let fields = s.fields.into_iter().map(|f| field(&code, f, false)).collect::<Result<_, _>>()?;
            sections.push(Section { title: s.title, fields });
        }
        let all: Vec<FieldDef> = sections.iter().flat_map(|s| s.fields.iter().cloned()).collect();
        unique(&code, all)?;
        let mut form = Self { code, title: raw.title, basis: raw.basis, sections, rules: Vec::new() };
        for r in raw.rules {
            let rule = match r {
                RawRule::RequiredIf { field, when, equals, message } => {
                    form.top(&field)?;
                    form.top(&when)?;
                    Rule::RequiredIf { field, when, equals, message }
                }
                RawRule::NotBefore { field, other, message } => {
                    for f in [&field, &other] {
                        if !matches!(form.top(f)?.kind, FieldKind::Date { .. }) {
                            return Err(bad(&form.code, format_args!("quy tắc not_before: {f} không phải ngày")));
                        }
                    }
                    Rule::NotBefore { field, other, message }
                }
                RawRule::Different { field, other, message } => {
                    form.top(&field)?;
                    form.top(&other)?;
                    Rule::Different { field, other, message }
                }
            };
            form.rules.push(rule);
        }
        Ok(form)
    }

    /// Every top-level field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    /// The top-level field `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields().find(|f| f.name == name)
    }

    fn top(&self, name: &str) -> Result<&FieldDef, DomainError> {
        self.field(name).ok_or_else(|| bad(&self.code, format_args!("quy tắc nói tới trường {name} không có")))
    }
}

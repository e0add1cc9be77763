//! Checking a citizen's answers against a [`FormDef`]: each value parsed by its field's kind
//! into its normal form (dates as `yyyy-mm-dd`, CCCD and phone numbers as the domain parses
//! them, yes/no as booleans), required fields present, groups within their row counts, then
//! the rules between fields. Every problem is reported at once, at the path of its field
//! (`thanh_vien[1].so_dinh_danh`), in Vietnamese.

use jiff::civil::Date;
use serde_json::{Map, Value};

use super::{FieldDef, FieldKind, FormDef, Rule};
use crate::{Cccd, Email, Phone};

/// The 2025 administrative divisions, as the form needs them.
pub trait Places {
    fn is_province(&self, code: &str) -> bool;
    /// Whether `commune` is a commune (xã, phường, đặc khu) of `province`.
    fn is_commune_of(&self, commune: &str, province: &str) -> bool;
}

/// Answers checked against their form, in normal form: what the dossier stores.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers(pub Map<String, Value>);

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// `name`, or `group[row].name` (rows from 0).
    pub path: String,
    pub label: String,
    pub message: String,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(crate::text::nfc(s.trim())),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_owned()),
        _ => None,
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(m) => m.values().all(is_blank),
        Value::Array(a) => a.iter().all(is_blank),
        _ => false,
    }
}

/// A day written `dd/mm/yyyy` (as people write it) or `yyyy-mm-dd` (as browsers send it).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let mut parts = s.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

struct Checker<'a> {
    places: &'a dyn Places,
    today: Date,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &str, f: &FieldDef, message: impl Into<String>) {
        self.errors.push(FieldError { path: path.to_owned(), label: f.label.clone(), message: message.into() });
    }

    /// One value of `f` at `path`: its normal form, or None (blank, or wrong: then reported).
    fn value(&mut self, path: &str, f: &FieldDef, given: Option<&Value>) -> Option<Value> {
        let Some(v) = given.filter(|v| !is_blank(v)) else {
            if f.required {
                self.fail(path, f, format!("Chưa nhập {}", f.label.to_lowercase()));
            }
            return None;
        };
        let text = text_of(v);
        let out = match (&f.kind, text.as_deref()) {
            (FieldKind::Text { max, .. }, Some(s)) => {
                if s.chars().count() > *max {
                    Err(format!("Tối đa {max} ký tự"))
                } else if s.chars().any(|c| (c.is_control() && c != '\n') || crate::text::is_deceptive_format(c)) {
                    Err("Có ký tự không hợp lệ".to_owned())
                } else {
                    Ok(Value::String(s.to_owned()))
                }
            }
            (FieldKind::Number { min, max }, Some(s)) => match s.replace('.', "").parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Ok(Value::from(n)),
                Ok(_) => Err(format!("Phải từ {min} đến {max}")),
                Err(_) => Err("Phải là một số nguyên".to_owned()),
            },
            (FieldKind::Date { past }, Some(s)) => match parse_date(s) {
                Some(d) if *past && d > self.today => Err("Không được sau ngày hôm nay".to_owned()),
                Some(d) if d.year() < 1900 => Err("Năm phải từ 1900 trở đi".to_owned()),
                Some(d) => Ok(Value::String(d.to_string())),
                None => Err("Ngày không hợp lệ (viết dd/mm/yyyy)".to_owned()),
            },
            (FieldKind::YesNo, Some(s)) => match s.to_lowercase().as_str() {
                "true" | "1" | "co" | "có" | "yes" => Ok(Value::Bool(true)),
                "false" | "0" | "khong" | "không" | "no" => Ok(Value::Bool(false)),
                _ => Err("Chọn Có hoặc Không".to_owned()),
            },
            (FieldKind::OneOf { choices }, Some(s)) => match choices.iter().find(|c| c.as_str() == s) {
                Some(c) => Ok(Value::String(c.clone())),
                None => Err(format!("Chọn một trong: {}", choices.join(", "))),
            },
            (FieldKind::Cccd, Some(s)) => {
                Cccd::parse(s).map(|c| Value::String(c.as_str().to_owned())).map_err(|e| e.to_string())
            }
            (FieldKind::Phone, Some(s)) => {
                Phone::parse(s).map(|p| Value::String(p.as_str().to_owned())).map_err(|e| e.to_string())
            }
            (FieldKind::Email, Some(s)) => {
                Email::parse(s).map(|e| Value::String(e.as_str().to_owned())).map_err(|e| e.to_string())
            }
            (FieldKind::Address, _) => return self.address(path, f, v),
            (FieldKind::Group { .. }, _) => return self.group(path, f, v),
            (_, None) => Err("Giá trị không hợp lệ".to_owned()),
        };
        match out {
            Ok(v) => Some(v),
            Err(m) => {
                self.fail(path, f, m);
                None
            }
        }
    }

    fn address(&mut self, path: &str, f: &FieldDef, v: &Value) -> Option<Value> {
        let Value::Object(m) = v else {
            self.fail(path, f, "Địa chỉ gồm tỉnh/thành phố, xã/phường và số nhà, đường phố");
            return None;
        };
        let get = |k: &str| m.get(k).and_then(text_of).unwrap_or_default();
        let (province, commune, detail) = (get("province"), get("commune"), get("detail"));
        if !self.places.is_province(&province) {
            self.fail(&format!("{path}.province"), f, "Chọn tỉnh, thành phố");
            return None;
        }
        if !self.places.is_commune_of(&commune, &province) {
            self.fail(&format!("{path}.commune"), f, "Chọn xã, phường, đặc khu thuộc tỉnh, thành phố đã chọn");
            return None;
        }
        if detail.is_empty() || detail.chars().count() > 200 || detail.chars().any(char::is_control) {
            self.fail(&format!("{path}.detail"), f, "Ghi số nhà, đường phố, thôn, tổ (tối đa 200 ký tự)");
            return None;
        }
        let mut out = Map::new();
        out.insert("province".into(), Value::String(province));
        out.insert("commune".into(), Value::String(commune));
        out.insert("detail".into(), Value::String(detail));
        Some(Value::Object(out))
    }

    fn group(&mut self, path: &str, f: &FieldDef, v: &Value) -> Option<Value> {
        let FieldKind::Group { fields, min, max } = &f.kind else { return None };
        let Value::Array(rows) = v else {
            self.fail(path, f, "Phải là danh sách");
            return None;
        };
        let rows: Vec<&Value> = rows.iter().filter(|r| !is_blank(r)).collect();
        if rows.len() > *max {
            self.fail(path, f, format!("Tối đa {max} dòng"));
            return None;
        }
        if rows.len() < (*min).max(usize::from(f.required)) {
            self.fail(path, f, format!("Cần ít nhất {} dòng", (*min).max(1)));
            return None;
        }
        let before = self.errors.len();
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let Value::Object(given) = row else {
                self.fail(&format!("{path}[{i}]"), f, "Dòng không hợp lệ");
                continue;
            };
            out.push(Value::Object(self.fields(&format!("{path}[{i}]."), fields, given)));
        }
        (self.errors.len() == before).then_some(Value::Array(out))
    }

    /// The fields of one object (the form, or one row of a group) under `prefix`.
    fn fields(&mut self, prefix: &str, fields: &[FieldDef], given: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for f in fields {
            let path = format!("{prefix}{}", f.name);
            if let Some(v) = self.value(&path, f, given.get(&f.name)) {
                out.insert(f.name.clone(), v);
            }
        }
        for k in given.keys().filter(|k| !fields.iter().any(|f| &f.name == *k)) {
            self.errors.push(FieldError {
                path: format!("{prefix}{k}"),
                label: crate::text::truncate_for_message(k),
                message: "Tờ khai không có trường này".to_owned(),
            });
        }
        out
    }
}

impl FormDef {
    /// Checks `given` (a JSON object of field name → value) on day `today`: the answers in
    /// normal form, or every problem found.
    pub fn check(&self, given: &Value, places: &dyn Places, today: Date) -> Result<Answers, Vec<FieldError>> {
        let mut c = Checker { places, today, errors: Vec::new() };
        let Value::Object(given) = given else {
            let whole = FieldError {
                path: String::new(),
                label: self.title.clone(),
                message: "Tờ khai phải là một đối tượng JSON".into(),
            };
            return Err(vec![whole]);
        };
        let all: Vec<FieldDef> = self.fields().cloned().collect();
        let answers = c.fields("", &all, given);
        for rule in &self.rules {
            match rule {
                Rule::RequiredIf { field, when, equals, message } => {
                    if answers.get(when) == Some(equals)
                        && !answers.contains_key(field)
                        && !c.errors.iter().any(|e| &e.path == field)
                    {
                        c.errors.push(self.error(field, message));
                    }
                }
                Rule::NotBefore { field, other, message } => {
                    let day = |k: &str| answers.get(k).and_then(Value::as_str).and_then(parse_date);
                    if let (Some(a), Some(b)) = (day(field), day(other))
                        && a < b
                    {
                        c.errors.push(self.error(field, message));
                    }
                }
                Rule::Different { field, other, message } => {
                    if let (Some(a), Some(b)) = (answers.get(field), answers.get(other))
                        && a == b
                    {
                        c.errors.push(self.error(field, message));
                    }
                }
            }
        }
        if c.errors.is_empty() { Ok(Answers(answers)) } else { Err(c.errors) }
    }

    fn error(&self, field: &str, message: &str) -> FieldError {
        let label = self.field(field).map(|f| f.label.clone()).unwrap_or_default();
        FieldError { path: field.to_owned(), label, message: message.to_owned() }
    }
}

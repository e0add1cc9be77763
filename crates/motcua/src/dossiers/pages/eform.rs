//! A procedure's declaration on the submission page: its e-form rendered as fields (named
//! `tk.<field>`, `tk.<field>.province|commune|detail` for an address, `tk.<group>.<row>.<field>`
//! for a group's rows), read back from the posted form into answers as typed, prefilled from
//! the account the first time, with each field's problem beside it.

use std::collections::HashMap;

use motcua_domain::Account;
use motcua_domain::eform::{FieldDef, FieldKind, FormDef, Prefill};
use motcua_domain::identity::IdentityProfile;
use serde_json::{Map, Value};

use crate::catalog::declarations;

/// The form as the page shows it.
pub struct EformView {
    pub title: String,
    pub basis: String,
    pub sections: Vec<(String, Vec<FieldView>)>,
    /// The section shown open (one at a time): the first with a problem, else the first.
    pub open: usize,
}

impl FieldView {
    /// Whether it, or a field of its rows, has a problem.
    fn faulty(&self) -> bool {
        !self.error.is_empty()
            || matches!(&self.widget, Widget::Group { rows } if rows.iter().flatten().any(FieldView::faulty))
    }
}

/// One field: its input's id and name, what it shows, and its problem if any.
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    pub error: String,
    pub widget: Widget,
}

pub enum Widget {
    Text {
        value: String,
        max: usize,
        lines: u8,
        mode: &'static str,
        kind: &'static str,
    },
    Date {
        value: String,
    },
    YesNo {
        value: String,
    },
    Select {
        value: String,
        choices: Vec<String>,
    },
    Address {
        province: String,
        commune: String,
        detail: String,
        provinces: Vec<(String, String)>,
        communes: Vec<(String, String)>,
    },
    Group {
        rows: Vec<Vec<FieldView>>,
    },
}

/// The id of the input at `path` (`thanh_vien[0].ho_ten` → `tk-thanh_vien-0-ho_ten`), the
/// anchor the error summary links to.
pub fn anchor(path: &str) -> String {
    let mut id = String::from("tk-");
    for c in path.chars() {
        id.push(match c {
            '.' | '[' => '-',
            ']' => continue,
            c => c,
        });
    }
    id
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "co" } else { "khong" }.to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn field_view(f: &FieldDef, path: &str, value: Option<&Value>, errors: &HashMap<String, String>) -> FieldView {
    let name = format!("tk.{}", path.replace('[', ".").replace(']', ""));
    let widget = match &f.kind {
        FieldKind::Text { max, lines } => {
            Widget::Text { value: text(value), max: *max, lines: *lines, mode: "text", kind: "text" }
        }
        FieldKind::Number { .. } => {
            Widget::Text { value: text(value), max: 12, lines: 1, mode: "numeric", kind: "text" }
        }
        FieldKind::Cccd => Widget::Text { value: text(value), max: 12, lines: 1, mode: "numeric", kind: "text" },
        FieldKind::Phone => Widget::Text { value: text(value), max: 15, lines: 1, mode: "tel", kind: "tel" },
        FieldKind::Email => Widget::Text { value: text(value), max: 254, lines: 1, mode: "email", kind: "email" },
        FieldKind::Date { .. } => {
            // The date input wants yyyy-mm-dd; what was typed as dd/mm/yyyy is shown that way.
            let raw = text(value);
            let value = motcua_domain::eform::parse_date(&raw).map(|d| d.to_string()).unwrap_or(raw);
            Widget::Date { value }
        }
        FieldKind::YesNo => Widget::YesNo { value: text(value) },
        FieldKind::OneOf { choices } => Widget::Select { value: text(value), choices: choices.clone() },
        FieldKind::Address => {
            let part = |k: &str| value.and_then(|v| v.get(k)).map(|v| text(Some(v))).unwrap_or_default();
            let province = Some(part("province")).filter(|p| !p.is_empty()).unwrap_or_else(|| "22".to_owned());
            let communes = declarations::communes_of(&province);
            Widget::Address {
                commune: part("commune"),
                detail: part("detail"),
                provinces: declarations::provinces(),
                communes,
                province,
            }
        }
        FieldKind::Group { fields, max, .. } => {
            let given: Vec<&Value> = match value {
                Some(Value::Array(rows)) => rows.iter().collect(),
                _ => Vec::new(),
            };
            // The rows given, and one more to fill in (saving the draft adds another).
            let count = (given.len() + 1).min(*max);
            let rows = (0..count)
                .map(|i| {
                    let row = given.get(i).copied();
                    fields
                        .iter()
                        .map(|g| {
                            field_view(g, &format!("{path}[{i}].{}", g.name), row.and_then(|r| r.get(&g.name)), errors)
                        })
                        .collect()
                })
                .collect();
            Widget::Group { rows }
        }
    };
    let error = errors
        .iter()
        .filter(|(p, _)| *p == path || p.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
        .map(|(_, m)| m.clone())
        .collect::<Vec<_>>()
        .join("; ");
    FieldView {
        id: anchor(path),
        name,
        label: f.label.clone(),
        help: f.help.clone().unwrap_or_default(),
        required: f.required,
        error,
        widget,
    }
}

/// The procedure's declaration as an e-form, and the index of the component it stands for.
pub fn of(p: &motcua_domain::Procedure) -> Option<(&'static FormDef, usize)> {
    p.components.iter().enumerate().find_map(|(i, c)| c.eform.as_deref().and_then(declarations::form).map(|f| (f, i)))
}

/// The e-form, when the citizen fills it in: the procedure has one, and no signed paper is
/// attached for it instead (`attached`: the components that have a file).
pub fn used(p: &motcua_domain::Procedure, mut attached: impl Iterator<Item = usize>) -> Option<&'static FormDef> {
    let (form, at) = of(p)?;
    (!attached.any(|c| c == at)).then_some(form)
}

/// The declaration's answers: as saved in the draft, else what the account tells.
pub fn answers(form: &FormDef, saved: Option<&Map<String, Value>>, account: &Account) -> Map<String, Value> {
    saved.cloned().unwrap_or_else(|| prefilled(form, account, None))
}

/// `answers` checked as a submission would check them: the error summary's entries (anchor,
/// "label: problem") and the form with each problem beside its field.
pub fn checked(form: &FormDef, answers: &Map<String, Value>) -> (Vec<(String, String)>, EformView) {
    let today = jiff::Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
    let mut summary = Vec::new();
    let mut at = HashMap::new();
    for p in declarations::problems(form, &Value::Object(answers.clone()), today) {
        summary.push((anchor(&p.path), format!("{}: {}", p.label, p.message)));
        at.insert(p.path, p.message);
    }
    (summary, view(form, answers, &at))
}

/// The page's view of `form` with `answers` and the problems found (path → message).
pub fn view(form: &FormDef, answers: &Map<String, Value>, errors: &HashMap<String, String>) -> EformView {
    let sections: Vec<(String, Vec<FieldView>)> = form
        .sections
        .iter()
        .map(|s| {
            (s.title.clone(), s.fields.iter().map(|f| field_view(f, &f.name, answers.get(&f.name), errors)).collect())
        })
        .collect();
    let open = sections.iter().position(|(_, fields)| fields.iter().any(FieldView::faulty)).unwrap_or(0);
    EformView { title: form.title.clone(), basis: form.basis.clone(), sections, open }
}

/// The answers the account, and the identity the provider vouched for (if the citizen ever
/// signed in through it), give before anything is typed.
pub fn prefilled(form: &FormDef, account: &Account, identity: Option<&IdentityProfile>) -> Map<String, Value> {
    let sex = |s: motcua_domain::Sex| match s {
        motcua_domain::Sex::Male => "Nam".to_owned(),
        motcua_domain::Sex::Female => "Nữ".to_owned(),
    };
    let mut out = Map::new();
    for f in form.fields() {
        let v = match f.prefill {
            Some(Prefill::FullName) => Some(Value::String(account.full_name.to_string())),
            Some(Prefill::Cccd) => account.cccd.as_ref().map(|c| Value::String(c.as_str().to_owned())),
            Some(Prefill::Phone) => account.phone.as_ref().map(|p| Value::String(p.as_str().to_owned())),
            Some(Prefill::Email) => account.email.as_ref().map(|e| Value::String(e.as_str().to_owned())),
            Some(Prefill::Sex) => identity
                .and_then(|i| i.sex)
                .or_else(|| account.cccd.as_ref().map(|c| c.sex()))
                .map(|s| Value::String(sex(s))),
            Some(Prefill::BirthDate) => {
                identity.and_then(|i| i.birth_date).map(|d| Value::String(d.strftime("%d/%m/%Y").to_string()))
            }
            Some(Prefill::PermanentAddress) => identity.and_then(|i| i.address.as_ref()).map(|a| {
                let (province, commune) = declarations::place_codes(&a.province, &a.commune);
                let mut m = Map::new();
                m.insert("province".into(), Value::String(province.unwrap_or_default()));
                m.insert("commune".into(), Value::String(commune.unwrap_or_default()));
                m.insert("detail".into(), Value::String(a.detail.clone()));
                Value::Object(m)
            }),
            None => None,
        };
        if let Some(v) = v {
            out.insert(f.name.clone(), v);
        }
    }
    out
}

/// A declaration not started yet starts from what the account and its verified identity tell.
pub async fn prefill(
    state: &crate::app::AppState,
    p: &motcua_domain::Procedure,
    account: &Account,
    declaration: &mut Option<Map<String, Value>>,
) {
    let Some((form, _)) = of(p) else { return };
    if declaration.is_some() {
        return;
    }
    let identity = crate::accounts::Accounts::of(state).identity_profile(account.id).await.ok().flatten();
    *declaration = Some(prefilled(form, account, identity.as_ref()));
}

/// Answers given before the form — the assistant's conversation, as `{field: value}` JSON —
/// laid over the declaration's first answers: only the form's own fields, as text or as an
/// address; anything else is left out.
pub fn overlay(p: &motcua_domain::Procedure, declaration: &mut Option<Map<String, Value>>, given: &str) {
    let Some((form, _)) = of(p) else { return };
    let Ok(Value::Object(given)) = serde_json::from_str::<Value>(given) else { return };
    let answers = declaration.get_or_insert_with(Map::new);
    for (name, value) in given {
        let fits = match form.field(&name).map(|f| &f.kind) {
            Some(FieldKind::Address) => value.as_object().is_some_and(|o| o.values().all(Value::is_string)),
            Some(FieldKind::Group { .. }) | None => false,
            Some(_) => value.is_string(),
        };
        if fits {
            answers.insert(name, value);
        }
    }
}

/// The answers posted (`tk.` fields), as typed, shaped as the form's fields.
pub fn posted(form: &FormDef, texts: &[(String, String)]) -> Map<String, Value> {
    let get =
        |name: &str| texts.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut out = Map::new();
    for f in form.fields() {
        let base = format!("tk.{}", f.name);
        let value = match &f.kind {
            FieldKind::Address => {
                let mut m = Map::new();
                for k in ["province", "commune", "detail"] {
                    if let Some(v) = get(&format!("{base}.{k}")) {
                        m.insert(k.to_owned(), Value::String(v));
                    }
                }
                // A province alone (the default) is not an answer.
                (m.contains_key("commune") || m.contains_key("detail")).then_some(Value::Object(m))
            }
            FieldKind::Group { fields, max, .. } => {
                let rows: Vec<Value> = (0..*max)
                    .filter_map(|i| {
                        let mut row = Map::new();
                        for g in fields {
                            if let Some(v) = get(&format!("{base}.{i}.{}", g.name)) {
                                row.insert(g.name.clone(), Value::String(v));
                            }
                        }
                        (!row.is_empty()).then_some(Value::Object(row))
                    })
                    .collect();
                (!rows.is_empty()).then_some(Value::Array(rows))
            }
            _ => get(&base).map(Value::String),
        };
        if let Some(v) = value {
            out.insert(f.name.clone(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One part is open at a time: the first, or the first with a problem (where the error
    /// summary's links lead).
    #[test]
    fn the_part_with_the_first_problem_is_the_one_open() {
        let form = declarations::form("TK-XNHN").expect("shipped");
        let answers = Map::new();
        assert_eq!(view(form, &answers, &HashMap::new()).open, 0);
        let second = &form.sections[1].fields[0].name;
        let errors = HashMap::from([(second.clone(), "Cần khai".to_owned())]);
        assert_eq!(view(form, &answers, &errors).open, 1);
        let (summary, shown) = checked(form, &answers);
        assert!(!summary.is_empty(), "an empty declaration has problems");
        assert_eq!(shown.open, 0, "the first part has required fields too");
    }
}

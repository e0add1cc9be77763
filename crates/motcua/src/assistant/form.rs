//! Filling a procedure's declaration (its e-form) in the conversation: after "nộp luôn" the
//! assistant asks for what the form needs, one field at a time, checks each reply as the
//! submission will, asks again with the problem when it does not fit, and ends with what was
//! gathered and the link to the submission form filled with it — to check there and submit.
//!
//! It asks what only the citizen can say: fields the account fills on the form (name, CCCD,
//! phone, e-mail, sex) are left to it, household tables to the form itself, and an address
//! only once the citizen's commune is known (its street then). The state travels with the
//! conversation ([`Filling`]): no server keeps it.

use motcua_domain::Procedure;
use motcua_domain::eform::{FieldDef, FieldKind, FormDef, Prefill};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::places::Named;
use crate::catalog::declarations;

/// A declaration being filled in the conversation (sent back as `form` with the next reply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filling {
    /// The form's code (`TK-KS`).
    pub form: String,
    /// Field → value as the citizen gave it (an address: `{province, commune, detail}`).
    #[schema(value_type = Object)]
    #[serde(default)]
    pub answers: Map<String, Value>,
    /// The field the last answer asked for: the next reply is its value.
    #[serde(default)]
    pub asking: Option<String>,
}

/// Words that stop the filling.
const STOP: &[&str] = &["thoi", "dung", "dung lai", "huy", "thoi khong khai", "stop", "cancel"];

pub fn is_stop(folded: &str) -> bool {
    STOP.contains(&folded.trim())
}

/// The form `p` is declared on, if the citizen can file it online.
pub fn form_of(p: &Procedure) -> Option<&'static FormDef> {
    (p.online != motcua_domain::OnlineLevel::None).then(|| declarations::of_procedure(p)).flatten()
}

/// A filling of `form` begun: the commune known goes into its addresses.
pub fn begin(form: &FormDef, commune: Option<&Named>) -> Filling {
    let mut answers = Map::new();
    if let Some(c) = commune {
        for f in form.fields().filter(|f| matches!(f.kind, FieldKind::Address) && f.required) {
            let mut place = Map::new();
            place.insert("province".into(), Value::String(c.province.clone()));
            place.insert("commune".into(), Value::String(c.code.clone()));
            answers.insert(f.name.clone(), Value::Object(place));
        }
    }
    Filling { form: form.code.clone(), answers, asking: None }
}

/// Whether the assistant asks for `f` (see the module's note).
fn asks_for(f: &FieldDef, answers: &Map<String, Value>) -> bool {
    let from_account =
        matches!(f.prefill, Some(Prefill::FullName | Prefill::Cccd | Prefill::Phone | Prefill::Email | Prefill::Sex));
    match f.kind {
        FieldKind::Group { .. } => false,
        FieldKind::Address => answers.get(&f.name).and_then(|a| a.get("commune")).is_some(),
        _ => !from_account,
    }
}

/// The reply taken as `f`'s value: a choice matched without accents or case, yes/no words.
fn value_of(f: &FieldDef, reply: &str, answers: &Map<String, Value>) -> Value {
    let folded = motcua_domain::text::fold(reply.trim());
    match &f.kind {
        FieldKind::OneOf { choices } => {
            // The choice itself, else the one choice the reply names ("tôi là mẹ" → "Mẹ").
            let words = format!(" {} ", folded.split(|c: char| !c.is_alphanumeric()).collect::<Vec<_>>().join(" "));
            let named: Vec<&String> =
                choices.iter().filter(|c| words.contains(&format!(" {} ", motcua_domain::text::fold(c)))).collect();
            let exact = choices.iter().find(|c| motcua_domain::text::fold(c) == folded);
            Value::String(match (exact, named.as_slice()) {
                (Some(c), _) => c.clone(),
                (None, [c]) => (*c).clone(),
                _ => reply.to_owned(),
            })
        }
        FieldKind::YesNo => Value::String(
            match folded.as_str() {
                "co" | "vang" | "da" | "dung" | "yes" => "co",
                "khong" | "ko" | "k" | "no" => "khong",
                _ => reply,
            }
            .to_owned(),
        ),
        FieldKind::Address => {
            let mut place = answers.get(&f.name).and_then(Value::as_object).cloned().unwrap_or_default();
            place.insert("detail".into(), Value::String(reply.trim().to_owned()));
            Value::Object(place)
        }
        _ => Value::String(reply.trim().to_owned()),
    }
}

/// How to ask for `f`.
fn question(f: &FieldDef, commune: Option<&Named>, left: usize) -> String {
    let hint = match &f.kind {
        FieldKind::Date { .. } => " (ngày/tháng/năm, ví dụ 05/12/2026)".to_owned(),
        FieldKind::OneOf { choices } => format!(" Chọn: {}.", choices.join(", ")),
        FieldKind::YesNo => " (có / không)".to_owned(),
        FieldKind::Cccd => " (12 chữ số)".to_owned(),
        FieldKind::Address => {
            format!(" — số nhà, đường, thôn hoặc tổ{}", commune.map(|c| format!(", ở {}", c.name)).unwrap_or_default())
        }
        _ => String::new(),
    };
    let more = if left > 1 { format!(" (còn {left} mục)") } else { String::new() };
    format!("Khai tờ khai{more}: {}?{hint}", f.label)
}

/// One step of the filling: the reply (if one was awaited) taken, then the next field asked
/// — the lines to say — or None when nothing is left to ask.
pub fn step(fill: &mut Filling, reply: Option<&str>, commune: Option<&Named>) -> Option<String> {
    let form = declarations::form(&fill.form)?;
    let today = jiff::Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
    let mut said = None;
    if let (Some(name), Some(reply)) = (fill.asking.take(), reply)
        && let Some(f) = form.field(&name)
    {
        let value = value_of(f, reply, &fill.answers);
        fill.answers.insert(name.clone(), value);
        said = Some(name);
    }
    let problems = declarations::problems(form, &Value::Object(fill.answers.clone()), today);
    let at = |name: &str, path: &str| path == name || path.strip_prefix(name).is_some_and(|r| r.starts_with('.'));
    // The reply did not fit: say why and ask again.
    if let Some(name) = &said
        && let Some(p) = problems.iter().find(|p| at(name, &p.path))
    {
        let f = form.field(name)?;
        if p.path.ends_with(".province") || p.path.ends_with(".commune") {
            // An address whose place does not hold (a state made by hand): left to the form.
            fill.answers.remove(name);
            return step(fill, None, commune);
        }
        fill.answers.remove(name);
        if matches!(f.kind, FieldKind::Address) {
            fill.answers.insert(name.clone(), begin_place(fill, name));
        }
        fill.asking = Some(name.clone());
        return Some(format!("Chưa đúng: {}. {}", p.message, question(f, commune, 1)));
    }
    let wanted: Vec<&FieldDef> =
        form.fields().filter(|f| asks_for(f, &fill.answers) && problems.iter().any(|p| at(&f.name, &p.path))).collect();
    let next = wanted.first()?;
    fill.asking = Some(next.name.clone());
    Some(question(next, commune, wanted.len()))
}

/// An address's province and commune kept when its street did not fit.
fn begin_place(fill: &Filling, name: &str) -> Value {
    let mut place = fill.answers.get(name).and_then(Value::as_object).cloned().unwrap_or_default();
    place.remove("detail");
    Value::Object(place)
}

/// What was gathered, field by field, to read before the form.
pub fn summary(fill: &Filling) -> Vec<String> {
    let Some(form) = declarations::form(&fill.form) else { return Vec::new() };
    form.fields()
        .filter_map(|f| {
            let v = fill.answers.get(&f.name)?;
            let shown = match v {
                Value::String(s) if matches!(f.kind, FieldKind::YesNo) => {
                    if s == "co" {
                        "Có".to_owned()
                    } else {
                        "Không".to_owned()
                    }
                }
                Value::String(s) => s.clone(),
                Value::Object(o) => o.get("detail").and_then(Value::as_str).unwrap_or_default().to_owned(),
                _ => return None,
            };
            (!shown.is_empty()).then(|| format!("- {}: {shown}", f.label))
        })
        .collect()
}

/// The submission form of `p`, opened with the answers gathered (and the office, if chosen).
pub fn review_url(p: &Procedure, office: Option<&str>, fill: &Filling) -> String {
    let form = declarations::form(&fill.form);
    let answers: Map<String, Value> = fill
        .answers
        .iter()
        .filter(|(k, _)| form.is_some_and(|f| f.field(k).is_some()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let answers = serde_json::to_string(&answers).unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(o) = office {
        query.append_pair("noi", o);
    }
    query.append_pair("tk", &answers);
    format!("/nop-ho-so/{}?{}", p.code, query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> &'static FieldDef {
        declarations::form("TK-KS").and_then(|f| f.field(name)).expect("a field of TK-KS")
    }

    #[test]
    fn a_reply_is_read_as_the_field_wants_it() {
        let none = Map::new();
        assert_eq!(value_of(field("quan_he"), "tôi là mẹ", &none), Value::String("Mẹ".into()));
        assert_eq!(value_of(field("quan_he"), "ME", &none), Value::String("Mẹ".into()));
        // Naming two choices is no choice: kept as said, and the check will say so.
        assert_eq!(value_of(field("quan_he"), "ông bà", &none), Value::String("ông bà".into()));
        assert_eq!(value_of(field("co_cha"), "Không", &none), Value::String("khong".into()));
        let mut known = Map::new();
        known.insert("noi_cu_tru".into(), serde_json::json!({"province": "22", "commune": "06688"}));
        assert_eq!(
            value_of(field("noi_cu_tru"), " số 5 ", &known),
            serde_json::json!({"province": "22", "commune": "06688", "detail": "số 5"})
        );
    }

    #[test]
    fn the_filling_asks_checks_and_ends() {
        let form = declarations::form("TK-XNHN").expect("TK-XNHN");
        let mut fill = begin(form, None);
        step(&mut fill, None, None).expect("a field to ask");
        let mut asked = Vec::new();
        while let Some(name) = fill.asking.clone() {
            assert!(asked.len() < 20, "{asked:?}");
            asked.push(name.clone());
            let reply = match name.as_str() {
                // A wrong number the first time: asked again, with the reason.
                "so_ban" if asked.iter().filter(|a| *a == "so_ban").count() == 1 => "nhiều",
                "so_ban" => "2",
                "quan_he" => "bản thân",
                "ngay_sinh" => "01/02/1990",
                "tinh_trang" => "Chưa kết hôn với ai",
                _ => "Kinh",
            };
            match step(&mut fill, Some(reply), None) {
                Some(next) if reply == "nhiều" => {
                    assert!(next.starts_with("Chưa đúng: Phải là một số nguyên"), "{next}")
                }
                Some(_) => {}
                None => break,
            }
        }
        assert_eq!(asked.iter().filter(|a| *a == "so_ban").count(), 2, "{asked:?}");
        assert_eq!(fill.answers.get("so_ban"), Some(&Value::String("2".into())));
        // No commune known: the addresses are left to the form; the account's fields too.
        for left in ["noi_cu_tru", "ho_ten", "so_dinh_danh", "gioi_tinh"] {
            assert!(!asked.iter().any(|a| a == left), "{left}: {asked:?}");
        }
    }
}

//! The procedure catalog (danh mục thủ tục hành chính).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{BoundedText, DomainError, FieldCode, Name, OrgCode, ProcedureCode, Vnd};

/// Online service level (Decree 42/2022 Art. 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Toàn trình: everything online, result online or by post.
    Full,
    /// Một phần: something must be done in person.
    Partial,
    /// Not offered online.
    None,
}

impl OnlineLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Partial => "partial",
            Self::None => "none",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "full" => Ok(Self::Full),
            "partial" => Ok(Self::Partial),
            "none" => Ok(Self::None),
            _ => Err(DomainError::Invalid("mức độ trực tuyến phải là full, partial hoặc none".into())),
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Full => "Dịch vụ công trực tuyến toàn trình",
            Self::Partial => "Dịch vụ công trực tuyến một phần",
            Self::None => "Chưa cung cấp trực tuyến",
        }
    }
}

/// Level of the processing organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureLevel {
    Central,
    Province,
    Commune,
}

impl ProcedureLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Central => "central",
            Self::Province => "province",
            Self::Commune => "commune",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "central" => Ok(Self::Central),
            "province" => Ok(Self::Province),
            "commune" => Ok(Self::Commune),
            _ => Err(DomainError::Invalid("cấp thực hiện phải là central, province hoặc commune".into())),
        }
    }
}

/// Statutory time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields, try_from = "TimeLimitWire")]
pub enum TimeLimit {
    /// Giải quyết ngay / trong ngày: no receipt needed unless asked.
    Immediate,
    WorkingDays {
        value: u16,
    },
    WorkingHours {
        value: u16,
    },
    /// Some laws count plain days ("15 ngày"), weekends and holidays included.
    CalendarDays {
        value: u16,
    },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum TimeLimitWire {
    Immediate,
    WorkingDays { value: u16 },
    WorkingHours { value: u16 },
    CalendarDays { value: u16 },
}

impl TryFrom<TimeLimitWire> for TimeLimit {
    type Error = DomainError;
    fn try_from(w: TimeLimitWire) -> Result<Self, DomainError> {
        match w {
            TimeLimitWire::Immediate => Ok(Self::Immediate),
            TimeLimitWire::WorkingDays { value } => Self::working_days(value),
            TimeLimitWire::WorkingHours { value } => Self::working_hours(value),
            TimeLimitWire::CalendarDays { value } => Self::calendar_days(value),
        }
    }
}

impl TimeLimit {
    pub fn working_days(n: u16) -> Result<Self, DomainError> {
        if (1..=365).contains(&n) {
            Ok(Self::WorkingDays { value: n })
        } else {
            Err(DomainError::TimeLimit("số ngày làm việc phải từ 1 đến 365"))
        }
    }
    pub fn working_hours(n: u16) -> Result<Self, DomainError> {
        if (1..=2000).contains(&n) {
            Ok(Self::WorkingHours { value: n })
        } else {
            Err(DomainError::TimeLimit("số giờ làm việc phải từ 1 đến 2000"))
        }
    }
    pub fn calendar_days(n: u16) -> Result<Self, DomainError> {
        if (1..=365).contains(&n) {
            Ok(Self::CalendarDays { value: n })
        } else {
            Err(DomainError::TimeLimit("số ngày phải từ 1 đến 365"))
        }
    }
    /// `(kind, value)` as stored.
    pub fn parts(self) -> (&'static str, i32) {
        match self {
            Self::Immediate => ("immediate", 0),
            Self::WorkingDays { value } => ("working_days", i32::from(value)),
            Self::WorkingHours { value } => ("working_hours", i32::from(value)),
            Self::CalendarDays { value } => ("calendar_days", i32::from(value)),
        }
    }
    pub fn from_parts(kind: &str, value: i32) -> Result<Self, DomainError> {
        let v = u16::try_from(value).map_err(|_| DomainError::TimeLimit("giá trị ngoài phạm vi"))?;
        match kind {
            "immediate" => Ok(Self::Immediate),
            "working_days" => Self::working_days(v),
            "working_hours" => Self::working_hours(v),
            "calendar_days" => Self::calendar_days(v),
            _ => Err(DomainError::TimeLimit("loại thời hạn không xác định")),
        }
    }
}

impl TimeLimit {
    /// The time limit in English ("5 working days"); `Display` gives the Vietnamese.
    pub fn english(self) -> String {
        let plural = |n: u16, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
        match self {
            Self::Immediate => "Same working day".to_owned(),
            Self::WorkingDays { value } => plural(value, "working day"),
            Self::WorkingHours { value } => plural(value, "working hour"),
            Self::CalendarDays { value } => plural(value, "day"),
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Immediate => f.write_str("Giải quyết ngay trong ngày"),
            Self::WorkingDays { value } => write!(f, "{value} ngày làm việc"),
            Self::WorkingHours { value } => write!(f, "{value} giờ làm việc"),
            Self::CalendarDays { value } => write!(f, "{value} ngày"),
        }
    }
}

/// Applicant groups a fee may exempt (Luật Phí và lệ phí; the provincial council's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExemptGroup {
    /// Người có công với cách mạng.
    MeritoriousPerson,
    /// Hộ nghèo, cận nghèo.
    PoorHousehold,
    /// Người khuyết tật.
    Disabled,
    /// Trẻ em dưới 16 tuổi.
    Child,
    /// Người cao tuổi.
    Elderly,
    /// Đồng bào dân tộc thiểu số ở vùng đặc biệt khó khăn.
    EthnicMinorityHardship,
}

impl ExemptGroup {
    pub const ALL: [ExemptGroup; 6] = [
        Self::MeritoriousPerson,
        Self::PoorHousehold,
        Self::Disabled,
        Self::Child,
        Self::Elderly,
        Self::EthnicMinorityHardship,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MeritoriousPerson => "meritorious_person",
            Self::PoorHousehold => "poor_household",
            Self::Disabled => "disabled",
            Self::Child => "child",
            Self::Elderly => "elderly",
            Self::EthnicMinorityHardship => "ethnic_minority_hardship",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::MeritoriousPerson => "Người có công với cách mạng",
            Self::PoorHousehold => "Hộ nghèo, hộ cận nghèo",
            Self::Disabled => "Người khuyết tật",
            Self::Child => "Trẻ em dưới 16 tuổi",
            Self::Elderly => "Người cao tuổi",
            Self::EthnicMinorityHardship => "Đồng bào dân tộc thiểu số vùng đặc biệt khó khăn",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::MeritoriousPerson => "Person of merit to the revolution",
            Self::PoorHousehold => "Poor or near-poor household",
            Self::Disabled => "Person with a disability",
            Self::Child => "Child under 16",
            Self::Elderly => "Elderly person",
            Self::EthnicMinorityHardship => "Ethnic minority in an especially difficult area",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// Lệ phí: a charge for the state's service.
    Charge,
    /// Phí: a fee recovering costs.
    Fee,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub kind: FeeKind,
    /// What the amount is for, e.g. "Lệ phí cấp đổi giấy phép lái xe".
    pub description: Name,
    pub amount: Vnd,
    /// The lower rate charged when the dossier is submitted online (a province may reduce or
    /// waive a charge to encourage online submission); `0` means free online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub online_amount: Option<Vnd>,
    /// Exemptions and special rates, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Name>,
    /// The amount is per copy asked for (bản sao), not per dossier.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_copy: bool,
    /// Applicant groups that pay nothing of this line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exempt: Vec<ExemptGroup>,
}

/// Whether a paper must be the original, a (certified) copy, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaperForm {
    Original,
    Copy,
    OriginalOrCopy,
}

/// One paper of the dossier (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: Name,
    pub required: bool,
    #[serde(default = "one")]
    pub copies: u8,
    pub form: PaperForm,
    /// Name of the form template (tờ khai mẫu), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Name>,
    /// Code of the declaration's e-form (`CT01`): filled in online instead of uploading
    /// the paper, when the procedure is submitted online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eform: Option<String>,
    /// A paper the e-identity account stands in for (the ID card shown at the desk): a citizen
    /// signed in through the identity provider (VNeID) need not attach it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity: bool,
}

fn default_workflow() -> String {
    "5-buoc".to_owned()
}

fn one() -> u8 {
    1
}

/// A field (lĩnh vực): the slug code is derived from the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Field {
    pub code: FieldCode,
    pub name: Name,
}

impl Field {
    pub fn new(name: Name) -> Result<Self, DomainError> {
        Ok(Self { code: FieldCode::parse(name.as_str())?, name })
    }
}

impl<'de> Deserialize<'de> for Field {
    /// Accepts the field's name (`"Hộ tịch"`) or `{ "name": "Hộ tịch", ... }`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Name(Name),
            Object { name: Name },
        }
        let name = match Wire::deserialize(d)? {
            Wire::Name(n) | Wire::Object { name: n } => n,
        };
        Field::new(name).map_err(serde::de::Error::custom)
    }
}

/// A catalog entry: everything a citizen needs to know before applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub code: ProcedureCode,
    pub name: Name,
    pub field: Field,
    pub level: ProcedureLevel,
    /// Kind of processing agency in words, e.g. "Ủy ban nhân dân cấp xã", "Sở Tư pháp".
    pub agency: Name,
    /// Organisations of this deployment that receive and process it.
    #[serde(default)]
    pub organisations: Vec<OrgCode>,
    pub online: OnlineLevel,
    /// How surely a citizen must be identified to submit it online (`level2`: signed in through
    /// the e-identity provider at level 2); by default any signed-in citizen.
    #[serde(default)]
    pub assurance: crate::identity::Assurance,
    /// Code of the workflow dossiers of this procedure follow (default `5-buoc`).
    #[serde(default = "default_workflow")]
    pub workflow: String,
    pub time_limit: TimeLimit,
    #[serde(default)]
    pub fees: Vec<Fee>,
    pub components: Vec<Component>,
    pub applicants: Vec<Name>,
    pub legal_basis: Vec<Name>,
    /// What the applicant receives, e.g. "Giấy khai sinh (bản chính)".
    pub result: Name,
    #[schema(value_type = String)]
    pub description: BoundedText<4000>,
}

impl Procedure {
    /// Sum of all fees and charges.
    pub fn total_fee(&self) -> Vnd {
        self.fees.iter().fold(Vnd::ZERO, |acc, f| acc.checked_add(f.amount).unwrap_or(acc))
    }

    /// Rules that span fields, checked after each field parsed on its own.
    pub fn check(self) -> Result<Self, DomainError> {
        if self.components.is_empty() {
            return Err(DomainError::Invalid("thủ tục phải có ít nhất một thành phần hồ sơ".into()));
        }
        if self.components.iter().any(|c| c.copies == 0 || c.copies > 20) {
            return Err(DomainError::Invalid("số bản của thành phần hồ sơ phải từ 1 đến 20".into()));
        }
        if self.applicants.is_empty() {
            return Err(DomainError::Invalid("thủ tục phải nêu đối tượng thực hiện".into()));
        }
        let mut orgs = self.organisations.clone();
        orgs.sort();
        orgs.dedup();
        if orgs.len() != self.organisations.len() {
            return Err(DomainError::Invalid("cơ quan thực hiện bị lặp".into()));
        }
        if self.fees.iter().any(|f| f.online_amount.is_some_and(|o| o.amount() > f.amount.amount())) {
            return Err(DomainError::Invalid(
                "mức thu khi nộp trực tuyến không được cao hơn mức thu thông thường".into(),
            ));
        }
        if self.total_fee().amount() != self.fees.iter().map(|f| f.amount.amount()).sum::<i64>() {
            return Err(DomainError::Money("tổng phí, lệ phí quá lớn"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "code": "1.001193",
            "name": "Đăng ký khai sinh",
            "field": "Hộ tịch",
            "level": "commune",
            "agency": "Ủy ban nhân dân cấp xã",
            "online": "full",
            "time_limit": { "kind": "immediate" },
            "fees": [],
            "components": [{ "name": "Tờ khai đăng ký khai sinh", "required": true, "form": "original", "template": "Tờ khai" }],
            "applicants": ["Công dân Việt Nam"],
            "legal_basis": ["Luật Hộ tịch 2014"],
            "result": "Giấy khai sinh (bản chính)",
            "description": "Đăng ký khai sinh cho trẻ em."
        })
    }

    #[test]
    fn parses_a_procedure_and_round_trips() {
        let p: Procedure = serde_json::from_value(sample()).unwrap();
        let p = p.check().unwrap();
        assert_eq!(p.field.code.as_str(), "ho-tich");
        assert_eq!(p.components[0].copies, 1);
        let back: Procedure = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn refuses_bad_procedures() {
        let mut v = sample();
        v["time_limit"] = serde_json::json!({"kind": "working_days", "value": 0});
        assert!(serde_json::from_value::<Procedure>(v).is_err());
        let mut v = sample();
        v["unknown"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Procedure>(v).is_err());
        let mut v = sample();
        v["components"] = serde_json::json!([]);
        assert!(serde_json::from_value::<Procedure>(v).unwrap().check().is_err());
        let mut v = sample();
        v["fees"] = serde_json::json!([{"kind": "charge", "description": "x", "amount": -1}]);
        assert!(serde_json::from_value::<Procedure>(v).is_err());
    }

    #[test]
    fn time_limits_display_and_store() {
        let t = TimeLimit::working_days(5).unwrap();
        assert_eq!(t.to_string(), "5 ngày làm việc");
        let (k, v) = t.parts();
        assert_eq!(TimeLimit::from_parts(k, v).unwrap(), t);
        assert!(TimeLimit::from_parts("working_days", -1).is_err());
        let c: TimeLimit = serde_json::from_str(r#"{"kind":"calendar_days","value":15}"#).unwrap();
        assert_eq!(c.to_string(), "15 ngày");
        assert_eq!(TimeLimit::from_parts(c.parts().0, c.parts().1).unwrap(), c);
    }
}

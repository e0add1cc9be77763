//! Forms 01–05 (Circular 01/2018/TT-VPCP) as printable HTML, each with the dossier's QR code
//! top left (Circular 01/2023/TT-VPCP: dossier code, procedure code, applicant identifier).

use askama::Template;
use jiff::Timestamp;
use motcua_domain::audit::Event;
use motcua_domain::workflow::Dossier;
use motcua_domain::{PaperForm, Procedure};

use crate::calendar::source::display_vn;

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// 01: receipt and appointment.
    Receipt,
    /// 02: supplement request.
    Supplement,
    /// 03: refusal.
    Refusal,
    /// 04: apology and new date.
    Apology,
    /// 05: process control sheet.
    ControlSheet,
}

impl FormKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "01" => Some(Self::Receipt),
            "02" => Some(Self::Supplement),
            "03" => Some(Self::Refusal),
            "04" => Some(Self::Apology),
            "05" => Some(Self::ControlSheet),
            _ => None,
        }
    }
    fn number(self) -> &'static str {
        match self {
            Self::Receipt => "01",
            Self::Supplement => "02",
            Self::Refusal => "03",
            Self::Apology => "04",
            Self::ControlSheet => "05",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Self::Receipt => "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            Self::Supplement => "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            Self::Refusal => "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
            Self::Apology => "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            Self::ControlSheet => "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        }
    }
}

pub struct ControlRow {
    pub unit: String,
    pub at: String,
    pub action: String,
    pub by: String,
    pub timeliness: String,
    pub note: String,
}

/// Everything any of the forms prints.
pub struct FormData {
    pub number: &'static str,
    pub title: &'static str,
    pub code: String,
    pub qr_svg: String,
    /// The QR code carries a seal (forms 01 and 04 of an organisation that signs).
    pub sealed: bool,
    /// While payment is requested: the amount, and the VietQR code (SVG) to pay it.
    pub payment_amount: String,
    pub payment_qr_svg: String,
    pub issuer: String,
    pub desk_name: String,
    pub applicant_name: String,
    pub applicant_id: String,
    pub applicant_address: String,
    pub applicant_phone: String,
    pub applicant_email: String,
    pub procedure_name: String,
    pub procedure_code: String,
    /// (name, original/copy, copies)
    pub components: Vec<(String, &'static str, u8)>,
    pub attachments: Vec<String>,
    pub time_limit: String,
    pub received_at: String,
    pub due_at: String,
    pub original_due_at: String,
    pub register_no: String,
    pub officer: String,
    pub items: Vec<String>,
    pub reason: String,
    pub rows: Vec<ControlRow>,
    pub printed_at: String,
}

#[derive(Template)]
#[template(path = "forms/01.html")]
struct Form01<'a> {
    f: &'a FormData,
}
#[derive(Template)]
#[template(path = "forms/02.html")]
struct Form02<'a> {
    f: &'a FormData,
}
#[derive(Template)]
#[template(path = "forms/03.html")]
struct Form03<'a> {
    f: &'a FormData,
}
#[derive(Template)]
#[template(path = "forms/04.html")]
struct Form04<'a> {
    f: &'a FormData,
}
#[derive(Template)]
#[template(path = "forms/05.html")]
struct Form05<'a> {
    f: &'a FormData,
}

#[derive(Template)]
#[template(path = "forms/declaration.html")]
struct DeclarationForm<'a> {
    k: &'a crate::catalog::declarations::DeclarationView,
    code: String,
    qr_svg: String,
    submitted_at: String,
    place_date: String,
    applicant: String,
    printed_at: String,
}

/// The declaration filled in online, printed as the official form.
pub fn render_declaration(d: &Dossier, public_url: Option<&str>) -> Result<String, FormError> {
    let declaration = d.declaration.as_ref().ok_or(FormError::NotAvailable("Hồ sơ không có tờ khai điện tử"))?;
    let k = crate::catalog::declarations::display(declaration)
        .ok_or(FormError::NotAvailable("Mẫu tờ khai của hồ sơ này không còn trong hệ thống"))?;
    let day = d.submitted_at.to_zoned(motcua_domain::calendar::vietnam()).date();
    DeclarationForm {
        k: &k,
        code: d.code.to_string(),
        qr_svg: qr_svg(&qr_payload(d, public_url))?,
        submitted_at: when(d.submitted_at.as_microsecond()),
        place_date: format!("Ngày {:02} tháng {:02} năm {}", day.day(), day.month(), day.year()),
        applicant: d.applicant.full_name.to_string(),
        printed_at: when(jiff::Timestamp::now().as_microsecond()),
    }
    .render()
    .map_err(|e| FormError::Render(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("{0}")]
    NotAvailable(&'static str),
    #[error("không dựng được mẫu: {0}")]
    Render(String),
}

/// The QR payload: the public tracking page of the dossier when the server's public address
/// is known (scanning opens it), else dossier code, procedure code and the applicant's
/// identifier (masked).
pub fn qr_payload(d: &Dossier, public_url: Option<&str>) -> String {
    match public_url {
        Some(base) => format!("{}/tra-cuu?ma={}", base.trim_end_matches('/'), d.code),
        None => {
            let id = d.applicant.cccd.as_ref().map(|c| c.masked()).unwrap_or_default();
            format!("MHS:{};TTHC:{};DD:{}", d.code, d.procedure, id)
        }
    }
}

pub(crate) fn qr_svg(text: &str) -> Result<String, FormError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| FormError::Render(e.to_string()))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(120, 120).quiet_zone(false).build())
}

fn last<'a>(events: &'a [Event], action: &str) -> Option<&'a Event> {
    events.iter().rev().find(|e| e.action == action)
}

fn detail(e: Option<&Event>, key: &str) -> serde_json::Value {
    e.and_then(|e| serde_json::from_str::<serde_json::Value>(&e.details).ok())
        .map(|v| v[key].clone())
        .unwrap_or_default()
}

fn when(us: i64) -> String {
    Timestamp::from_microsecond(us).map(display_vn).unwrap_or_default()
}

/// Names resolved by the caller: organisation codes and usernames to display names.
pub struct Names<'a> {
    pub org: &'a dyn Fn(&str) -> String,
    pub person: &'a dyn Fn(&Event) -> String,
    /// The server's public address, for the QR code's tracking link.
    pub public_url: Option<&'a str>,
    /// While payment is requested: the amount and the VietQR payload to pay it.
    pub payment: Option<(String, String)>,
    /// Forms 01 and 04: the seal their QR code carries instead of the tracking link, when
    /// the processing organisation signs (see [`sealed`]).
    pub seal: Option<String>,
}

/// Which forms carry a seal, and when each was issued: 01 at reception, 04 at the apology.
pub fn sealed(kind: FormKind, events: &[Event]) -> Option<(motcua_exchange::seal::PaperKind, Timestamp)> {
    use motcua_exchange::seal::PaperKind;
    let (paper, action) = match kind {
        FormKind::Receipt => (PaperKind::Form01, "receive"),
        FormKind::Apology => (PaperKind::Form04, "apologise"),
        _ => return None,
    };
    let at = last(events, action).and_then(|e| Timestamp::from_microsecond(e.at_us).ok())?;
    Some((paper, at))
}

/// Renders a form, or says why this dossier does not have it (yet).
pub fn render(
    kind: FormKind,
    d: &Dossier,
    procedure: &Procedure,
    events: &[Event],
    attachments: Vec<String>,
    names: &Names<'_>,
) -> Result<String, FormError> {
    let source = match kind {
        FormKind::Receipt | FormKind::ControlSheet if d.received_at.is_none() => {
            return Err(FormError::NotAvailable("Hồ sơ chưa được tiếp nhận"));
        }
        FormKind::Receipt => events.iter().find(|e| e.action == "receive"),
        FormKind::Supplement => {
            Some(last(events, "request_supplement").ok_or(FormError::NotAvailable("Hồ sơ chưa có yêu cầu bổ sung"))?)
        }
        FormKind::Refusal => Some(last(events, "refuse").ok_or(FormError::NotAvailable("Hồ sơ không bị từ chối"))?),
        FormKind::Apology => {
            Some(last(events, "apologise").ok_or(FormError::NotAvailable("Hồ sơ chưa có phiếu xin lỗi"))?)
        }
        FormKind::ControlSheet => None,
    };
    let due_us = d.due_at.map(|t| t.as_microsecond());
    let rows = events
        .iter()
        .map(|e| ControlRow {
            unit: (names.org)(d.processing_org.as_str()),
            at: when(e.at_us),
            action: serde_json::from_value::<motcua_domain::workflow::ActionKind>(serde_json::Value::String(
                e.action.clone(),
            ))
            .map(|a| a.label_vi().to_owned())
            .unwrap_or_else(|_| e.action.clone()),
            by: (names.person)(e),
            timeliness: match due_us {
                Some(due) if e.at_us > due => "Quá hạn".into(),
                Some(_) => "Đúng hạn".into(),
                None => String::new(),
            },
            note: detail(Some(e), "reason").as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    let seal = names.seal.as_ref().filter(|_| matches!(kind, FormKind::Receipt | FormKind::Apology));
    let f = FormData {
        number: kind.number(),
        title: kind.title(),
        code: d.code.to_string(),
        qr_svg: match seal {
            Some(seal) => qr_svg(seal)?,
            None => qr_svg(&qr_payload(d, names.public_url))?,
        },
        sealed: seal.is_some(),
        payment_amount: names.payment.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        payment_qr_svg: match &names.payment {
            Some((_, payload)) => qr_svg(payload)?,
            None => String::new(),
        },
        issuer: (names.org)(d.processing_org.as_str()),
        desk_name: (names.org)(d.desk_org.as_str()),
        applicant_name: d.applicant.full_name.to_string(),
        applicant_id: d.applicant.cccd.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
        applicant_address: d.applicant.address.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        applicant_phone: d.applicant.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        applicant_email: d.applicant.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        procedure_name: procedure.name.to_string(),
        procedure_code: procedure.code.to_string(),
        components: procedure
            .components
            .iter()
            .map(|c| {
                let form = match c.form {
                    PaperForm::Original => "Bản chính",
                    PaperForm::Copy => "Bản sao",
                    PaperForm::OriginalOrCopy => "Bản chính hoặc bản sao",
                };
                (c.name.to_string(), form, c.copies)
            })
            .collect(),
        attachments,
        time_limit: procedure.time_limit.to_string(),
        received_at: d.received_at.map(display_vn).unwrap_or_default(),
        due_at: d.due_at.map(display_vn).unwrap_or_default(),
        original_due_at: d.original_due_at.map(display_vn).unwrap_or_default(),
        register_no: format!("{}", d.code.sequence()),
        officer: source.map(|e| (names.person)(e)).unwrap_or_default(),
        items: detail(source, "items")
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        reason: detail(source, "reason").as_str().unwrap_or_default().to_owned(),
        rows,
        printed_at: display_vn(Timestamp::now()),
    };
    let html = match kind {
        FormKind::Receipt => Form01 { f: &f }.render(),
        FormKind::Supplement => Form02 { f: &f }.render(),
        FormKind::Refusal => Form03 { f: &f }.render(),
        FormKind::Apology => Form04 { f: &f }.render(),
        FormKind::ControlSheet => Form05 { f: &f }.render(),
    };
    html.map_err(|e| FormError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_domain::calendar::WorkCalendar;
    use motcua_domain::workflow::{self, Applicant, Channel};
    use motcua_domain::{Cccd, DossierCode, Name, OrgCode, ProcedureCode, TimeLimit};

    fn dossier() -> Dossier {
        let wf = workflow::default_workflows().unwrap().remove(0);
        let desk = OrgCode::parse("001.00.37.H22").unwrap();
        workflow::new_dossier(
            &wf,
            &WorkCalendar::default(),
            DossierCode::new(&desk, jiff::civil::date(2026, 11, 23), 7).unwrap(),
            ProcedureCode::parse("1.001193").unwrap(),
            TimeLimit::working_days(3).unwrap(),
            Applicant {
                full_name: Name::parse("n", "Phạm Thị Lan").unwrap(),
                cccd: Some(Cccd::parse("022190004321").unwrap()),
                phone: None,
                email: None,
                address: None,
            },
            None,
            Channel::Online,
            desk.clone(),
            OrgCode::parse("000.00.37.H22").unwrap(),
            false,
            jiff::Timestamp::from_second(1_795_000_000).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn qr_links_to_the_tracking_page_or_carries_the_code() {
        let d = dossier();
        assert_eq!(
            qr_payload(&d, Some("https://dichvucong.quangninh.gov.vn/")),
            "https://dichvucong.quangninh.gov.vn/tra-cuu?ma=001.00.37.H22-261123-0007"
        );
        let text = qr_payload(&d, None);
        assert!(text.starts_with("MHS:001.00.37.H22-261123-0007;TTHC:1.001193;DD:"), "{text}");
        assert!(!text.contains("022190004321"), "the CCCD number is masked");
    }
}

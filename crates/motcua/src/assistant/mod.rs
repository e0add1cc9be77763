//! The assistant: a question in everyday words answered with the procedures that fit, what
//! they need, and where to file them.

pub mod api;
pub mod engine;

use motcua_domain::{PaperForm, Procedure};
use serde::Serialize;

use crate::app::{AppError, AppResult, ErrorCode};
use crate::catalog::Catalog;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub code: String,
    pub name: String,
    /// 0–1: share of the candidates' search scores.
    pub confidence: f32,
    /// Where to start the online submission, if the procedure is online.
    pub start_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssistantAnswer {
    /// true: the first candidate is the answer; false: the answer asks which one is meant.
    pub clear: bool,
    pub candidates: Vec<Candidate>,
    /// The answer in Vietnamese (or English when asked), ready to show.
    pub answer: String,
}

/// The assistant's answer to a question (API or the portal's assistant page).
pub async fn answer(catalog: &Catalog<'_>, question: &str, en: bool) -> AppResult<AssistantAnswer> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > 1000 {
        return Err(AppError::bad_request(ErrorCode::InvalidQuestion, "Câu hỏi phải có từ 1 đến 1.000 ký tự"));
    }
    let index = catalog.index().await?;
    let q = question.to_owned();
    let suggestion = tokio::task::spawn_blocking(move || index.suggest(&q))
        .await
        .map_err(|_| AppError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "assistant");
            AppError::internal()
        })?;
    let mut procedures = Vec::new();
    for (code, confidence) in &suggestion.candidates {
        if let Some(p) = catalog.lookup(code).await? {
            procedures.push((p, *confidence));
        }
    }
    let answer = match (suggestion.clear, procedures.as_slice()) {
        (_, []) if en => "No matching procedure yet. Say more about what you need, in Vietnamese if you can, e.g. \
                          «đăng ký khai sinh cho con» (register a child's birth)."
            .to_owned(),
        (_, []) => "Chưa tìm thấy thủ tục phù hợp. Bạn hãy nói rõ hơn việc cần làm, ví dụ «đăng ký khai sinh cho con» \
                    hoặc «cấp lại giấy phép lái xe bị mất»."
            .to_owned(),
        (true, [(p, _), ..]) => explain(p, en),
        (false, many) => {
            let code = if en { "code" } else { "mã" };
            let list: Vec<String> = many
                .iter()
                .enumerate()
                .map(|(i, (p, _))| format!("{}. {} ({code} {})", i + 1, p.name, p.code))
                .collect();
            let ask = if en { "Which procedure do you mean?" } else { "Bạn muốn làm thủ tục nào?" };
            format!("{ask}\n{}", list.join("\n"))
        }
    };
    let candidates = procedures
        .iter()
        .map(|(p, c)| Candidate {
            code: p.code.to_string(),
            name: p.name.to_string(),
            confidence: *c,
            start_url: (p.online != motcua_domain::OnlineLevel::None).then(|| format!("/nop-ho-so/{}", p.code)),
        })
        .collect();
    Ok(AssistantAnswer { clear: suggestion.clear && !procedures.is_empty(), candidates, answer })
}

/// What to do, in plain Vietnamese (or English; the catalog's own words — names of papers,
/// fees, agencies — stay as the catalog gives them).
fn explain(p: &Procedure, en: bool) -> String {
    let pick = |vi: &'static str, english: &'static str| if en { english } else { vi };
    let mut out =
        vec![format!("{} {} ({} {}).", pick("Thủ tục phù hợp:", "The procedure:"), p.name, pick("mã", "code"), p.code)];
    if !p.description.as_str().is_empty() {
        out.push(p.description.to_string());
    }
    out.push(pick("Giấy tờ cần chuẩn bị:", "Papers to prepare:").into());
    for c in &p.components {
        let form = match c.form {
            PaperForm::Original => pick("bản chính", "original"),
            PaperForm::Copy => pick("bản sao", "copy"),
            PaperForm::OriginalOrCopy => pick("bản chính hoặc bản sao", "original or copy"),
        };
        let required = if c.required { "" } else { pick(" — nếu có", " — if any") };
        out.push(format!("- {} ({form}, {} {}){required}", c.name, c.copies, pick("bộ", "set(s)")));
    }
    if p.fees.is_empty() {
        out.push(pick("Lệ phí: không mất phí.", "Fees: none.").into());
    } else {
        for f in &p.fees {
            out.push(match f.online_amount {
                Some(o) if o.amount() == 0 => {
                    format!("{}: {}, {}.", f.description, f.amount, pick("miễn khi nộp trực tuyến", "free online"))
                }
                Some(o) => {
                    format!("{}: {}, {} {o}.", f.description, f.amount, pick("nộp trực tuyến chỉ", "online only"))
                }
                None => format!("{}: {}.", f.description, f.amount),
            });
        }
    }
    let limit = if en { p.time_limit.english() } else { p.time_limit.to_string() };
    out.push(format!("{} {limit}.", pick("Thời hạn giải quyết:", "Time limit:")));
    out.push(format!("{} {}.", pick("Nơi giải quyết:", "Where:"), p.agency));
    out.push(match p.online {
        // Where to start is the candidate's start_url (a button on the page), not a path in words.
        motcua_domain::OnlineLevel::Full => pick(
            "Làm trực tuyến toàn trình được: nộp hồ sơ, nộp phí và nhận kết quả qua mạng, bằng nút «Nộp hồ sơ trực tuyến».",
            "Fully online: apply, pay and receive the result online, with the «Apply online» button.",
        ),
        motcua_domain::OnlineLevel::Partial => pick(
            "Nộp hồ sơ trực tuyến được, bằng nút «Nộp hồ sơ trực tuyến»; một số bước cần đến trực tiếp.",
            "You can apply online with the «Apply online» button; some steps need a visit in person.",
        ),
        motcua_domain::OnlineLevel::None => pick(
            "Thủ tục này chưa nộp trực tuyến được; bạn mang giấy tờ đến Bộ phận Một cửa.",
            "This procedure cannot be done online yet: bring the papers to the one-stop desk.",
        ),
    }
    .to_owned());
    out.join("\n")
}

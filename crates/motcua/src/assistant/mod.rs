//! The assistant: a question in everyday words answered with the procedures that fit, what
//! they need, and where to file them.

pub mod api;
pub mod engine;
mod facts;
pub mod intent;
mod leads;

use motcua_domain::{PaperForm, Procedure};

use leads::leads;
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
    /// true: the answer is about the first candidate (the others, if any, are named in one
    /// line each); false: nothing fits, and the answer says how to ask.
    pub clear: bool,
    pub candidates: Vec<Candidate>,
    /// The answer in Vietnamese (or English when asked), ready to show: what was asked
    /// first, in a sentence or two, then the rest.
    pub answer: String,
    /// What the question asked: `fee`, `time`, `papers`, `place`, `online`, `start`.
    pub asked: Vec<String>,
    /// The procedure the answer is about: sent back as `procedure` with the next question,
    /// a follow-up ("còn lệ phí thì sao?") is about it.
    pub procedure: Option<String>,
}

impl AssistantAnswer {
    /// No procedure to answer about: `answer` says how to ask.
    fn unanswered(answer: &str, asked: Vec<String>) -> Self {
        Self { clear: false, candidates: Vec::new(), answer: answer.to_owned(), asked, procedure: None }
    }
}

/// Whether citizens (not only organisations) can file the procedure.
fn for_citizens(p: &Procedure) -> bool {
    p.applicants.is_empty()
        || p.applicants.iter().any(|a| {
            let a = motcua_domain::text::fold(a.as_str());
            a.contains("cong dan") || a.contains("ca nhan") || a.contains("ho gia dinh") || a.contains("nguoi")
        })
}

/// The assistant's order: the index's, except that among close candidates (the first not
/// clearly ahead) the first one a citizen can file comes first.
pub(crate) fn citizens_first<T>(items: &mut Vec<T>, clear: bool, procedure: impl Fn(&T) -> &Procedure) {
    if clear {
        return;
    }
    if let Some(i) = items.iter().position(|t| for_citizens(procedure(t)))
        && i > 0
    {
        let t = items.remove(i);
        items.insert(0, t);
    }
}

fn candidate(p: &Procedure, confidence: f32) -> Candidate {
    Candidate {
        code: p.code.to_string(),
        name: p.name.to_string(),
        confidence,
        start_url: (p.online != motcua_domain::OnlineLevel::None).then(|| format!("/nop-ho-so/{}", p.code)),
    }
}

/// The assistant's answer to a question (API or the portal's assistant page). `context`: the
/// procedure the conversation is about, if any (a follow-up with no procedure of its own is
/// answered about it).
pub async fn answer(
    catalog: &Catalog<'_>,
    question: &str,
    en: bool,
    context: Option<&motcua_domain::ProcedureCode>,
) -> AppResult<AssistantAnswer> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > 1000 {
        return Err(AppError::bad_request(ErrorCode::InvalidQuestion, "Câu hỏi phải có từ 1 đến 1.000 ký tự"));
    }
    let reading = intent::read(question);
    let asked: Vec<String> = reading.intents.iter().map(|i| i.as_str().to_owned()).collect();
    let talked_of = match context {
        Some(code) => catalog.lookup(code).await?,
        None => None,
    };
    // A follow-up: only asking words, and a procedure talked of already.
    if let (true, Some(p)) = (reading.follow_up, talked_of.as_ref()) {
        let mut lines = leads(p, &reading.intents, en);
        if lines.is_empty() {
            lines.push(explain(p, en));
        } else {
            lines.push(format!(
                "({} {}, {} {})",
                if en { "About" } else { "Về thủ tục" },
                p.name,
                if en { "code" } else { "mã" },
                p.code
            ));
        }
        return Ok(AssistantAnswer {
            clear: true,
            candidates: vec![candidate(p, 1.0)],
            answer: lines.join("\n"),
            asked,
            procedure: Some(p.code.to_string()),
        });
    }
    // Only asking words, and nothing talked of yet: which procedure?
    if reading.follow_up {
        let answer = if en {
            "Which procedure do you mean? Name it in your own words, e.g. «làm lại bằng lái» (replace a driving licence)."
        } else {
            "Bạn hỏi về thủ tục nào? Hãy nói việc cần làm, ví dụ «làm lại bằng lái» hoặc «đăng ký khai sinh cho con»."
        };
        return Ok(AssistantAnswer::unanswered(answer, asked));
    }
    let index = catalog.index().await?;
    let q = if reading.rest.is_empty() { question.to_owned() } else { reading.rest.clone() };
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
    citizens_first(&mut procedures, suggestion.clear, |(p, _)| p);
    let Some((first, _)) = procedures.first() else {
        let answer = if en {
            "No matching procedure yet. Say more about what you need, in Vietnamese if you can, e.g. \
             «đăng ký khai sinh cho con» (register a child's birth)."
        } else {
            "Chưa tìm thấy thủ tục phù hợp. Bạn hãy nói rõ hơn việc cần làm, ví dụ «đăng ký khai sinh cho con» \
             hoặc «cấp lại giấy phép lái xe bị mất»."
        };
        return Ok(AssistantAnswer::unanswered(answer, asked));
    };
    let mut lines = leads(first, &reading.intents, en);
    lines.push(explain(first, en));
    for (p, _) in procedures.iter().skip(1) {
        lines.push(if en {
            format!("If you mean «{}» (code {}) instead, ask about it by name.", p.name, p.code)
        } else {
            format!("Nếu bạn cần «{}» (mã {}), hãy hỏi tên thủ tục đó.", p.name, p.code)
        });
    }
    Ok(AssistantAnswer {
        clear: true,
        procedure: Some(first.code.to_string()),
        candidates: procedures.iter().map(|(p, c)| candidate(p, *c)).collect(),
        answer: lines.join("\n"),
        asked,
    })
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

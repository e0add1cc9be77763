//! The assistant: a question in everyday words answered with the procedures that fit, what
//! they need, and where to file them.

pub mod api;
pub mod engine;
mod facts;
pub mod form;
pub mod intent;
mod leads;
pub mod order;
pub mod pages;
pub mod places;

use motcua_domain::{Organisation, PaperForm, Procedure, ProcedureCode, UnitCode};
use motcua_store::{OrgFilter, Page};

use leads::{Where, leads};
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
    /// The citizen's commune (2025 code), once named: sent back as `commune` with the next
    /// question, the answers name the office of that commune.
    pub commune: Option<String>,
    /// Its name («Phường Hạ Long»).
    pub commune_name: Option<String>,
    /// The declaration being filled in the conversation: sent back as `form` with the next
    /// reply, which is taken as the value of the field just asked.
    pub form: Option<form::Filling>,
    /// Once the filling is done: the submission form, filled with what was gathered, to check
    /// and submit (the citizen signs in there).
    pub review_url: Option<String>,
}

impl AssistantAnswer {
    /// An answer about `p`, the conversation's state set by the caller.
    fn about(p: &Procedure, candidates: Vec<Candidate>, answer: String) -> Self {
        Self {
            clear: true,
            candidates,
            answer,
            asked: Vec::new(),
            procedure: Some(p.code.to_string()),
            commune: None,
            commune_name: None,
            form: None,
            review_url: None,
        }
    }

    /// No procedure to answer about: `answer` says how to ask.
    fn unanswered(answer: &str, asked: Vec<String>) -> Self {
        Self {
            clear: false,
            candidates: Vec::new(),
            answer: answer.to_owned(),
            asked,
            procedure: None,
            commune: None,
            commune_name: None,
            form: None,
            review_url: None,
        }
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

/// What a conversation knows before a question: the procedure talked of and the citizen's
/// commune (both from earlier answers; the caller carries them).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub procedure: Option<ProcedureCode>,
    /// A 2025 commune's code.
    pub commune: Option<String>,
    /// The declaration being filled, if any.
    pub form: Option<form::Filling>,
}

/// The commune named in the question, else the one known: (code, name).
async fn commune_of(
    catalog: &Catalog<'_>,
    named: Vec<places::Named>,
    known: Option<&str>,
) -> AppResult<Option<places::Named>> {
    // A name several provinces share: the one this installation serves (has organisations in).
    let mut fallback = None;
    for n in named {
        let Ok(unit) = UnitCode::parse(&n.code) else { continue };
        let filter = OrgFilter { unit: Some(unit), ..Default::default() };
        if !catalog.organisations(&filter, Page::new(None, Some(1))).await?.items.is_empty() {
            return Ok(Some(n));
        }
        fallback.get_or_insert(n);
    }
    if fallback.is_some() {
        return Ok(fallback);
    }
    Ok(known.and_then(places::named_by_code))
}

/// The organisation the citizen files `p` with, when several handle it (one per commune):
/// the one of their commune. With one, the catalog's agency says it already.
async fn office_of(
    catalog: &Catalog<'_>,
    p: &Procedure,
    commune: Option<&places::Named>,
) -> AppResult<Option<Organisation>> {
    let Some(unit) = commune.and_then(|c| UnitCode::parse(&c.code).ok()).filter(|_| p.organisations.len() > 1) else {
        return Ok(None);
    };
    let filter = OrgFilter { unit: Some(unit), ..Default::default() };
    let here = catalog.organisations(&filter, Page::new(None, Some(50))).await?.items;
    Ok(here.into_iter().find(|o| p.organisations.contains(&o.code)))
}

/// A question read: what it asks, the commune it names, and the words left to search (the
/// asking words and the commune taken out).
pub fn read_question(question: &str) -> (intent::Reading, Vec<places::Named>) {
    let mut reading = intent::read(question);
    let (named, rest) = places::find(&reading.rest);
    reading.follow_up = intent::only_filler(&rest);
    reading.rest = rest;
    (reading, named)
}

/// The assistant's answer to a question (API or the portal's assistant page), in the
/// conversation `context` (a follow-up with no procedure of its own is answered about the
/// procedure talked of; a commune named once is kept).
pub async fn answer(catalog: &Catalog<'_>, question: &str, en: bool, context: &Context) -> AppResult<AssistantAnswer> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > 1000 {
        return Err(AppError::bad_request(ErrorCode::InvalidQuestion, "Câu hỏi phải có từ 1 đến 1.000 ký tự"));
    }
    let (mut reading, named) = read_question(question);
    let talked_of = match &context.procedure {
        Some(code) => catalog.lookup(code).await?,
        None => None,
    };
    // Filling the declaration: the reply is the value asked for, unless it asks something
    // ("lệ phí bao nhiêu?": answered, then the field asked again; "đăng ký tạm trú mất bao
    // lâu": another procedure, the filling left). A place in a reply ("quê quán: xã Quảng
    // La") is the field's value, not where the citizen lives.
    let fill_of = |p: &Procedure| context.form.clone().filter(|f| form::form_of(p).is_some_and(|d| d.code == f.form));
    if let Some(p) = &talked_of
        && let Some(fill) = fill_of(p)
        && (form::is_stop(&reading.rest) || reading.intents.is_empty())
    {
        let commune = context.commune.as_deref().and_then(places::named_by_code);
        let mut out = filling(catalog, p, fill, question, commune.as_ref(), &reading.rest).await?;
        out.commune = commune.as_ref().map(|c| c.code.clone());
        out.commune_name = commune.map(|c| c.name);
        return Ok(out);
    }
    let told_commune = !named.is_empty();
    let commune = commune_of(catalog, named, context.commune.as_deref()).await?;
    if told_commune && reading.intents.is_empty() {
        // "Tôi ở phường Hạ Long": the citizen says where they file.
        reading.intents.push(intent::Intent::Place);
    }
    let asked: Vec<String> = reading.intents.iter().map(|i| i.as_str().to_owned()).collect();
    let mut out = if reading.follow_up {
        match talked_of {
            Some(p) => follow_up(catalog, &p, &reading, en, commune.as_ref()).await?,
            None => AssistantAnswer::unanswered(which_procedure(en, commune.as_ref()).as_str(), Vec::new()),
        }
    } else {
        fresh(catalog, question, &reading, en, commune.as_ref()).await?
    };
    out.asked = asked;
    out.procedure = out.procedure.or_else(|| context.procedure.as_ref().map(ToString::to_string));
    if let Some(code) = out.procedure.as_deref().and_then(|c| ProcedureCode::parse(c).ok())
        && let Some(p) = catalog.lookup(&code).await?
    {
        // Still filling (a question in between), or "nộp luôn": the next field asked.
        let kept = fill_of(&p).filter(|_| context.procedure.as_ref() == Some(&p.code));
        let begun = kept.is_none();
        let fill = kept.or_else(|| {
            reading
                .intents
                .contains(&intent::Intent::Start)
                .then(|| form::form_of(&p).map(|f| form::begin(f, commune.as_ref())))
                .flatten()
        });
        if let Some(fill) = fill {
            let office = office_of(catalog, &p, commune.as_ref()).await?;
            ask_next(&mut out, &p, fill, commune.as_ref(), office.as_ref(), begun);
        }
    }
    out.commune = commune.as_ref().map(|c| c.code.clone());
    out.commune_name = commune.map(|c| c.name);
    Ok(out)
}

/// A reply while filling: taken as the value asked for (or "thôi": the filling stopped).
async fn filling(
    catalog: &Catalog<'_>,
    p: &Procedure,
    mut fill: form::Filling,
    reply: &str,
    commune: Option<&places::Named>,
    folded: &str,
) -> AppResult<AssistantAnswer> {
    let office = office_of(catalog, p, commune).await?;
    let mut out = AssistantAnswer::about(p, vec![candidate_at(p, 1.0, office.as_ref())], String::new());
    if form::is_stop(folded) {
        out.answer =
            "Đã dừng khai tờ khai. Bạn có thể khai trên trang nộp hồ sơ, bằng nút «Nộp hồ sơ trực tuyến».".into();
        return Ok(out);
    }
    match form::step(&mut fill, Some(reply), commune) {
        Some(line) => {
            out.answer = line;
            out.form = Some(fill);
        }
        None => done(&mut out, p, &fill, office.as_ref()),
    }
    Ok(out)
}

/// The next field asked after `out`'s answer (`begun`: the filling starts now).
fn ask_next(
    out: &mut AssistantAnswer,
    p: &Procedure,
    mut fill: form::Filling,
    commune: Option<&places::Named>,
    office: Option<&Organisation>,
    begun: bool,
) {
    let title = crate::catalog::declarations::form(&fill.form).map(|f| f.title.clone()).unwrap_or_default();
    match form::step(&mut fill, None, commune) {
        Some(line) => {
            if begun {
                out.answer.push_str(&format!(
                    "\nTrợ lý giúp bạn khai «{title}» ngay tại đây, từng mục một (gõ «thôi» để dừng)."
                ));
            }
            out.answer.push('\n');
            out.answer.push_str(&line);
            out.form = Some(fill);
        }
        None => {
            let mut rest = AssistantAnswer::unanswered("", Vec::new());
            done(&mut rest, p, &fill, office);
            out.answer.push('\n');
            out.answer.push_str(&rest.answer);
            out.review_url = rest.review_url;
            out.form = None;
        }
    }
}

/// Nothing left to ask: what was gathered, and the submission form to check it on.
fn done(out: &mut AssistantAnswer, p: &Procedure, fill: &form::Filling, office: Option<&Organisation>) {
    let mut lines = vec!["Đã khai xong các mục trợ lý cần hỏi. Bạn đã khai:".to_owned()];
    lines.extend(form::summary(fill));
    lines.push(
        "Bấm «Xem lại tờ khai và nộp» để kiểm tra cả tờ khai (tên, số định danh… điền sẵn từ tài khoản) rồi nộp hồ sơ."
            .into(),
    );
    out.answer = lines.join("\n");
    out.review_url = Some(form::review_url(p, office.map(|o| o.code.as_str()), fill));
    out.form = None;
}

fn which_procedure(en: bool, commune: Option<&places::Named>) -> String {
    match (commune, en) {
        (Some(c), false) => format!("Trợ lý đã ghi nhận bạn ở {}. Bạn cần làm thủ tục gì? Ví dụ «đăng ký khai sinh cho con».", c.name),
        (Some(c), true) => format!("Noted: you live in {}. Which procedure do you need? E.g. «đăng ký khai sinh» (birth registration).", c.name),
        (None, false) => "Bạn hỏi về thủ tục nào? Hãy nói việc cần làm, ví dụ «làm lại bằng lái» hoặc «đăng ký khai sinh cho con».".into(),
        (None, true) => "Which procedure do you mean? Name it in your own words, e.g. «làm lại bằng lái» (replace a driving licence).".into(),
    }
}

/// The candidate for `p`, its start link choosing the citizen's office when known.
fn candidate_at(p: &Procedure, confidence: f32, office: Option<&Organisation>) -> Candidate {
    let mut c = candidate(p, confidence);
    if let (Some(url), Some(o)) = (c.start_url.as_mut(), office) {
        url.push_str(&format!("?noi={}", o.code));
    }
    c
}

/// A follow-up about the procedure talked of.
async fn follow_up(
    catalog: &Catalog<'_>,
    p: &Procedure,
    reading: &intent::Reading,
    en: bool,
    commune: Option<&places::Named>,
) -> AppResult<AssistantAnswer> {
    let office = office_of(catalog, p, commune).await?;
    let at = Where { org: office.as_ref().map(|o| o.name.as_str()), ask_commune: p.organisations.len() > 1 };
    let mut lines = leads(p, &reading.intents, en, at);
    if lines.is_empty() {
        lines.push(explain(p, en, at));
    } else {
        lines.push(format!(
            "({} {}, {} {})",
            if en { "About" } else { "Về thủ tục" },
            p.name,
            if en { "code" } else { "mã" },
            p.code
        ));
    }
    Ok(AssistantAnswer::about(p, vec![candidate_at(p, 1.0, office.as_ref())], lines.join("\n")))
}

/// A question naming a procedure: searched, the likeliest for a citizen answered about.
async fn fresh(
    catalog: &Catalog<'_>,
    question: &str,
    reading: &intent::Reading,
    en: bool,
    commune: Option<&places::Named>,
) -> AppResult<AssistantAnswer> {
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
    order::likeliest_first(&mut procedures, suggestion.clear, &reading.rest, |(p, _)| p);
    let office = match procedures.first() {
        Some((first, _)) => office_of(catalog, first, commune).await?,
        None => None,
    };
    Ok(compose(&procedures, reading, en, office.as_ref()))
}

/// The answer about the first of `procedures` (in the assistant's order), the others named in
/// a line each; none: how to ask. `office`: where the citizen files the first, if known.
pub fn compose(
    procedures: &[(Procedure, f32)],
    reading: &intent::Reading,
    en: bool,
    office: Option<&Organisation>,
) -> AssistantAnswer {
    let Some((first, _)) = procedures.first() else {
        let answer = if en {
            "No matching procedure yet. Say more about what you need, in Vietnamese if you can, e.g. \
             «đăng ký khai sinh cho con» (register a child's birth)."
        } else {
            "Chưa tìm thấy thủ tục phù hợp. Bạn hãy nói rõ hơn việc cần làm, ví dụ «đăng ký khai sinh cho con» \
             hoặc «cấp lại giấy phép lái xe bị mất»."
        };
        return AssistantAnswer::unanswered(answer, Vec::new());
    };
    let at = Where { org: office.map(|o| o.name.as_str()), ask_commune: first.organisations.len() > 1 };
    let mut lines = leads(first, &reading.intents, en, at);
    lines.push(explain(first, en, at));
    for (p, _) in procedures.iter().skip(1) {
        lines.push(if en {
            format!("If you mean «{}» (code {}) instead, ask about it by name.", p.name, p.code)
        } else {
            format!("Nếu bạn cần «{}» (mã {}), hãy hỏi tên thủ tục đó.", p.name, p.code)
        });
    }
    let candidates =
        procedures.iter().enumerate().map(|(i, (p, c))| candidate_at(p, *c, office.filter(|_| i == 0))).collect();
    AssistantAnswer::about(first, candidates, lines.join("\n"))
}

/// What to do, in plain Vietnamese (or English; the catalog's own words — names of papers,
/// fees, agencies — stay as the catalog gives them).
fn explain(p: &Procedure, en: bool, at: Where<'_>) -> String {
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
    if let Some(org) = at.org {
        out.push(format!("{} {org}.", pick("Nơi nộp của bạn:", "Your office:")));
    }
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

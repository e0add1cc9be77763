//! `motcua bench-search`: the search index and the citizen assistant over a generated
//! catalog of any size, in process (no server, no database): what the index and the
//! assistant's own work cost as the catalog grows.

use std::time::Instant;

use crate::common::{BenchError, Phase, SEARCH_QUERIES};

/// `motcua bench-search`: a catalog of `n` procedures made from the demo's 48 (names varied
/// with the province's commune names, so words repeat as in a real catalog), indexed, then
/// searched `queries` times, one at a time; prints the build time and p50/p99/max latency.
pub fn search(n: usize, queries: usize) -> Result<String, BenchError> {
    let base: Vec<motcua_domain::Procedure> =
        serde_json::from_str(motcua::demo::CATALOG).map_err(|e| BenchError::Catalog(e.to_string()))?;
    // The country's 3,321 communes and 34 provinces.
    let places: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(motcua::demo::UNITS_2025)
        .map_err(|e| BenchError::Catalog(e.to_string()))?
        .iter()
        .filter_map(|u| u["name"].as_str().map(str::to_owned))
        .collect();
    let mut catalog = Vec::with_capacity(n);
    for i in 0..n {
        let mut p = base[i % base.len()].clone();
        if i >= base.len() {
            let code = format!("9.{:06}", i);
            p.code = motcua_domain::ProcedureCode::parse(&code).map_err(|e| BenchError::Catalog(e.to_string()))?;
            let place = places.get(i % places.len().max(1)).cloned().unwrap_or_else(|| format!("đơn vị {i}"));
            let name = format!("{} tại {place}", p.name);
            p.name = motcua_domain::Name::parse("n", &name).map_err(|e| BenchError::Catalog(e.to_string()))?;
        }
        catalog.push(p);
    }
    let started = Instant::now();
    let index = motcua_search::CatalogIndex::build(&catalog, motcua_search::Synonyms::shipped())?;
    let build = started.elapsed();
    let mut phase = Phase::default();
    let mut empty = 0usize;
    let started = Instant::now();
    for i in 0..queries {
        let q = SEARCH_QUERIES[i % SEARCH_QUERIES.len()];
        let t = Instant::now();
        let hits = index.search(q, &motcua_search::Filter::default(), 20)?;
        phase.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if hits.is_empty() {
            empty += 1;
        }
    }
    phase.seconds = started.elapsed().as_secs_f64();
    let max = phase.latencies_ms.iter().copied().fold(0.0, f64::max);
    let (turns, answered) = assistant_turns(&index, &catalog, queries)?;
    Ok([
        format!(
            "motcua bench-search — {} thủ tục ({} câu hỏi mẫu, lặp lại), chỉ mục dựng trong {:.2} s",
            index.len(),
            SEARCH_QUERIES.len(),
            build.as_secs_f64()
        ),
        phase.line("tìm kiếm (20 kết quả đầu)"),
        format!("chậm nhất {max:.2} ms; {empty} lần không có kết quả (mục tiêu p99 < 5 ms)"),
        turns.line("trợ lý ảo: một lượt hỏi"),
        format!(
            "{answered} lượt có câu trả lời về một thủ tục (mục tiêu p99 < 20 ms; không gồm việc đọc \
             1–3 thủ tục theo mã từ cơ sở dữ liệu)"
        ),
    ]
    .join("\n"))
}

/// Questions as citizens ask the assistant: what was asked, in their words, accents or not.
const ASSISTANT_QUESTIONS: &[&str] = &[
    "làm lại bằng lái hết bao nhiêu tiền",
    "lam giay khai sinh cho con can giay to gi",
    "tôi ở phường Hạ Long muốn đăng ký thường trú mất mấy ngày",
    "xin lý lịch tư pháp nộp ở đâu",
    "mở hộ kinh doanh có làm online được không",
    "sang tên sổ đỏ cần những gì, lệ phí bao nhiêu",
    "cccd bi mat lam lai o dau",
    "xin giấy phép xây nhà nộp luôn",
    "chứng thực bản sao mất phí không",
    "thành lập công ty tnhh một thành viên bao lâu",
];

/// One assistant turn per query over `catalog`, as the server runs it once the index has
/// answered: the question read (asking words and commune out), the search, the citizens'
/// order, the answer written. Reading the 1–3 procedures by code is the database's part.
fn assistant_turns(
    index: &motcua_search::CatalogIndex,
    catalog: &[motcua_domain::Procedure],
    queries: usize,
) -> Result<(Phase, usize), BenchError> {
    let by_code: std::collections::HashMap<&str, &motcua_domain::Procedure> =
        catalog.iter().map(|p| (p.code.as_str(), p)).collect();
    let mut phase = Phase::default();
    let mut answered = 0usize;
    let started = Instant::now();
    for i in 0..queries {
        let q = ASSISTANT_QUESTIONS[i % ASSISTANT_QUESTIONS.len()];
        let t = Instant::now();
        let (reading, _) = motcua::assistant::read_question(q);
        let s = index.suggest(if reading.rest.is_empty() { q } else { &reading.rest })?;
        let mut procedures: Vec<(motcua_domain::Procedure, f32)> = s
            .candidates
            .iter()
            .filter_map(|(code, c)| by_code.get(code.as_str()).map(|p| ((*p).clone(), *c)))
            .collect();
        motcua::assistant::order::likeliest_first(&mut procedures, s.clear, &reading.rest, |(p, _)| p);
        let answer = motcua::assistant::compose(&procedures, &reading, false, None);
        phase.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        answered += usize::from(answer.clear);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    Ok((phase, answered))
}

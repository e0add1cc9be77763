//! The citizen assistant: from a question in the citizen's own words to the procedure, or
//! to a question back when several fit. Offline: the search index and the catalog only.

use motcua_search::{CatalogIndex, Synonyms};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("không đọc được {0}: {1}")]
    Read(String, std::io::Error),
    #[error("dòng {0}: {1}")]
    Line(usize, String),
    #[error(transparent)]
    Search(#[from] motcua_search::SearchError),
}

/// One labelled question of an evaluation set (JSON lines: `{"q": "...", "code": "1.001193"}`).
#[derive(Debug, serde::Deserialize)]
struct Labelled {
    q: String,
    code: String,
    /// What the question asks (`fee`, `time`, `papers`, `place`, `online`, `start`): the
    /// answer must state it.
    #[serde(default)]
    asks: Vec<String>,
    /// `tuning` or `heldout`.
    #[serde(default)]
    set: Option<String>,
}

/// Where a miss goes: shown (tuning) or only counted (held out).
struct Misses<'a> {
    shown: &'a mut Vec<String>,
    hidden: &'a mut usize,
    heldout: bool,
}

impl Misses<'_> {
    fn push(&mut self, line: String) {
        if self.heldout {
            *self.hidden += 1;
        } else {
            self.shown.push(line);
        }
    }
}

/// Top-1 and top-3 accuracy of the assistant on a labelled set, over the demo catalog, with
/// the questions it got wrong.
pub fn eval(path: &std::path::Path) -> Result<String, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read(path.display().to_string(), e))?;
    let catalog: Vec<motcua_domain::Procedure> =
        serde_json::from_str(crate::demo::CATALOG).map_err(|e| EvalError::Line(0, e.to_string()))?;
    let index = CatalogIndex::build(&catalog, Synonyms::shipped())?;
    let (mut n, mut top1, mut top3, mut clear_right, mut clear) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let mut hidden = 0usize;
    let mut sets: std::collections::BTreeMap<String, super::facts::SetCounts> = Default::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let l: Labelled = serde_json::from_str(line).map_err(|e| EvalError::Line(i + 1, e.to_string()))?;
        // Searched as the assistant searches: without the words that ask (fee, time, …).
        let (reading, _) = super::read_question(&l.q);
        let s = index.suggest(if reading.rest.is_empty() { &l.q } else { &reading.rest })?;
        // Ordered as the assistant answers: among close candidates, one a citizen files first.
        let mut found: Vec<&motcua_domain::Procedure> =
            s.candidates.iter().filter_map(|c| catalog.iter().find(|p| p.code == c.0)).collect();
        super::order::likeliest_first(&mut found, s.clear, &reading.rest, |p| p);
        let codes: Vec<&str> = found.iter().map(|p| p.code.as_str()).collect();
        // The held-out half's misses are counted, never shown: nothing is tuned on them.
        let heldout = l.set.as_deref() == Some("heldout");
        let mut misses = Misses { shown: &mut misses, hidden: &mut hidden, heldout };
        n += 1;
        if codes.first() == Some(&l.code.as_str()) {
            top1 += 1;
        }
        if codes.contains(&l.code.as_str()) {
            top3 += 1;
            if codes.first() != Some(&l.code.as_str()) {
                misses.push(format!("  ~ «{}» → {:?} (đúng: {})", l.q, codes, l.code));
            }
        } else {
            misses.push(format!("  ✗ «{}» → {:?} (đúng: {})", l.q, codes, l.code));
        }
        if !l.asks.is_empty() {
            let c = sets.entry(l.set.clone().unwrap_or_else(|| "tuning".into())).or_default();
            c.n += 1;
            c.right += usize::from(codes.first() == Some(&l.code.as_str()));
            c.asked_back += usize::from(found.is_empty());
            let stated =
                found.first().is_some_and(|p| p.code.as_str() == l.code && super::facts::states(&l.q, p, &l.asks));
            c.stated += usize::from(stated);
            if !stated {
                misses.push(format!("  ? «{}» → {:?}: chưa nêu {:?}", l.q, codes.first(), l.asks));
            }
        }
        // The assistant answers about its first candidate; it asks back only with none.
        if !codes.is_empty() {
            clear += 1;
            if codes.first() == Some(&l.code.as_str()) {
                clear_right += 1;
            }
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    let mut out = vec![
        format!("{n} câu hỏi, {} thủ tục", index.len()),
        format!("top-1: {top1}/{n} = {:.1} % (mục tiêu ≥ 85 %)", pct(top1, n)),
        format!("top-3: {top3}/{n} = {:.1} % (mục tiêu ≥ 95 %)", pct(top3, n)),
        format!(
            "trả lời thẳng (không hỏi lại): {clear}/{n} = {:.1} %, trong đó đúng {:.1} %",
            pct(clear, n),
            pct(clear_right, clear)
        ),
    ];
    out.extend(sets.iter().map(|(name, c)| c.line(name)));
    if hidden > 0 {
        out.push(format!("{hidden} câu sai của phần giữ riêng (heldout) không hiện: không dùng để chỉnh trợ lý"));
    }
    if !misses.is_empty() {
        out.push("sai ở gợi ý đầu (~: đúng nằm ở vị trí 2–3; ✗: không có trong 3 gợi ý):".into());
        out.extend(misses);
    }
    Ok(out.join("\n"))
}

//! Full-text search over the procedure catalog, with tantivy, the way citizens type:
//! with or without diacritics (đ ↔ d included), with a typo per word, with everyday words
//! ("bằng lái", "sổ đỏ") that the catalog calls otherwise.
//!
//! Every text is indexed twice: NFC-normalised and lower-cased ("exact"), and folded to
//! plain ASCII letters ("folded"). A query matches on the folded form — so "dang ky khai
//! sinh" finds "Đăng ký khai sinh" — and gains on the exact form, so a query typed with the
//! right accents ranks the procedure spelled that way first. Names weigh more than the rest
//! (field, description, components); adjacent words found together in a name weigh more
//! still ("khai sinh" before "khai tử"). Words of four letters or more also match within one
//! edit (a typo, a transposition). The synonym list (`data/search/synonyms.txt`) expands a
//! query's everyday phrases into the catalog's words, and is also indexed with each
//! procedure whose name holds one of its phrases.

use std::collections::HashSet;

use motcua_domain::text::{fold, nfc};
use motcua_domain::{OrgCode, Procedure, ProcedureCode};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The synonym list shipped with motcua.
pub const SYNONYMS: &str = include_str!("../../../data/search/synonyms.txt");

/// Longest query considered, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 500;
/// Hits scoring under this are dropped: more than near-misses (fuzzy matches) alone give.
pub const MIN_SCORE: f32 = 2.5;
/// Hits scoring under this share of the best are dropped.
pub const RELEVANCE_CUTOFF: f32 = 0.3;
/// Most words of a query considered.
const MAX_WORDS: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("lỗi chỉ mục tìm kiếm: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("chỉ mục tìm kiếm hỏng: {0}")]
    Corrupt(String),
}

/// Groups of phrases searched as each other, folded and split into words.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
}

impl Synonyms {
    /// One group per line, phrases separated by `|`; `#` starts a comment.
    pub fn parse(text: &str) -> Self {
        let groups = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default())
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split('|').map(words_folded).filter(|p| !p.is_empty()).collect::<Vec<_>>())
            .filter(|g: &Vec<Vec<String>>| g.len() > 1)
            .collect();
        Self { groups }
    }

    pub fn shipped() -> Self {
        Self::parse(SYNONYMS)
    }

    /// The phrases of every group one of whose phrases occurs in `words` (as whole words),
    /// other than the ones that occur.
    fn expansions(&self, words: &[String]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for group in &self.groups {
            if group.iter().any(|p| contains_phrase(words, p)) {
                for p in group {
                    if !contains_phrase(words, p) && !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
        }
        out
    }
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

/// Words as tantivy's default tokenizer cuts them: runs of letters and digits, lower-cased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 40)
        .map(str::to_lowercase)
        .collect()
}

fn words_folded(text: &str) -> Vec<String> {
    words(&fold(text))
}

/// Words too common in questions to say anything about the procedure.
const STOP: &[&str] = &[
    "toi", "minh", "em", "anh", "chi", "muon", "can", "phai", "the", "nao", "o", "dau", "gi", "a", "ah", "nhe", "giup",
    "hoi", "xin", "thu", "tuc", "va", "voi", "cua", "la", "co", "khong", "duoc", "nhu", "bao", "nhieu", "lau", "di",
    "den", "o", "tai", "thi", "ma", "nay", "do", "ra", "vao", "nhung", "cac", "mot", "lam", "sao", "roi", "nua", "can",
    "ho", "giay", "to",
];

/// What to narrow a search to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Procedures processed by any of these organisations.
    pub orgs: Option<Vec<OrgCode>>,
    pub field: Option<String>,
    pub level: Option<String>,
    pub online: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub code: ProcedureCode,
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    code: Field,
    name_exact: Field,
    name_folded: Field,
    body_exact: Field,
    body_folded: Field,
    synonyms: Field,
    org: Field,
    field: Field,
    level: Field,
    online: Field,
}

/// The catalog's index, in memory. Cheap to search from many threads at once.
pub struct CatalogIndex {
    reader: IndexReader,
    fields: Fields,
    synonyms: Synonyms,
    len: usize,
}

impl CatalogIndex {
    /// Indexes these procedures.
    pub fn build(procedures: &[Procedure], synonyms: Synonyms) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let fields = Fields {
            code: sb.add_text_field("code", STRING | STORED),
            name_exact: sb.add_text_field("name_exact", TEXT),
            name_folded: sb.add_text_field("name_folded", TEXT),
            body_exact: sb.add_text_field("body_exact", TEXT),
            body_folded: sb.add_text_field("body_folded", TEXT),
            synonyms: sb.add_text_field("synonyms", TEXT),
            org: sb.add_text_field("org", STRING),
            field: sb.add_text_field("field", STRING),
            level: sb.add_text_field("level", STRING),
            online: sb.add_text_field("online", STRING),
        };
        let index = Index::create_in_ram(sb.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
        for p in procedures {
            let name = nfc(p.name.as_str());
            let mut body = vec![nfc(p.field.name.as_str()), nfc(p.description.as_str()), nfc(p.result.as_str())];
            body.extend(p.components.iter().map(|c| nfc(c.name.as_str())));
            body.extend(p.applicants.iter().map(|a| nfc(a.as_str())));
            let body = body.join(" \n ");
            let expansions = synonyms.expansions(&words_folded(&name));
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.code, p.code.as_str());
            doc.add_text(fields.name_exact, &name);
            doc.add_text(fields.name_folded, fold(&name));
            doc.add_text(fields.body_exact, &body);
            doc.add_text(fields.body_folded, fold(&body));
            doc.add_text(fields.synonyms, expansions.iter().map(|p| p.join(" ")).collect::<Vec<_>>().join(" . "));
            for o in &p.organisations {
                doc.add_text(fields.org, o.as_str());
            }
            doc.add_text(fields.field, p.field.code.as_str());
            doc.add_text(fields.level, level_str(p));
            doc.add_text(fields.online, online_str(p));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { reader, fields, synonyms, len: procedures.len() })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The best `limit` procedures for `query`, best first (ties by code). An empty or
    /// meaningless query finds nothing.
    pub fn search(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let Some(q) = self.query(query) else { return Ok(Vec::new()) };
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, q)];
        let f = &self.fields;
        if let Some(orgs) = &filter.orgs {
            let any: Vec<(Occur, Box<dyn Query>)> =
                orgs.iter().map(|o| (Occur::Should, term_query(f.org, o.as_str()))).collect::<Vec<_>>();
            must.push((Occur::Must, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(any)), 0.0))));
        }
        for (field, value) in [(f.field, &filter.field), (f.level, &filter.level), (f.online, &filter.online)] {
            if let Some(v) = value {
                must.push((Occur::Must, Box::new(BoostQuery::new(term_query(field, v), 0.0))));
            }
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(must), &TopDocs::with_limit(limit.clamp(1, 10_000)))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let code = doc
                .get_first(self.fields.code)
                .and_then(|v| v.as_str())
                .ok_or_else(|| SearchError::Corrupt("thiếu mã thủ tục".into()))?;
            let code = ProcedureCode::parse(code).map_err(|e| SearchError::Corrupt(e.to_string()))?;
            hits.push(Hit { code, score });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
        // Far weaker than the best (one common word in common), or resting on near-misses
        // alone (a fuzzy match scores a constant, under MIN_SCORE): noise, not an answer.
        if let Some(best) = hits.first().map(|h| h.score) {
            hits.retain(|h| h.score >= best * RELEVANCE_CUTOFF && h.score >= MIN_SCORE);
        }
        Ok(hits)
    }

    /// The scoring query for a user's text, or None if it has no usable word.
    fn query(&self, raw: &str) -> Option<Box<dyn Query>> {
        let text: String = nfc(raw).chars().take(MAX_QUERY_CHARS).collect();
        let exact: Vec<String> = words(&text).into_iter().take(MAX_WORDS).collect();
        let folded: Vec<String> = words_folded(&text).into_iter().take(MAX_WORDS).collect();
        if folded.is_empty() {
            return None;
        }
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = HashSet::new();
        let meaningful: Vec<&String> = folded.iter().filter(|w| !STOP.contains(&String::as_str(w))).collect();
        // Only filler words ("không có thủ tục này"): nothing to look for.
        if meaningful.is_empty() {
            return None;
        }
        for w in meaningful {
            if !seen.insert(w.clone()) {
                continue;
            }
            clauses.push(boosted(term_query(f.name_folded, w), 3.0));
            clauses.push(boosted(term_query(f.body_folded, w), 1.0));
            clauses.push(boosted(term_query(f.synonyms, w), 1.5));
            if w.chars().count() >= 4 {
                let fuzzy = |field| Box::new(FuzzyTermQuery::new(Term::from_field_text(field, w), 1, true));
                clauses.push(boosted(fuzzy(f.name_folded), 1.5));
                clauses.push(boosted(fuzzy(f.body_folded), 0.4));
            }
        }
        // Typed with accents: the same accents weigh more.
        for w in exact.iter().filter(|w| !w.is_ascii()) {
            if seen.insert(format!("exact:{w}")) {
                clauses.push(boosted(term_query(f.name_exact, w), 2.0));
                clauses.push(boosted(term_query(f.body_exact, w), 0.5));
            }
        }
        // Adjacent words together in a name.
        for pair in folded.windows(2) {
            let terms = pair.iter().map(|w| Term::from_field_text(f.name_folded, w)).collect();
            clauses.push(boosted(Box::new(PhraseQuery::new(terms)), 2.0));
        }
        // Everyday phrases, in the catalog's words.
        for phrase in self.synonyms.expansions(&folded) {
            match phrase.as_slice() {
                [one] => clauses.push(boosted(term_query(f.name_folded, one), 1.5)),
                many => {
                    let terms = many.iter().map(|w| Term::from_field_text(f.name_folded, w)).collect();
                    clauses.push(boosted(Box::new(PhraseQuery::new(terms)), 2.0));
                }
            }
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(BoostQuery::new(q, boost)))
}

fn level_str(p: &Procedure) -> &'static str {
    p.level.as_str()
}

fn online_str(p: &Procedure) -> &'static str {
    p.online.as_str()
}

#[cfg(test)]
mod tests;

/// What the assistant makes of a question: the likely procedures, each with a confidence
/// (shares of the candidates' scores, 0–1), and whether the first is clear enough to answer
/// with, or the citizen should be asked which one they mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub candidates: Vec<(ProcedureCode, f32)>,
    pub clear: bool,
}

/// The first candidate is taken as the answer when it scores this much more than the second.
pub const CLEAR_MARGIN: f32 = 1.25;

impl CatalogIndex {
    /// Up to three candidates for a citizen's question.
    pub fn suggest(&self, question: &str) -> Result<Suggestion, SearchError> {
        let hits = self.search(question, &Filter::default(), 3)?;
        let total: f32 = hits.iter().map(|h| h.score).sum();
        let clear = match hits.as_slice() {
            [] => false,
            [_] => true,
            [a, b, ..] => a.score >= b.score * CLEAR_MARGIN,
        };
        let candidates = hits.into_iter().map(|h| (h.code, h.score / total.max(f32::EPSILON))).collect();
        Ok(Suggestion { candidates, clear })
    }
}

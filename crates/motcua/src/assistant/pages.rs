//! `/tro-ly`: the assistant as a chat on the portal. A plain GET form (asking changes
//! nothing), so it works without JavaScript: the form carries the questions asked so far,
//! and the page answers them again in order — each in the context the one before left — so
//! the conversation shows whole and no server keeps it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::assistant::{Context, answer, places};
use crate::catalog::Catalog;
use crate::web::page::*;
use crate::web::texts::Texts;

/// Earlier questions kept in the conversation (the oldest drops out after this many).
const KEPT: usize = 6;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/tro-ly", axum::routing::get(assistant_page))
}

/// One question and its answer.
pub(crate) struct TurnView {
    question: String,
    /// The answer's lines.
    answer: Vec<String>,
    /// (code, name, start url)
    candidates: Vec<(String, String, String)>,
    /// The submission form filled with the declaration gathered, once done.
    review_url: String,
}

#[derive(Template)]
#[template(path = "web/assistant.html")]
pub(crate) struct AssistantPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    turns: Vec<TurnView>,
    /// The questions to carry to the next one, one per line.
    history: String,
    /// A question refused (empty, too long): what to fix, and the question to correct.
    message: String,
    refused: String,
    /// The conversation's state before the first question shown: its procedure, commune and
    /// declaration being filled (JSON).
    procedure: String,
    commune: String,
    filling: String,
    /// The commune's name, after the last answer.
    commune_name: String,
    /// The last answer asked for a field of the declaration: the next words are its value.
    answering: bool,
}

#[derive(Debug, Deserialize)]
pub struct AssistantQuery {
    hoi: Option<String>,
    /// The questions asked before, one per line (the form carries them).
    truoc: Option<String>,
    /// The procedure talked of before the first of them (a procedure page's "ask about it").
    thu_tuc: Option<String>,
    /// The citizen's commune, if known before.
    xa: Option<String>,
    /// The declaration being filled before the first of them (JSON).
    to_khai: Option<String>,
}

/// The assistant on the portal: ask in your own words, read the answer, ask on.
pub(crate) async fn assistant_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Query(q): Query<AssistantQuery>,
) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let question = q.hoi.unwrap_or_default();
    let mut asked: Vec<String> = q
        .truoc
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.chars().count() <= 1000)
        .map(str::to_owned)
        .collect();
    // The form carries at most KEPT; more (a hand-made address) is not answered again: each
    // costs a turn.
    asked.drain(..asked.len().saturating_sub(KEPT));
    let mut context = Context {
        procedure: q.thu_tuc.as_deref().and_then(|c| motcua_domain::ProcedureCode::parse(c).ok()),
        commune: q.xa.filter(|c| places::named_by_code(c).is_some()),
        form: q.to_khai.as_deref().and_then(|f| serde_json::from_str(f).ok()),
    };
    let mut page = AssistantPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        turns: Vec::new(),
        history: String::new(),
        message: String::new(),
        refused: String::new(),
        procedure: String::new(),
        commune: String::new(),
        filling: String::new(),
        commune_name: String::new(),
        answering: false,
    };
    let catalog = Catalog::of(&state);
    let en = t.lang == "en";
    let fresh = !question.trim().is_empty();
    if fresh {
        asked.push(question.trim().to_owned());
    }
    // Shown: the last KEPT questions; the form carries the state before the first of them.
    let shown_from = asked.len().saturating_sub(KEPT);
    let mut start = context.clone();
    for (i, q) in asked.iter().enumerate() {
        if i == shown_from {
            start = context.clone();
        }
        match answer(&catalog, q, en, &context).await {
            Ok(a) => {
                context.procedure = a
                    .procedure
                    .as_deref()
                    .and_then(|c| motcua_domain::ProcedureCode::parse(c).ok())
                    .or(context.procedure);
                context.commune = a.commune.clone();
                context.form = a.form.clone();
                page.answering = a.form.is_some();
                page.commune_name = a.commune_name.unwrap_or_default();
                if i < shown_from {
                    continue;
                }
                page.turns.push(TurnView {
                    question: q.clone(),
                    answer: a.answer.lines().map(str::to_owned).collect(),
                    candidates: a
                        .candidates
                        .into_iter()
                        .map(|c| (c.code, c.name, c.start_url.unwrap_or_default()))
                        .collect(),
                    review_url: a.review_url.unwrap_or_default(),
                });
            }
            // Only the new question can be refused (the carried ones were taken before).
            Err(e) if e.status().is_client_error() && fresh && i + 1 == asked.len() => {
                let status = e.status();
                page.message = e.message;
                page.refused = q.chars().take(1000).collect();
                return finish(page, start, status);
            }
            Err(e) if e.status().is_client_error() => {}
            Err(e) => return server_error(t, &uri, e.message),
        }
    }
    finish(page, start, axum::http::StatusCode::OK)
}

/// The page, its form carrying the questions shown and the state before the first of them.
fn finish(mut page: AssistantPage, start: Context, status: axum::http::StatusCode) -> Response {
    page.history = page.turns.iter().map(|t| t.question.as_str()).collect::<Vec<_>>().join("\n");
    page.procedure = start.procedure.map(|p| p.to_string()).unwrap_or_default();
    page.commune = start.commune.unwrap_or_default();
    page.filling = start.form.and_then(|f| serde_json::to_string(&f).ok()).unwrap_or_default();
    if status.is_success() { render(page) } else { render_status(status, page) }
}

//! The meeting pages, for a 10-inch tablet as for a desktop: `/cuoc-hop` (my meetings),
//! `/cuoc-hop/moi` (calling one, with its pack's files) and `/cuoc-hop/{id}` (the meeting:
//! the answer to the invitation, the pack and its comments, the item the chair has open —
//! followed live by `static/meeting.js` — the opinions, the minutes and their signature).
//! Thin over [`crate::meetings::Meetings`]: the same rules as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::AccountKind;
use motcua_domain::meeting::Choice;
use motcua_store::Page;
use serde::Deserialize;

use super::{ItemRequest, MeetingAction, MeetingRequest, MeetingView, Meetings};
use crate::app::AppState;
use crate::web::page::{Nav, PageCtx, Pager, login_redirect, other_lang_href, render, server_error};
use crate::web::texts::Texts;

const PER_PAGE: i64 = 30;
/// Agenda rows on the form that calls a meeting.
const FORM_ITEMS: usize = 6;
const SCRIPT: &str = include_str!("../../static/meeting.js");

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/cuoc-hop/moi", get(new_form))
        .route("/cuoc-hop/{id}", get(page).post(act))
        .route("/static/meeting.js", get(script))
        // Calling a meeting carries its files: a body as large as they are together.
        .merge(
            axum::Router::new()
                .route("/cuoc-hop", get(list).post(call))
                .layer(axum::extract::DefaultBodyLimit::max(super::MAX_FILES_BYTES + 1024 * 1024)),
        )
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}

// The error is the page the handler returns at once; boxing it would only add a step.
#[allow(clippy::result_large_err)]
fn staff_only(cx: &PageCtx) -> Result<motcua_domain::Account, Response> {
    let Some(account) = cx.account.clone() else { return Err(login_redirect(cx.t, &cx.uri)) };
    if account.kind != AccountKind::Staff {
        return Err(cx.refused(
            StatusCode::FORBIDDEN,
            cx.t.error_title,
            cx.t.pick("Phòng họp không giấy dành cho cán bộ.", "Paperless meetings are for officers.").into(),
        ));
    }
    Ok(account)
}

#[derive(Template)]
#[template(path = "web/meetings.html")]
struct ListPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    items: Vec<MeetingView>,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    trang: Option<i64>,
}

/// `/cuoc-hop`.
async fn list(State(state): State<AppState>, cx: PageCtx, Query(q): Query<ListQuery>) -> Response {
    let account = match staff_only(&cx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let page_no = q.trang.unwrap_or(1).clamp(1, 10_000);
    let page = Page::new(Some((page_no - 1) * PER_PAGE), Some(PER_PAGE));
    match Meetings::of(&state).list(&account, page).await {
        Ok(found) => render(ListPage {
            t: cx.t,
            nav: cx.nav.clone(),
            other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
            pager: Pager::new(&cx.uri, page_no, PER_PAGE, found.total),
            items: found.items,
        }),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/meeting_new.html")]
struct NewPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// The organisations the officer works at: (code, name).
    orgs: Vec<(String, String)>,
    rows: Vec<usize>,
}

/// `/cuoc-hop/moi`.
async fn new_form(State(state): State<AppState>, cx: PageCtx) -> Response {
    let account = match staff_only(&cx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let orgs = crate::documents::Documents::of(&state).org_names(&account).await;
    render(NewPage {
        t: cx.t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
        orgs: orgs.into_iter().map(|(c, n)| (c.to_string(), n)).collect(),
        rows: (1..=FORM_ITEMS).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
struct CallForm {
    #[serde(default)]
    csrf: String,
}

/// Usernames in free text: one per line, or separated by commas or spaces.
fn names(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The form that calls a meeting, as the API's request: item rows left blank are skipped;
/// each row's file goes with its item.
fn request_of(parts: &crate::web::multipart::FormParts) -> (MeetingRequest, Vec<String>) {
    let field = |k: &str| parts.text(k).unwrap_or_default();
    let mut items = Vec::new();
    let mut file_fields = Vec::new();
    for n in 1..=FORM_ITEMS {
        let title = field(&format!("item-{n}-title"));
        if title.is_empty() {
            continue;
        }
        let documents = names(&field(&format!("item-{n}-documents"))).iter().filter_map(|d| d.parse().ok()).collect();
        let file = format!("item-{n}-file");
        let files = if parts.files.iter().any(|f| f.0 == file) {
            file_fields.push(file);
            vec![file_fields.len()]
        } else {
            Vec::new()
        };
        items.push(ItemRequest { title, presenter: field(&format!("item-{n}-presenter")), documents, files });
    }
    let req = MeetingRequest {
        org: field("org"),
        chair: field("chair"),
        title: field("title"),
        starts_at: field("starts_at"),
        place: field("place"),
        invitees: names(&field("invitees")),
        items,
    };
    (req, file_fields)
}

/// Calling a meeting from the form: to its page, or a page saying why not.
async fn call(State(state): State<AppState>, cx: PageCtx, request: axum::extract::Request) -> Response {
    let t = cx.t;
    let parts = match crate::web::multipart::read_any_form(request).await {
        Ok(p) => p,
        Err((status, message)) => return cx.refused(status, t.error_title, message),
    };
    let (account, _) = match cx.signed_in_posted(parts.parse::<CallForm>(), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (req, file_fields) = request_of(&parts);
    // The files in the order the items name them (one per row at most).
    let mut ordered = crate::web::multipart::FormParts { texts: Vec::new(), files: Vec::new() };
    for name in &file_fields {
        if let Some(f) = parts.files.iter().find(|f| &f.0 == name) {
            ordered.files.push(f.clone());
        }
    }
    let files = match ordered.uploads() {
        Ok(f) => f,
        Err(e) => return cx.refused(e.status(), t.error_title, e.message),
    };
    match Meetings::of(&state).call(&account, &req, files).await {
        Ok(m) => Redirect::to(&format!("/cuoc-hop/{}{}", m.id, t.query)).into_response(),
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), t.error_title, e.message),
        Err(e) => server_error(t, &cx.uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/meeting.html")]
struct MeetingPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    m: MeetingView,
    notice: String,
    /// The viewer's organisation's officers (username, name), to choose a delegate from.
    colleagues: Vec<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    xong: Option<String>,
}

/// `/cuoc-hop/{id}`.
async fn page(State(state): State<AppState>, cx: PageCtx, Path(id): Path<i64>, Query(q): Query<PageQuery>) -> Response {
    let account = match staff_only(&cx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let m = match Meetings::of(&state).get(&account, id).await {
        Ok(m) => m,
        Err(e) if e.status().is_client_error() => return cx.refused(e.status(), cx.t.not_found_title, e.message),
        Err(e) => return server_error(cx.t, &cx.uri, e.message),
    };
    let colleagues = if m.you.can_answer {
        Meetings::of(&state).delegate_choices(&account, id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let notice = if q.xong.is_some() { cx.t.pick("Đã ghi nhận.", "Recorded.") } else { "" };
    render(MeetingPage {
        t: cx.t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
        m,
        notice: notice.to_owned(),
        colleagues,
    })
}

#[derive(Debug, Default, Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    item: Option<usize>,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    to: String,
}

/// A step from the meeting's page: back to it (at the item acted on), or a page saying why not.
async fn act(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let parts = crate::web::multipart::FormParts { texts: form, files: Vec::new() };
    let (account, f) = match cx.signed_in_posted(parts.parse::<ActForm>(), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let choice = match f.choice.as_str() {
        "agree" => Some(Choice::Agree),
        "disagree" => Some(Choice::Disagree),
        "other" => Some(Choice::Other),
        _ => None,
    };
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let req = MeetingAction {
        action: f.action.clone(),
        item: f.item,
        choice,
        text: some(&f.text),
        conclusion: some(&f.conclusion),
        to: some(&f.to),
    };
    match Meetings::of(&state).act(&account, id, &req).await {
        Ok(_) => {
            let sep = if cx.t.query.is_empty() { "?" } else { "&" };
            let at = f.item.map(|n| format!("#muc-{n}")).unwrap_or_default();
            Redirect::to(&format!("/cuoc-hop/{id}{}{sep}xong=1{at}", cx.t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), cx.t.error_title, e.message),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

//! The feedback pages: `/phan-anh` (send one, find one by its code, the published answers),
//! `/phan-anh/{code}` (how it stands; the sender rates the answer; the handling officers
//! classify, send on, answer or refuse it) and `/phan-anh/xu-ly` (an organisation's queue).
//! Thin over [`super::Feedbacks`]: the same rules as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::OrgCode;
use motcua_domain::feedback::{FeedbackStatus, Topic};
use motcua_store::{OrgFilter, Page};
use serde::Deserialize;

use super::{FeedbackAction, FeedbackRequest, FeedbackView, Feedbacks, FileView, PublishedView};
use crate::app::AppState;
use crate::web::page::*;
use crate::web::texts::Texts;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/phan-anh/xu-ly", get(queue))
        // The forms that carry files: a body as large as their files together.
        .merge(
            axum::Router::new()
                .route("/phan-anh", get(home).post(send))
                .route("/phan-anh/{code}", get(item).post(act))
                .layer(axum::extract::DefaultBodyLimit::max(motcua_domain::feedback::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
}

const TOPICS: [Topic; 4] = [Topic::Procedure, Topic::Dossier, Topic::Organisation, Topic::Regulation];

fn topics() -> Vec<(&'static str, &'static str)> {
    TOPICS.iter().map(|t| (t.as_str(), t.label_vi())).collect()
}

async fn organisations(state: &AppState) -> Vec<(String, String)> {
    crate::catalog::Catalog::of(state)
        .organisations(&OrgFilter::default(), Page::all())
        .await
        .map(|p| p.items.into_iter().map(|o| (o.code.to_string(), o.name.to_string())).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "web/feedback_home.html")]
struct HomePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    topics: Vec<(&'static str, &'static str)>,
    orgs: Vec<(String, String)>,
    signed_in: bool,
    /// What was typed, when the form comes back with a message.
    form: SendForm,
    message: String,
    q: String,
    answers: Vec<PublishedView>,
    total: i64,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    about: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    publish: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct HomeQuery {
    q: Option<String>,
    ma: Option<String>,
    trang: Option<i64>,
}

/// Published answers a page.
const ANSWERS_PER_PAGE: i64 = 20;
/// Feedback a page of the officers' queue.
const QUEUE_PER_PAGE: i64 = 50;

/// The page number asked for (1 when absent or nonsense) and the matching store page.
fn page_of(trang: Option<i64>, per_page: i64) -> (i64, Page) {
    let n = trang.unwrap_or(1).clamp(1, 10_000);
    (n, Page::new(Some((n - 1) * per_page), Some(per_page)))
}

async fn home_page(
    state: &AppState,
    cx: &PageCtx,
    q: String,
    trang: Option<i64>,
    form: SendForm,
    message: String,
) -> HomePage {
    let (page_no, page) = page_of(trang, ANSWERS_PER_PAGE);
    let words = Some(q.as_str()).filter(|s| !s.trim().is_empty());
    let found = Feedbacks::of(state).published(words, page).await.ok();
    let (answers, total) = found.map_or((Vec::new(), 0), |p| (p.items, p.total));
    let pager = Pager::new(&cx.uri, page_no, ANSWERS_PER_PAGE, total);
    HomePage {
        t: cx.t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
        topics: topics(),
        orgs: organisations(state).await,
        signed_in: cx.account.is_some(),
        form,
        message,
        q,
        answers,
        total,
        pager,
    }
}

/// `/phan-anh`: the form, the look-up by code (`?ma=` goes to it) and the published answers.
async fn home(State(state): State<AppState>, cx: PageCtx, Query(q): Query<HomeQuery>) -> Response {
    if let Some(code) = q.ma.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let code: String = code.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        return Redirect::to(&format!("/phan-anh/{}{}", code.to_ascii_uppercase(), cx.t.query)).into_response();
    }
    let query: String = q.q.unwrap_or_default().chars().take(200).collect();
    render(home_page(&state, &cx, query, q.trang, SendForm::default(), String::new()).await)
}

/// Sends the form: on to the new feedback's page, or back with what was wrong.
async fn send(State(state): State<AppState>, cx: PageCtx, request: axum::extract::Request) -> Response {
    let (f, uploads) = match cx.posted_with_files::<SendForm>(request, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let (Some(topic), Ok(org)) = (Topic::parse(&f.topic), OrgCode::parse(&f.org)) else {
        let message = cx.t.pick("Hãy chọn nội dung liên quan và cơ quan nhận.", "Choose a topic and an organisation.");
        return render_status(
            StatusCode::BAD_REQUEST,
            home_page(&state, &cx, String::new(), None, f, message.into()).await,
        );
    };
    let req = FeedbackRequest {
        topic,
        about: opt(&f.about),
        title: f.title.clone(),
        content: f.content.clone(),
        org,
        name: opt(&f.name),
        phone: opt(&f.phone),
        email: opt(&f.email),
        address: opt(&f.address),
        publish: f.publish.is_some(),
    };
    let sent = match uploads {
        Ok(files) => Feedbacks::of(&state).submit(cx.account.as_ref(), &req, files).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(v) => {
            let sep = if cx.t.query.is_empty() { "?" } else { "&" };
            Redirect::to(&format!("/phan-anh/{}{}{sep}xong=gui", v.code, cx.t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => {
            render_status(e.status(), home_page(&state, &cx, String::new(), None, f, e.message).await)
        }
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/feedback_item.html")]
struct ItemPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    f: FeedbackView,
    notice: String,
    /// The viewer handles it (officers of the organisation holding it, while it is open).
    handles: bool,
    /// The viewer may rate it (its sender, once answered and not yet rated).
    rates: bool,
    /// Not classified yet (the classify form is offered).
    received: bool,
    /// Refused: its answer is the legal reason.
    refused: bool,
    topics: Vec<(&'static str, &'static str)>,
    orgs: Vec<(String, String)>,
    /// The sender's files and the answer's (as the viewer may see them).
    sent_files: Vec<FileView>,
    answer_files: Vec<FileView>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ItemQuery {
    xong: Option<String>,
}

/// `/phan-anh/{code}`.
async fn item(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let feedbacks = Feedbacks::of(&state);
    let mut f = match feedbacks.get(cx.account.as_ref(), &code).await {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            return cx.refused(StatusCode::NOT_FOUND, cx.t.not_found_title, e.message);
        }
        Err(e) => return server_error(cx.t, &cx.uri, e.message),
    };
    let open = matches!(f.status, FeedbackStatus::Received | FeedbackStatus::Processing);
    let handles = open && feedbacks.handles(cx.account.as_ref(), &f.org);
    let rates = f.status == FeedbackStatus::Answered
        && f.rating.is_none()
        && feedbacks.may_rate(cx.account.as_ref(), &code).await;
    let t = cx.t;
    let notice = match q.xong.as_deref() {
        Some("gui") => t.pick(
            "Đã gửi. Hãy ghi lại mã phản ánh, kiến nghị để theo dõi.",
            "Sent. Keep the tracking code to follow it.",
        ),
        Some("classify") => t.pick("Đã phân loại.", "Classified."),
        Some("answer") => t.pick("Đã trả lời.", "Answered."),
        Some("refuse") => t.pick("Đã từ chối thụ lý.", "Refused."),
        Some("rate") => t.pick("Cảm ơn bạn đã đánh giá.", "Thank you for your rating."),
        _ => "",
    };
    let (answer_files, sent_files) = std::mem::take(&mut f.files).into_iter().partition(|x| x.from == "answer");
    render(ItemPage {
        t,
        sent_files,
        answer_files,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, t.lang_value()),
        notice: notice.to_owned(),
        handles,
        rates,
        received: f.status == FeedbackStatus::Received,
        refused: f.status == FeedbackStatus::Refused,
        topics: topics(),
        orgs: if handles { organisations(&state).await } else { Vec::new() },
        f,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    to_org: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    stars: Option<i64>,
}

/// An action from the feedback's page: back to it saying what was done, or a page saying why
/// not (the API's rules).
async fn act(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (f, uploads) = match cx.posted_with_files::<ActForm>(request, |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = FeedbackAction {
        action: f.action.clone(),
        topic: Topic::parse(&f.topic),
        to_org: OrgCode::parse(&f.to_org).ok(),
        text: Some(f.text.clone()),
        stars: f.stars,
    };
    let done = match uploads {
        Ok(files) => Feedbacks::of(&state).act(cx.account.as_ref(), &code, &req, files).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(v) => {
            let sep = if cx.t.query.is_empty() { "?" } else { "&" };
            let done: String = f.action.chars().filter(char::is_ascii_lowercase).collect();
            Redirect::to(&format!("/phan-anh/{}{}{sep}xong={done}", v.code, cx.t.query)).into_response()
        }
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => login_redirect(cx.t, &cx.uri),
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), cx.t.error_title, e.message),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/feedback_queue.html")]
struct QueuePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    items: Vec<FeedbackView>,
    total: i64,
    status: String,
    /// The organisations whose feedback the officer handles (a chooser when more than one),
    /// and the one shown.
    orgs: Vec<(String, String)>,
    org: String,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct QueueQuery {
    status: Option<String>,
    org: Option<String>,
    trang: Option<i64>,
}

/// `/phan-anh/xu-ly`: officers, their organisation's feedback (open first by default);
/// citizens, their own.
async fn queue(State(state): State<AppState>, cx: PageCtx, Query(q): Query<QueueQuery>) -> Response {
    let Some(account) = cx.account.clone() else { return login_redirect(cx.t, &cx.uri) };
    let status = match q.status.as_deref() {
        Some("received") => Some(FeedbackStatus::Received),
        Some("processing") => Some(FeedbackStatus::Processing),
        Some("answered") => Some(FeedbackStatus::Answered),
        Some("refused") => Some(FeedbackStatus::Refused),
        _ => None,
    };
    let feedbacks = Feedbacks::of(&state);
    let orgs = feedbacks.handled_orgs(&account).await.unwrap_or_default();
    let org = q.org.as_deref().and_then(|o| OrgCode::parse(o).ok());
    let (page_no, page) = page_of(q.trang, QUEUE_PER_PAGE);
    match feedbacks.list(&account, org, status, page).await {
        Ok(p) => render(QueuePage {
            t: cx.t,
            nav: cx.nav.clone(),
            other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
            pager: Pager::new(&cx.uri, page_no, QUEUE_PER_PAGE, p.total),
            org: q.org.or_else(|| orgs.first().map(|o| o.0.clone())).unwrap_or_default(),
            orgs,
            items: p.items,
            total: p.total,
            status: q.status.unwrap_or_default(),
        }),
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), cx.t.error_title, e.message),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

//! The work pages: `/van-ban/viec` (an officer's work, or an organisation's, the overdue
//! first) and `/van-ban/{id}/cong-viec` (assigning an incoming document; its work, with the
//! forms for what the viewer may do next). Thin over [`crate::documents::work::Works`]: the
//! same rules as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::work::{Direction as WorkDirection, WorkStatus};
use motcua_domain::{OrgCode, Role};
use motcua_store::Page;
use motcua_store::documents::{Direction, DocumentFilter};
use serde::Deserialize;

use crate::app::AppState;
use crate::documents::Documents;
use crate::documents::work::{AssignRequest, WorkAction, WorkView, Works};
use crate::web::page::{Nav, PageCtx, Pager, login_redirect, other_lang_href, render, server_error};
use crate::web::texts::Texts;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "web/work_list.html")]
struct ListPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    items: Vec<WorkView>,
    /// The organisations the officer works at (a chooser), and the one shown ("" for their own).
    orgs: Vec<(String, String)>,
    org: String,
    open: bool,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    org: Option<String>,
    /// "1": closed work too.
    tat_ca: Option<String>,
    trang: Option<i64>,
}

/// `/van-ban/viec`.
pub(super) async fn list(State(state): State<AppState>, cx: PageCtx, Query(q): Query<ListQuery>) -> Response {
    let Some(account) = cx.account.clone() else { return login_redirect(cx.t, &cx.uri) };
    if account.kind != motcua_domain::AccountKind::Staff {
        return cx.refused(
            StatusCode::FORBIDDEN,
            cx.t.error_title,
            cx.t.pick("Trang dành cho cán bộ.", "For officers.").into(),
        );
    }
    let org = q.org.as_deref().filter(|o| !o.is_empty()).and_then(|o| OrgCode::parse(o).ok());
    let open = q.tat_ca.as_deref() != Some("1");
    let page_no = q.trang.unwrap_or(1).clamp(1, 10_000);
    let page = Page::new(Some((page_no - 1) * PER_PAGE), Some(PER_PAGE));
    let orgs = Documents::of(&state).org_names(&account).await;
    match Works::of(&state).list(&account, org.clone(), open, false, page).await {
        Ok(found) => render(ListPage {
            t: cx.t,
            nav: cx.nav.clone(),
            other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
            pager: Pager::new(&cx.uri, page_no, PER_PAGE, found.total),
            items: found.items,
            orgs: orgs.into_iter().map(|(c, n)| (c.to_string(), n)).collect(),
            org: org.map(|o| o.to_string()).unwrap_or_default(),
            open,
        }),
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), cx.t.error_title, e.message),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/work_item.html")]
struct ItemPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    id: i64,
    subject: String,
    notice: String,
    /// The work, once assigned.
    w: Option<WorkView>,
    /// The viewer leads the organisation (assigns, approves, sends back, reassigns).
    leader: bool,
    handler: bool,
    co_handler: bool,
    /// The organisation's officers (username, name), to choose handlers from.
    staff: Vec<(String, String)>,
    /// The organisation's recent outgoing documents (id, "number — subject"), to name the reply.
    outgoing: Vec<(i64, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ItemQuery {
    xong: Option<String>,
}

/// `/van-ban/{id}/cong-viec`.
pub(super) async fn page(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let t = cx.t;
    let Some(account) = cx.account.clone() else { return login_redirect(t, &cx.uri) };
    let doc = match Documents::of(&state).load(id, &account).await {
        Ok(d) if d.direction == Direction::Incoming => d,
        Ok(_) | Err(_) => {
            return cx.refused(
                StatusCode::NOT_FOUND,
                t.not_found_title,
                t.pick("Không tìm thấy văn bản đến.", "No such incoming document.").into(),
            );
        }
    };
    let works = Works::of(&state);
    let w = match works.get(&account, id).await {
        Ok(w) => Some(w),
        Err(e) if e.status() == StatusCode::NOT_FOUND => None,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let me = account.username.as_str();
    let leader = account.can_act(&doc.org, Role::Leader);
    let handler = w.as_ref().is_some_and(|w| w.handler == me);
    let co_handler = w.as_ref().is_some_and(|w| w.co_handlers.iter().any(|c| c == me));
    let staff = if leader || handler { works.colleagues(&doc.org).await.unwrap_or_default() } else { Vec::new() };
    let outgoing = if w.as_ref().is_some_and(|w| w.status == WorkStatus::Approved) {
        let filter = DocumentFilter {
            orgs: Some(vec![doc.org.clone()]),
            direction: Some(Direction::Outgoing),
            ..Default::default()
        };
        Documents::of(&state)
            .list(&filter, Page::new(None, Some(20)))
            .await
            .map(|p| p.items.into_iter().map(|d| (d.id, format!("{} — {}", d.number, d.subject))).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let notice = match q.xong.as_deref() {
        Some("assign") => t.pick("Đã giao việc; nơi gửi đã nhận báo «đã phân công».", "Assigned; the sender is told."),
        Some(_) => t.pick("Đã ghi nhận.", "Recorded."),
        None => "",
    };
    render(ItemPage {
        t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, t.lang_value()),
        id,
        subject: doc.subject.clone(),
        notice: notice.to_owned(),
        w,
        leader,
        handler,
        co_handler,
        staff,
        outgoing,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WorkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    days: Option<u16>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reply: Option<i64>,
}

/// Assigning or a step, from the work page: back to it saying it was done, or a page saying
/// why not (the API's rules).
pub(super) async fn post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Response {
    let t = cx.t;
    let parts = match crate::web::multipart::read_any_form(request).await {
        Ok(p) => p,
        Err((status, message)) => return cx.refused(status, t.error_title, message),
    };
    // The co-handlers are one checked box each (a repeated field).
    let co: Vec<String> = parts.all("co_handlers").into_iter().map(str::to_owned).collect();
    let (account, f) = match cx.signed_in_posted(parts.parse::<WorkForm>(), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let text = Some(f.text.trim().to_owned()).filter(|s| !s.is_empty());
    let works = Works::of(&state);
    let done = if f.action == "assign" {
        let direction = match f.direction.as_str() {
            "information" => WorkDirection::Information,
            "report" => WorkDirection::Report,
            _ => WorkDirection::Handle,
        };
        let req = AssignRequest {
            direction,
            handler: f.handler.clone(),
            co_handlers: co,
            days: f.days.unwrap_or(0),
            note: text,
        };
        works.assign(&account, id, &req).await
    } else {
        let req = WorkAction {
            action: f.action.clone(),
            text,
            to: Some(f.to.clone()).filter(|s| !s.is_empty()),
            handler: Some(f.handler.clone()).filter(|s| !s.is_empty()),
            co_handlers: Some(co),
            reply: f.reply,
        };
        works.act(&account, id, &req).await
    };
    match done {
        Ok(_) => {
            let sep = if cx.t.query.is_empty() { "?" } else { "&" };
            let what: String = f.action.chars().filter(|c| c.is_ascii_lowercase() || *c == '_').collect();
            Redirect::to(&format!("/van-ban/{id}/cong-viec{}{sep}xong={what}", cx.t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => cx.refused(e.status(), cx.t.error_title, e.message),
        Err(e) => server_error(cx.t, &cx.uri, e.message),
    }
}

//! Pages of the official document exchange: the incoming and outgoing registers, composing
//! and sending, reading a document with its recipients' status timelines, and the
//! recipient's and sender's actions.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::{Account, OrgCode};
use motcua_exchange::edxml::{BusinessType, PackageAttachment, StatusCode as DocStatusCode};
use motcua_store::Page;
use motcua_store::documents::{Direction, DocumentFilter};
use serde::Deserialize;

use crate::app::AppState;
use crate::documents::exchange::{self, BusinessRequest, ExchangeServiceError, can_act, can_view};
use crate::documents::{DocumentView, Documents, SendRequest, outgoing_from, summary};
use crate::web::multipart::read_form;
use crate::web::page::Pager;
use crate::web::page::{
    Nav, PageCtx, error_page, login_redirect, other_lang_href, render, render_status, server_error,
};
use crate::web::texts::Texts;

mod work;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/van-ban", get(registers))
        .route("/van-ban/{id}", get(read))
        .route("/van-ban/{id}/trang-thai", post(status_post))
        .route("/van-ban/{id}/thu-hoi", post(business_post))
        .route("/van-ban/{id}/quyet-dinh", post(decision_post))
        .route("/van-ban/viec", get(work::list))
        .route("/van-ban/{id}/cong-viec", get(work::page).post(work::post))
        .merge(
            axum::Router::new()
                .route("/van-ban/soan", get(compose).post(compose_post))
                .layer(axum::extract::DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
}

fn status_label(t: &Texts, direction: &str, state: &str) -> String {
    if direction == "out" {
        return match state {
            "recalled" => t.pick("Đã thu hồi", "Recalled").to_owned(),
            _ => t.pick("Đã gửi", "Sent").to_owned(),
        };
    }
    match DocStatusCode::parse(state) {
        Some(s) => t.pick(s.label_vi(), s.label_en()).to_owned(),
        None if state == "pending" => t.pick("Đang chuyển", "On its way").to_owned(),
        None => state.to_owned(),
    }
}

fn priority_label(t: &Texts, p: u8) -> &'static str {
    let p = motcua_exchange::edxml::Priority(p);
    t.pick(p.label_vi(), p.label_en())
}

pub struct Row {
    id: i64,
    number: i64,
    code: String,
    date: String,
    party: String,
    subject: String,
    state: String,
    priority: &'static str,
    urgent: bool,
    pending: bool,
}

#[derive(Template)]
#[template(path = "web/documents.html")]
struct RegistersPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    incoming: bool,
    /// (code, name, selected)
    orgs: Vec<(String, String, bool)>,
    year: String,
    rows: Vec<Row>,
    pager: Pager,
    can_send: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    /// `den` (incoming, the default) or `di` (outgoing).
    so: Option<String>,
    co_quan: Option<String>,
    nam: Option<String>,
    trang: Option<i64>,
}

/// The registers of the officer's organisations.
async fn registers(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<RegisterQuery>) -> Response {
    let t = ctx.t;
    let Some(account) = ctx.account.clone().filter(|a| a.kind == motcua_domain::AccountKind::Staff) else {
        return login_redirect(ctx.t, &ctx.uri);
    };
    let incoming = q.so.as_deref() != Some("di");
    let mine = Documents::of(&state).org_names(&account).await;
    let chosen = q.co_quan.as_deref().and_then(|c| OrgCode::parse(c).ok()).filter(|c| can_view(&account, c));
    let year = q.nam.as_deref().and_then(|y| y.trim().parse::<i32>().ok()).filter(|y| (1900..=9999).contains(y));
    let filter = DocumentFilter {
        orgs: Some(match &chosen {
            Some(c) => vec![c.clone()],
            None => mine.iter().map(|(c, _)| c.clone()).collect(),
        }),
        direction: Some(if incoming { Direction::Incoming } else { Direction::Outgoing }),
        year,
        state: None,
    };
    let page_no = q.trang.unwrap_or(1).clamp(1, 10_000);
    let found = match Documents::of(&state).list(&filter, Page::new(Some((page_no - 1) * 50), Some(50))).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &ctx.uri, e.message),
    };
    let mut rows = Vec::new();
    for d in &found.items {
        let Ok(h) = exchange::header_of(d) else { continue };
        let s = summary(d, &h);
        let party = if incoming {
            format!("{} ({})", h.from.name, h.from.id)
        } else {
            h.to.iter().map(|o| o.name.clone()).collect::<Vec<_>>().join("; ")
        };
        rows.push(Row {
            id: d.id,
            number: d.number,
            code: s.code,
            date: s.promulgation_date,
            party,
            subject: d.subject.clone(),
            state: status_label(t, d.direction.as_str(), &d.state),
            priority: priority_label(t, h.priority.0),
            urgent: h.priority.0 > 0,
            pending: d.pending.is_some(),
        });
    }
    render(RegistersPage {
        t,
        nav: ctx.nav.clone(),
        other_lang_href: other_lang_href(&ctx.uri, t.lang_value()),
        incoming,
        orgs: mine.iter().map(|(c, n)| (c.to_string(), n.clone(), chosen.as_ref() == Some(c))).collect(),
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        rows,
        pager: Pager::new(&ctx.uri, page_no, 50, found.total),
        can_send: mine.iter().any(|(c, _)| can_act(&account, c)),
    })
}

#[derive(Template)]
#[template(path = "web/document_compose.html")]
struct ComposePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// Organisations the officer may send for.
    from: Vec<(String, String)>,
    /// Recipients on this server and on partner servers: (group label, [(code, name)]).
    groups: Vec<(String, Vec<(String, String)>)>,
    values: Vec<(String, String)>,
    chosen_to: Vec<String>,
    message: String,
}

impl ComposePage {
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
    fn chosen(&self, code: &str) -> bool {
        self.chosen_to.iter().any(|c| c == code)
    }
}

/// The hidden field that carries the compose form's idempotency key.
const FORM_KEY: &str = "form_key";

const DOCUMENT_TYPES: [&str; 8] =
    ["Công văn", "Quyết định", "Thông báo", "Giấy mời", "Báo cáo", "Kế hoạch", "Tờ trình", "Chỉ thị"];

async fn compose_page(
    state: &AppState,
    ctx: &PageCtx,
    account: &Account,
    values: Vec<(String, String)>,
    chosen_to: Vec<String>,
    message: String,
) -> Result<ComposePage, Response> {
    let t = ctx.t;
    let from: Vec<(String, String)> = Documents::of(state)
        .org_names(account)
        .await
        .into_iter()
        .filter(|(c, _)| can_act(account, c))
        .map(|(c, n)| (c.to_string(), n))
        .collect();
    let (orgs, peers) = Documents::of(state).recipients().await.map_err(|e| server_error(t, &ctx.uri, e.message))?;
    let mut values = values;
    // The form's own key: pressing "Gửi" twice, or a resend after a lost answer, sends once.
    if !values.iter().any(|(k, v)| k == FORM_KEY && !v.is_empty()) {
        let bytes =
            crate::accounts::auth::random_bytes::<16>().map_err(|e| server_error(t, &ctx.uri, e.to_string()))?;
        values.retain(|(k, _)| k != FORM_KEY);
        values.push((FORM_KEY.to_owned(), crate::accounts::auth::hex(&bytes)));
    }
    let mut groups = vec![(
        t.pick("Trong hệ thống", "On this server").to_owned(),
        orgs.iter().map(|o| (o.code.to_string(), o.name.as_str().to_owned())).collect::<Vec<_>>(),
    )];
    for p in peers {
        let list =
            p.orgs.iter().map(|(c, n)| (c.to_string(), if n.is_empty() { c.to_string() } else { n.clone() })).collect();
        groups.push((format!("{} {}", t.pick("Đối tác:", "Partner:"), p.name), list));
    }
    Ok(ComposePage {
        t,
        nav: ctx.nav.clone(),
        other_lang_href: other_lang_href(&ctx.uri, t.lang_value()),
        from,
        groups,
        values,
        chosen_to,
        message,
    })
}

async fn compose(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let Some(account) = ctx.account.clone().filter(|a| a.kind == motcua_domain::AccountKind::Staff) else {
        return login_redirect(ctx.t, &ctx.uri);
    };
    let defaults = vec![("document_type".to_owned(), "Công văn".to_owned()), ("priority".to_owned(), "0".to_owned())];
    match compose_page(&state, &ctx, &account, defaults, vec![], String::new()).await {
        Ok(p) if p.from.is_empty() => error_page(
            StatusCode::FORBIDDEN,
            ctx.t,
            ctx.nav.clone(),
            &ctx.uri,
            ctx.t.error_title,
            ctx.t
                .pick("Chỉ văn thư và lãnh đạo cơ quan được gửi văn bản.", "Only clerks and leaders send documents.")
                .into(),
        ),
        Ok(p) => render(p),
        Err(r) => r,
    }
}

async fn compose_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let t = ctx.t;
    let Some(account) = ctx.account.clone().filter(|a| a.kind == motcua_domain::AccountKind::Staff) else {
        return login_redirect(ctx.t, &ctx.uri);
    };
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err((status, msg)) => return error_page(status, t, ctx.nav.clone(), &ctx.uri, t.error_title, msg),
    };
    let text = |k: &str| form.texts.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    if !ctx.csrf_ok(&text("csrf")) {
        return error_page(StatusCode::FORBIDDEN, t, ctx.nav.clone(), &ctx.uri, t.error_title, t.csrf_failed.into());
    }
    let to: Vec<String> = form.texts.iter().filter(|(n, _)| n == "to").map(|(_, v)| v.clone()).collect();
    let values: Vec<(String, String)> = form.texts.iter().filter(|(n, _)| n != "to" && n != "csrf").cloned().collect();
    let mut files = Vec::new();
    let mut problem = None;
    for (_, name, bytes) in &form.files {
        let name = motcua_domain::attachment::clean_filename(name);
        match motcua_domain::attachment::check_file(&name, bytes) {
            Ok(ct) => files.push(PackageAttachment {
                name,
                content_type: ct.to_owned(),
                description: String::new(),
                data: bytes.to_vec(),
            }),
            Err(e) => problem = Some(e.to_string()),
        }
    }
    let req = SendRequest {
        from: text("from"),
        to: to.clone(),
        notation: text("notation"),
        document_type: text("document_type"),
        subject: text("subject"),
        content: text("content"),
        signer_competence: text("signer_competence"),
        signer_position: text("signer_position"),
        signer_name: text("signer_name"),
        place: text("place"),
        due_date: Some(text("due_date")),
        priority: text("priority").parse().unwrap_or(0),
        to_places: text("to_places").lines().map(str::to_owned).collect(),
    };
    // What was sent, for the form key: the same key with other contents is another document.
    let mut sent = values.iter().filter(|(k, _)| k != FORM_KEY).map(|(k, v)| format!("{k}={v}\n")).collect::<String>();
    sent.extend(to.iter().map(|c| format!("to={c}\n")));
    sent.extend(files.iter().map(|f| format!("file={} {}\n", f.name, motcua_domain::audit::sha256_hex(&f.data))));
    let key = match crate::app::idempotency_key(
        Some(text(FORM_KEY)).filter(|k| !k.is_empty()).as_deref(),
        &account,
        &motcua_domain::audit::sha256_hex(sent.as_bytes()),
    ) {
        Ok(k) => k,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, t, ctx.nav.clone(), &ctx.uri, t.error_title, e.message),
    };
    let result = match problem {
        Some(p) => Err(p),
        None => match outgoing_from(req, files) {
            Err(e) => Err(e.message),
            Ok(outgoing) => match state.exchange.send(&account, outgoing, key.as_ref()).await {
                Ok((d, _)) => Ok(d),
                Err(ExchangeServiceError::KeyReused) => Err(t
                    .pick(
                        "Biểu mẫu này đã gửi một văn bản khác. Mở lại trang Soạn văn bản để gửi văn bản mới.",
                        "This form already sent another document. Open Write a document again to send a new one.",
                    )
                    .to_owned()),
                Err(e) => Err(crate::app::AppError::from(e).message),
            },
        },
    };
    match result {
        Ok(d) => Redirect::to(&format!("/van-ban/{}{}", d.id, t.query)).into_response(),
        Err(message) => match compose_page(&state, &ctx, &account, values, to, message).await {
            Ok(p) => render_status(StatusCode::UNPROCESSABLE_ENTITY, p),
            Err(r) => r,
        },
    }
}

#[derive(Template)]
#[template(path = "web/document.html")]
struct DocumentPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    d: DocumentView,
    incoming: bool,
    /// (code, label) of statuses the officer may record.
    statuses: Vec<(String, String)>,
    can_business: bool,
    can_decide: bool,
    priority: &'static str,
    notice: String,
}

impl DocumentPage {
    fn label(&self, state: &str) -> String {
        status_label(self.t, if self.incoming { "in" } else { "out" }, state)
    }
    fn recipient_label(&self, state: &str) -> String {
        status_label(self.t, "in", state)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReadQuery {
    msg: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<ReadQuery>,
) -> Response {
    let t = ctx.t;
    let Some(account) = ctx.account.clone() else { return login_redirect(ctx.t, &ctx.uri) };
    let not_found = || {
        error_page(
            StatusCode::NOT_FOUND,
            t,
            ctx.nav.clone(),
            &ctx.uri,
            t.error_title,
            t.pick("Không tìm thấy văn bản.", "Document not found.").into(),
        )
    };
    let documents = Documents::of(&state);
    let d = match documents.load(id, &account).await {
        Ok(d) => d,
        Err(e) if e.status() == StatusCode::NOT_FOUND => return not_found(),
        Err(e) => return server_error(t, &ctx.uri, e.message),
    };
    let view = match documents.view(&d, &account).await {
        Ok(v) => v,
        Err(e) => return server_error(t, &ctx.uri, e.message),
    };
    let statuses = view
        .allowed_actions
        .iter()
        .filter_map(|a| DocStatusCode::parse(a).map(|s| (a.clone(), t.pick(s.label_vi(), s.label_en()).to_owned())))
        .collect();
    let notice = match q.msg.as_deref() {
        Some("ok") => {
            t.pick("Đã ghi nhận và gửi báo nhận cho nơi gửi.", "Recorded; the sender is notified.").to_owned()
        }
        Some("gui") => t.pick("Đã gửi thông báo cho nơi nhận.", "The recipients are notified.").to_owned(),
        _ => String::new(),
    };
    render(DocumentPage {
        t,
        nav: ctx.nav.clone(),
        other_lang_href: other_lang_href(&ctx.uri, t.lang_value()),
        incoming: d.direction == Direction::Incoming,
        can_business: view.allowed_actions.iter().any(|a| a == "recall"),
        can_decide: view.allowed_actions.iter().any(|a| a == "accept_business"),
        priority: priority_label(t, view.summary.priority),
        statuses,
        d: view,
        notice,
    })
}

/// What an action page shows when the service refuses.
fn refused(ctx: &PageCtx, e: ExchangeServiceError) -> Response {
    let api = crate::app::AppError::from(e);
    error_page(api.status(), ctx.t, ctx.nav.clone(), &ctx.uri, ctx.t.error_title, api.message)
}

#[derive(Deserialize)]
pub struct StatusForm {
    csrf: String,
    status: String,
    #[serde(default)]
    description: String,
}

async fn status_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    form: Result<Form<StatusForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = ctx.account.clone() else { return login_redirect(ctx.t, &ctx.uri) };
    let f = match ctx.posted(form.map(|f| f.0), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(status) = DocStatusCode::parse(&f.status) else {
        return refused(&ctx, ExchangeServiceError::Invalid("trạng thái không hợp lệ".into()));
    };
    match state.exchange.set_status(&account, id, status, &f.description).await {
        Ok(_) => Redirect::to(&format!("/van-ban/{id}?msg=ok{}", ctx.t.amp_lang)).into_response(),
        Err(e) => refused(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct BusinessForm {
    csrf: String,
    kind: String,
    reason: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    content: String,
}

async fn business_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    form: Result<Form<BusinessForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = ctx.account.clone() else { return login_redirect(ctx.t, &ctx.uri) };
    let f = match ctx.posted(form.map(|f| f.0), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let kind = match f.kind.as_str() {
        "recall" => BusinessType::Recall,
        "update" => BusinessType::Update,
        "replace" => BusinessType::Replace,
        _ => return refused(&ctx, ExchangeServiceError::Invalid("chọn thu hồi, cập nhật hoặc thay thế".into())),
    };
    let nonempty = |s: String| (!s.trim().is_empty()).then_some(s);
    let req = BusinessRequest {
        kind,
        reason: f.reason,
        subject: nonempty(f.subject),
        content: nonempty(f.content),
        attachments: None,
    };
    match state.exchange.business(&account, id, req).await {
        Ok(_) => Redirect::to(&format!("/van-ban/{id}?msg=gui{}", ctx.t.amp_lang)).into_response(),
        Err(e) => refused(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    accept: String,
    #[serde(default)]
    reason: String,
}

async fn decision_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    form: Result<Form<DecisionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = ctx.account.clone() else { return login_redirect(ctx.t, &ctx.uri) };
    let f = match ctx.posted(form.map(|f| f.0), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.exchange.decide(&account, id, f.accept == "yes", &f.reason).await {
        Ok(_) => Redirect::to(&format!("/van-ban/{id}?msg=ok{}", ctx.t.amp_lang)).into_response(),
        Err(e) => refused(&ctx, e),
    }
}

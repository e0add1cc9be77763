//! The public web pages, in Vietnamese first and English second: the catalog (search with or
//! without diacritics, browse by field and organisation), each procedure, and dossier
//! tracking. Server-rendered with compiled templates; no JavaScript; one stylesheet shipped
//! in the binary.

mod account;
mod admin;
mod appointments;
mod citizen;
pub mod csrf;
mod documents;
mod dossier;
mod ioc;
mod kiosk;
mod officer;
mod texts;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_domain::{OnlineLevel, OrgCode, OrgKind, PaperForm, Procedure, ProcedureCode};
use motcua_store::{OrgFilter, Page, ProcedureFilter};
use serde::Deserialize;

use crate::api::AppState;
pub use texts::{Lang, Texts};

const CSS: &str = include_str!("../../static/app.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/thu-tuc/{code}", get(procedure))
        .route("/tra-cuu", get(track))
        .route("/tro-ly", get(assistant_page))
        .route("/xac-minh", get(verify_page))
        .route("/xac-minh/{number}", get(verify_number_page))
        .route("/dang-nhap", get(login_page).post(login_submit))
        // Signing out is a form post (a link could sign anyone out); a plain visit goes home.
        .route("/dang-xuat", get(|| async { Redirect::to("/") }).post(logout))
        .route("/ho-so", get(my_dossiers))
        .route("/ho-so/{code}", get(dossier::dossier_page))
        .route("/ho-so/{code}/danh-gia", post(citizen::rate_post))
        .route("/nop-ho-so/{code}/xem-lai", get(citizen::review_page).post(citizen::review_post))
        .route("/nhap/{id}/xoa", post(citizen::delete_draft))
        .merge(admin::routes())
        .merge(account::routes())
        .merge(documents::routes())
        .merge(ioc::routes())
        .merge(kiosk::routes())
        .merge(appointments::routes())
        .merge(
            Router::new()
                .route("/ho-so/{code}/thao-tac", post(dossier::act_post))
                .route("/nop-ho-so/{code}", get(citizen::submit_page).post(citizen::submit_post))
                .route("/quay/tiep-nhan", get(officer::counter_page).post(officer::counter_post))
                .layer(axum::extract::DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        .layer(axum::middleware::from_fn(csrf::ensure_token))
        .route("/static/app.css", get(css))
        .route("/static/favicon.svg", get(favicon))
}

/// What the header shows: who is signed in, and the token for the sign-out form.
#[derive(Clone)]
pub struct Nav {
    user_name: Option<String>,
    csrf: String,
    /// Staff: the inbox instead of "my dossiers".
    staff: bool,
    /// Holds an administrator role: the administration link.
    admin: bool,
    /// Works at a one-stop desk: the ticket-calling link.
    desk: bool,
}

impl Nav {
    /// The header of someone not signed in (or of a page that does not look).
    fn signed_out(csrf: String) -> Self {
        Self { user_name: None, csrf, staff: false, admin: false, desk: false }
    }
}

async fn nav(state: &AppState, headers: &HeaderMap, token: &csrf::CsrfToken) -> (Nav, Option<motcua_domain::Account>) {
    let account = crate::api::accounts::session_of(state, headers).await.map(|(a, _)| a);
    let nav = Nav {
        user_name: account.as_ref().map(|a| a.full_name.to_string()),
        csrf: token.0.clone(),
        staff: account.as_ref().is_some_and(|a| a.kind == motcua_domain::AccountKind::Staff),
        admin: account.as_ref().is_some_and(|a| a.roles.iter().any(|r| r.role == motcua_domain::Role::Administrator)),
        desk: account.as_ref().is_some_and(|a| a.roles.iter().any(|r| r.role == motcua_domain::Role::DeskOfficer)),
    };
    (nav, account)
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

/// A dossier status in the page's language.
fn status_text(t: &Texts, code: u8) -> &'static str {
    motcua_domain::workflow::Status::from_code(code)
        .map_or("", |s| if t.lang == "en" { s.label_en() } else { s.label_vi() })
}

/// What a person calls a file's type (the stored types are these three).
fn file_type(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        _ => "tệp",
    }
}

/// An action (by its machine name) in the page's language.
fn action_text(t: &Texts, key: &str) -> String {
    match serde_json::from_value::<motcua_domain::workflow::ActionKind>(serde_json::Value::String(key.to_owned())) {
        Ok(a) if t.lang == "en" => a.label_en().to_owned(),
        Ok(a) => a.label_vi().to_owned(),
        Err(_) => key.to_owned(),
    }
}

/// Where to go after signing in: a path on this site only (no `//host`, no scheme).
fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && n.len() <= 300
        && !n.chars().any(char::is_control);
    ok.then(|| n.to_owned())
}

/// Sends a signed-out visitor to sign in, coming back here afterwards.
fn login_redirect(t: &Texts, uri: &Uri) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let encoded = percent(here);
    let lang = if t.lang == "en" { "&lang=en" } else { "" };
    Redirect::to(&format!("/dang-nhap?next={encoded}{lang}")).into_response()
}

/// Percent-encodes all but unreserved characters, for a value inside a query string.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What every page needs: the language (`?lang=en` for English, else Vietnamese), the
/// signed-in account if any, the header, and the request's CSRF token.
pub struct PageCtx {
    t: &'static Texts,
    nav: Nav,
    account: Option<motcua_domain::Account>,
    uri: Uri,
    headers: HeaderMap,
    token: csrf::CsrfToken,
}

impl axum::extract::FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let english = parts.uri.query().unwrap_or_default().split('&').any(|kv| kv == "lang=en");
        let t = Texts::of(if english { Lang::En } else { Lang::Vi });
        let token = parts.extensions.get::<csrf::CsrfToken>().cloned().unwrap_or(csrf::CsrfToken(String::new()));
        let (nav, account) = nav(state, &parts.headers, &token).await;
        Ok(Self { t, nav, account, uri: parts.uri.clone(), headers: parts.headers.clone(), token })
    }
}

// The error is the page the handler returns at once; boxing it would only add a step.
#[allow(clippy::result_large_err)]
impl PageCtx {
    /// Whether a posted token is this request's CSRF token.
    fn csrf_ok(&self, value: &str) -> bool {
        csrf::verify(&self.headers, &self.token, value)
    }

    /// The error page with this status, heading and message, for this request.
    fn refused(&self, status: StatusCode, heading: &str, message: String) -> Response {
        error_page(status, self.t, self.nav.clone(), &self.uri, heading, message)
    }

    /// A posted form that parsed, or the 400 page to answer with.
    fn parsed<T, R>(&self, form: Result<T, R>) -> Result<T, Response> {
        form.map_err(|_| {
            let t = self.t;
            error_page(StatusCode::BAD_REQUEST, t, self.nav.clone(), &self.uri, t.error_title, t.error_message.into())
        })
    }

    /// A posted form that parsed and carries this request's CSRF token, or the 400 / 403 page.
    fn posted<T, R>(&self, form: Result<T, R>, csrf: fn(&T) -> &str) -> Result<T, Response> {
        let f = self.parsed(form)?;
        if !self.csrf_ok(csrf(&f)) {
            let t = self.t;
            return Err(error_page(
                StatusCode::FORBIDDEN,
                t,
                self.nav.clone(),
                &self.uri,
                t.error_title,
                t.csrf_failed.into(),
            ));
        }
        Ok(f)
    }
}

/// The same page in the other language.
fn other_lang_href(uri: &Uri, lang: Lang) -> String {
    let kept: Vec<&str> =
        uri.query().unwrap_or_default().split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("lang=")).collect();
    let mut query = kept.join("&");
    if lang == Lang::Vi {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("lang=en");
    }
    if query.is_empty() { uri.path().to_owned() } else { format!("{}?{query}", uri.path()) }
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống").into_response()
        }
    }
}

/// A page with another status than 200 (a form shown again with its error, say).
fn render_status(status: StatusCode, t: impl Template) -> Response {
    let mut r = render(t);
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    heading: String,
    message: String,
}

/// The title of a refusal (4xx): what kind it is, never "the system failed", which is for 5xx.
fn refusal_title(t: &Texts, status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            t.pick("Bạn không có quyền truy cập", "You do not have access")
        }
        StatusCode::NOT_FOUND | StatusCode::GONE => t.not_found_title,
        StatusCode::CONFLICT => t.pick("Không thể thực hiện", "This cannot be done"),
        StatusCode::TOO_MANY_REQUESTS => t.pick("Vui lòng chờ một chút", "Please wait a moment"),
        _ => t.pick("Yêu cầu chưa hợp lệ", "Please check your request"),
    }
}

/// A page that says what went wrong. A refusal (4xx) given the fault title gets the title of
/// its kind instead ([`refusal_title`]).
fn error_page(status: StatusCode, t: &'static Texts, nav: Nav, uri: &Uri, heading: &str, message: String) -> Response {
    let heading = if status.is_client_error() && heading == t.error_title { refusal_title(t, status) } else { heading };
    render_status(
        status,
        ErrorPage {
            t,
            nav,
            other_lang_href: other_lang_href(uri, t.lang_value()),
            heading: heading.to_owned(),
            message,
        },
    )
}

/// The texts of the language a URL asks for (`lang=en`, else Vietnamese).
fn texts_of_uri(uri: &Uri) -> &'static Texts {
    let english = uri.query().unwrap_or_default().split('&').any(|kv| kv == "lang=en");
    Texts::of(if english { Lang::En } else { Lang::Vi })
}

/// A page for an error a browser would otherwise have got as text or JSON (an unknown path, a
/// path or body the router could not read, a method the page does not take): what kind of
/// refusal it is, and a way home.
pub(crate) fn page_for_error(uri: &Uri, status: StatusCode) -> Response {
    let t = texts_of_uri(uri);
    let nav = Nav::signed_out(String::new());
    let message = match status {
        StatusCode::NOT_FOUND => t.pick(
            "Không có trang ở địa chỉ này. Hãy kiểm tra lại đường dẫn, hoặc tìm thủ tục từ trang chủ.",
            "There is no page at this address. Check the link, or find a procedure from the home page.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => t.pick(
            "Trang này không nhận yêu cầu theo cách đó. Hãy mở lại trang từ trình đơn.",
            "This page cannot be used that way. Open it again from the menu.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            t.pick("Dữ liệu gửi lên quá lớn. Hãy gửi tệp nhỏ hơn.", "What you sent is too large. Send smaller files.")
        }
        StatusCode::FORBIDDEN => t.pick(
            "Yêu cầu bị từ chối. Hãy tải lại trang rồi thử lại.",
            "The request was refused. Reload the page and try again.",
        ),
        s if s.is_server_error() => t.error_message,
        _ => t.pick(
            "Yêu cầu không hợp lệ. Hãy kiểm tra lại đường dẫn hoặc nội dung đã nhập.",
            "The request is not valid. Check the link or what you entered.",
        ),
    };
    error_page(status, t, nav, uri, t.error_title, message.to_owned())
}

/// The page for a request over its address's quota ([`crate::throttle`]).
pub(crate) fn too_many_requests(uri: &Uri, seconds: u64) -> Response {
    let t = texts_of_uri(uri);
    let nav = Nav::signed_out(String::new());
    let message = t
        .pick(
            "Có quá nhiều yêu cầu từ địa chỉ của bạn trong thời gian ngắn. Vui lòng thử lại sau {} giây.",
            "Too many requests from your address in a short time. Please try again in {} seconds.",
        )
        .replace("{}", &seconds.to_string());
    let heading = t.pick("Vui lòng chờ một chút", "Please wait a moment");
    error_page(StatusCode::TOO_MANY_REQUESTS, t, nav, uri, heading, message)
}

fn server_error(t: &'static Texts, uri: &Uri, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page");
    let nav = Nav::signed_out(String::new());
    error_page(StatusCode::INTERNAL_SERVER_ERROR, t, nav, uri, t.error_title, t.error_message.to_owned())
}

fn online_label(t: &Texts, o: OnlineLevel) -> &'static str {
    match o {
        OnlineLevel::Full => t.online_full,
        OnlineLevel::Partial => t.online_partial,
        OnlineLevel::None => t.online_none,
    }
}

pub struct Card {
    code: String,
    name: String,
    field: String,
    agency: String,
    online: &'static str,
    full_online: bool,
    time_limit: String,
}

/// A time limit in the reader's language ("5 ngày làm việc", "5 working days").
pub(crate) fn time_limit_text(t: &Texts, limit: &motcua_domain::TimeLimit) -> String {
    if t.lang == "en" { limit.english() } else { limit.to_string() }
}

fn card(t: &Texts, p: &Procedure) -> Card {
    Card {
        code: p.code.to_string(),
        name: p.name.to_string(),
        field: p.field.name.to_string(),
        agency: p.agency.to_string(),
        online: online_label(t, p.online),
        full_online: p.online == OnlineLevel::Full,
        time_limit: time_limit_text(t, &p.time_limit),
    }
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    q: String,
    searched: bool,
    results: Vec<Card>,
    more: bool,
    fields: Vec<(String, String, usize)>,
    orgs: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
    field: Option<String>,
    org: Option<String>,
}

async fn home(State(state): State<AppState>, cx: PageCtx, Query(q): Query<HomeQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect::<String>());
    let field = q.field.as_deref().and_then(|f| motcua_domain::FieldCode::parse(f).ok());
    let org = q.org.as_deref().and_then(|o| OrgCode::parse(o).ok());
    let searched = text.is_some() || field.is_some() || org.is_some();
    let filter = if searched {
        ProcedureFilter { text: text.clone(), field, org, ..Default::default() }
    } else {
        ProcedureFilter { online: Some(OnlineLevel::Full), ..Default::default() }
    };
    let limit = if searched { 60 } else { 12 };
    let found = match crate::api::catalog::find_procedures(&state, filter, Page::new(Some(0), Some(limit))).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let all = match state.store.list_procedures(&ProcedureFilter::default(), Page::all()).await {
        Ok(a) => a.items,
        Err(e) => return server_error(t, &uri, e),
    };
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    for p in &all {
        match fields.iter_mut().find(|f| f.0 == p.field.code.as_str()) {
            Some(f) => f.2 += 1,
            None => fields.push((p.field.code.to_string(), p.field.name.to_string(), 1)),
        }
    }
    fields.sort_by_cached_key(|f| motcua_domain::text::fold(&f.1));
    let orgs = match state
        .store
        .list_organisations(
            &OrgFilter { kind: Some(OrgKind::Department), ..Default::default() },
            Page::new(Some(0), Some(100)),
        )
        .await
    {
        Ok(o) => o.items.into_iter().map(|o| (o.code.to_string(), o.name.to_string())).collect(),
        Err(e) => return server_error(t, &uri, e),
    };
    render(Home {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        q: text.unwrap_or_default(),
        searched,
        more: found.total > found.items.len() as i64,
        results: found.items.iter().map(|p| card(t, p)).collect(),
        fields,
        orgs,
    })
}

pub struct ProcedureView {
    code: String,
    name: String,
    description: String,
    field: String,
    agency: String,
    applicants: String,
    time_limit: String,
    online: &'static str,
    full_online: bool,
    online_submission: bool,
    /// (description, amount, note)
    fees: Vec<(String, String, String, String)>,
    result: String,
    where_processed: String,
    /// (name, form, copies, required, template)
    components: Vec<(String, &'static str, u8, &'static str, String)>,
    legal_basis: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/procedure.html")]
struct ProcedurePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    p: ProcedureView,
}

async fn procedure(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let not_found =
        |nav| error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, format!("{} {code}", t.no_procedure));
    let Ok(pc) = ProcedureCode::parse(&code) else { return not_found(nav) };
    let p = match state.store.procedure(&pc).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(nav),
        Err(e) => return server_error(t, &uri, e),
    };
    let where_processed = match p.organisations.as_slice() {
        [] => p.agency.to_string(),
        [one] => match state.store.organisation(one).await {
            Ok(Some(o)) => o.name.to_string(),
            _ => one.to_string(),
        },
        many => format!("{} ({} {})", p.agency, many.len(), t.places),
    };
    let view = ProcedureView {
        code: p.code.to_string(),
        name: p.name.to_string(),
        description: p.description.to_string(),
        field: p.field.name.to_string(),
        agency: p.agency.to_string(),
        applicants: p.applicants.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "),
        time_limit: time_limit_text(t, &p.time_limit),
        online: online_label(t, p.online),
        full_online: p.online == OnlineLevel::Full,
        online_submission: p.online != OnlineLevel::None,
        fees: p
            .fees
            .iter()
            .map(|f| {
                let online = match f.online_amount {
                    Some(o) if o.amount() == 0 => {
                        t.pick("miễn khi nộp trực tuyến", "free when submitted online").to_owned()
                    }
                    Some(o) => format!("{} {o}", t.pick("nộp trực tuyến:", "online:")),
                    None => String::new(),
                };
                (
                    f.description.to_string(),
                    f.amount.to_string(),
                    f.note.as_ref().map(|n| n.to_string()).unwrap_or_default(),
                    online,
                )
            })
            .collect(),
        result: p.result.to_string(),
        where_processed,
        components: p
            .components
            .iter()
            .map(|c| {
                let form = match c.form {
                    PaperForm::Original => t.original,
                    PaperForm::Copy => t.copy,
                    PaperForm::OriginalOrCopy => t.original_or_copy,
                };
                let required = if c.required { t.yes } else { t.no };
                (
                    c.name.to_string(),
                    form,
                    c.copies,
                    required,
                    c.template.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        legal_basis: p.legal_basis.iter().map(|l| l.to_string()).collect(),
    };
    render(ProcedurePage { t, nav, other_lang_href: other_lang_href(&uri, t.lang_value()), p: view })
}

pub struct TrackView {
    code: String,
    procedure_name: String,
    status: &'static str,
    step: String,
    submitted: String,
    due: String,
    /// (at, action, status)
    timeline: Vec<(String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "web/track.html")]
struct TrackPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    found: Option<TrackView>,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    ma: Option<String>,
}

async fn track(State(state): State<AppState>, cx: PageCtx, Query(q): Query<TrackQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let code = q.ma.as_deref().map(str::trim).unwrap_or_default().chars().take(60).collect::<String>();
    let mut page = TrackPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        code: code.clone(),
        found: None,
        message: String::new(),
    };
    if code.is_empty() {
        return render(page);
    }
    match crate::api::dossiers::tracking(&state, &code).await {
        Ok(tr) => {
            page.found = Some(TrackView {
                code: tr.code.to_string(),
                procedure_name: tr.procedure_name,
                status: status_text(t, tr.status_code),
                step: if t.lang == "en" { tr.step_name_en } else { tr.step_name }.unwrap_or_else(|| "—".into()),
                submitted: tr.submitted_at_display,
                due: tr.due_at_display.unwrap_or_else(|| t.not_yet.to_owned()),
                timeline: tr
                    .timeline
                    .into_iter()
                    .map(|e| (e.at_display, action_text(t, &e.action), status_text(t, e.status_code)))
                    .collect(),
            });
            render(page)
        }
        Err(e) => match tracking_refusal(t, &e) {
            Some(message) => {
                page.message = message.to_owned();
                render_status(e.status, page)
            }
            None => server_error(t, &uri, e.message),
        },
    }
}

/// What a tracking page says when a code is not one (400) or names no dossier (404); None
/// for a failure of the server.
fn tracking_refusal(t: &'static Texts, e: &crate::api::error::ApiError) -> Option<&'static str> {
    match e.status {
        StatusCode::BAD_REQUEST => Some(t.bad_code),
        StatusCode::NOT_FOUND => Some(t.no_dossier),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    username: String,
    message: String,
    next: String,
}

impl LoginPage {
    /// Registration, coming back to the same place afterwards.
    fn register_href(&self) -> String {
        match (self.next.is_empty(), self.t.lang == "en") {
            (true, _) => format!("/dang-ky{}", self.t.query),
            (false, en) => format!("/dang-ky?next={}{}", percent(&self.next), if en { "&lang=en" } else { "" }),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_page(cx: PageCtx, Query(nq): Query<NextQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let next = safe_next(nq.next.as_deref());
    if account.is_some() {
        return Redirect::to(&next.unwrap_or_else(|| format!("/ho-so{}", t.query))).into_response();
    }
    render(LoginPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        username: String::new(),
        message: String::new(),
        next: next.unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    cx: PageCtx,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let PageCtx { t, uri, headers, token, .. } = cx;
    let next = form.as_ref().ok().and_then(|f| safe_next(f.next.as_deref()));
    let page = |status: StatusCode, username: String, message: &str| {
        let nav = Nav::signed_out(token.0.clone());
        render_status(
            status,
            LoginPage {
                t,
                nav,
                other_lang_href: other_lang_href(&uri, t.lang_value()),
                username,
                message: message.to_owned(),
                next: next.clone().unwrap_or_default(),
            },
        )
    };
    let Ok(axum::Form(form)) = form else { return page(StatusCode::BAD_REQUEST, String::new(), t.login_failed) };
    if !csrf::verify(&headers, &token, &form.csrf) {
        return page(StatusCode::FORBIDDEN, form.username, t.csrf_failed);
    }
    match crate::api::accounts::authenticate(&state, client, &form.username, form.password).await {
        Ok((_, session, _)) => {
            let cookie = crate::api::accounts::session_cookie(
                &session,
                state.settings.session_ttl.as_secs(),
                state.settings.secure_cookies,
            );
            let to = next.clone().unwrap_or_else(|| format!("/ho-so{}", t.query));
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::TOO_MANY_REQUESTS => {
            page(e.status, form.username, &e.message)
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => page(StatusCode::UNAUTHORIZED, form.username, t.login_failed),
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(token): Extension<csrf::CsrfToken>,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf::verify(&headers, &token, &form.csrf) {
        return (StatusCode::FORBIDDEN, "CSRF").into_response();
    }
    if let Some((_, hash)) = crate::api::accounts::session_of(&state, &headers).await {
        let _ = state.store.delete_session(&hash).await;
    }
    let clear = crate::api::accounts::session_cookie("", 0, state.settings.secure_cookies);
    ([(header::SET_COOKIE, clear)], Redirect::to("/")).into_response()
}

pub struct DossierRow {
    code: String,
    procedure: String,
    applicant: String,
    step: String,
    status: &'static str,
    submitted: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "web/dossiers.html")]
struct DossiersPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    heading: &'static str,
    /// (id, procedure code, procedure name, saved at)
    drafts: Vec<(i64, String, String, String)>,
    rows: Vec<DossierRow>,
    pager: officer::Pager,
}

/// What a list of dossiers shows beside each: step names by (workflow, step key), and
/// procedure names by code — read once per page, not once per row.
struct ListNames {
    steps: std::collections::HashMap<(String, String), String>,
    procedures: std::collections::HashMap<ProcedureCode, String>,
    /// The catalog's fields, once each.
    fields: Vec<(motcua_domain::FieldCode, String)>,
}

async fn list_names(state: &AppState, t: &Texts) -> ListNames {
    let all = state.store.list_procedures(&ProcedureFilter::default(), Page::all()).await.map(|p| p.items);
    let all = all.unwrap_or_default();
    let mut fields: Vec<(motcua_domain::FieldCode, String)> = Vec::new();
    for p in &all {
        if !fields.iter().any(|f| f.0 == p.field.code) {
            fields.push((p.field.code.clone(), p.field.name.to_string()));
        }
    }
    let procedures = all.into_iter().map(|p| (p.code, p.name.to_string())).collect();
    ListNames { steps: step_names(state, t.lang == "en").await, procedures, fields }
}

/// A dossier's row in a list, in the page's language.
fn dossier_row(t: &Texts, d: &motcua_domain::workflow::Dossier, names: &ListNames, now: jiff::Timestamp) -> DossierRow {
    let steps = &names.steps;
    let procedure = names.procedures.get(&d.procedure).cloned().unwrap_or_else(|| d.procedure.to_string());
    let step = d
        .step
        .as_ref()
        .and_then(|k| steps.get(&(d.workflow.clone(), k.clone())))
        .cloned()
        .unwrap_or_else(|| "—".into());
    DossierRow {
        code: d.code.to_string(),
        procedure,
        applicant: d.applicant.full_name.to_string(),
        step,
        status: status_text(t, d.status.code()),
        submitted: crate::calendar::display_vn(d.submitted_at),
        due: d.due_at.map(crate::calendar::display_vn).unwrap_or_else(|| "—".into()),
        overdue: d.timeliness(now) == motcua_domain::workflow::Timeliness::Overdue,
    }
}

/// Step names by (workflow, step key), in English where asked and known.
async fn step_names(state: &AppState, english: bool) -> std::collections::HashMap<(String, String), String> {
    state
        .store
        .workflows()
        .await
        .unwrap_or_default()
        .into_iter()
        .flat_map(|w| {
            let code = w.code.clone();
            w.steps.into_iter().map(move |s| {
                let name = match (s.name_en, english) {
                    (Some(en), true) => en.to_string(),
                    _ => s.name.to_string(),
                };
                ((code.clone(), s.key), name)
            })
        })
        .collect()
}

async fn my_dossiers(State(state): State<AppState>, cx: PageCtx, Query(q): Query<officer::InboxQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    if account.kind == motcua_domain::AccountKind::Staff {
        return officer::inbox(&state, t, nav, &uri, &account, q).await;
    }
    let filter = motcua_store::DossierFilter { owner: Some(account.id), ..Default::default() };
    let page_no = q.trang.unwrap_or(1).max(1);
    let found = match state.store.list_dossiers(&filter, Page::new(Some((page_no - 1) * 50), Some(50))).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e),
    };
    let (now, names) = (jiff::Timestamp::now(), list_names(&state, t).await);
    let rows = found.items.iter().map(|d| dossier_row(t, d, &names, now)).collect();
    render(DossiersPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        heading: t.my_dossiers,
        drafts: citizen::drafts_of(&state, &account).await,
        rows,
        pager: officer::Pager::new(&uri, page_no, 50, found.total),
    })
}

#[derive(Template)]
#[template(path = "web/assistant.html")]
struct AssistantPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    question: String,
    /// The answer's lines.
    answer: Vec<String>,
    /// (code, name, start url)
    candidates: Vec<(String, String, String)>,
    clear: bool,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct AssistantQuery {
    hoi: Option<String>,
}

/// The assistant on the portal: ask in your own words, read the answer, follow the links.
/// A plain form (GET: asking changes nothing), so it works without JavaScript.
async fn assistant_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<AssistantQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let question = q.hoi.unwrap_or_default();
    let mut page = AssistantPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        question: question.chars().take(1000).collect(),
        answer: Vec::new(),
        candidates: Vec::new(),
        clear: false,
        message: String::new(),
    };
    if question.trim().is_empty() {
        return render(page);
    }
    match crate::api::assistant::answer(&state, &question, t.lang == "en").await {
        Ok(a) => {
            page.answer = a.answer.lines().map(str::to_owned).collect();
            page.clear = a.clear;
            page.candidates =
                a.candidates.into_iter().map(|c| (c.code, c.name, c.start_url.unwrap_or_default())).collect();
            render(page)
        }
        Err(e) if e.status.is_client_error() => {
            page.message = e.message;
            render_status(e.status, page)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    number: String,
    v: Option<crate::api::results::Verification>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct VerifyQuery {
    so: Option<String>,
}

/// The public verification page: a result's signature or a receipt, by number.
async fn verify_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<VerifyQuery>) -> Response {
    verify_render(&state, cx, q.so.unwrap_or_default()).await
}

async fn verify_number_page(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    verify_render(&state, cx, number).await
}

async fn verify_render(state: &AppState, cx: PageCtx, number: String) -> Response {
    let number = number.trim().chars().take(80).collect::<String>();
    let v = if number.is_empty() {
        None
    } else {
        match crate::api::results::verification(state, &number).await {
            Ok(v) => v,
            Err(e) => return server_error(cx.t, &cx.uri, e.message),
        }
    };
    let status = if v.is_none() && !number.is_empty() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    render_status(
        status,
        VerifyPage {
            t: cx.t,
            nav: cx.nav.clone(),
            other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
            number,
            v,
        },
    )
}

//! What every page shares: the navigation bar, the page context (language, account, CSRF
//! token), rendering, error and refusal pages, and the small formatting helpers of lists.

use askama::Template;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use motcua_domain::ProcedureCode;

use super::csrf;
use super::texts::{Lang, Texts};
use crate::app::AppState;

#[derive(Clone)]
pub struct Nav {
    pub(crate) user_name: Option<String>,
    pub(crate) csrf: String,
    /// Staff: the inbox instead of "my dossiers".
    pub(crate) staff: bool,
    /// Holds an administrator role: the administration link.
    pub(crate) admin: bool,
    /// Works at a one-stop desk: the ticket-calling link.
    pub(crate) desk: bool,
}

impl Nav {
    /// The header of someone not signed in (or of a page that does not look).
    pub(crate) fn signed_out(csrf: String) -> Self {
        Self { user_name: None, csrf, staff: false, admin: false, desk: false }
    }
}

pub(crate) async fn nav(
    state: &AppState,
    headers: &HeaderMap,
    token: &csrf::CsrfToken,
) -> (Nav, Option<motcua_domain::Account>, Option<String>) {
    let (account, session) = crate::edge::session_of(state, headers).await.unzip();
    let nav = Nav {
        user_name: account.as_ref().map(|a| a.full_name.to_string()),
        csrf: token.0.clone(),
        staff: account.as_ref().is_some_and(|a| a.kind == motcua_domain::AccountKind::Staff),
        admin: account.as_ref().is_some_and(|a| a.roles.iter().any(|r| r.role == motcua_domain::Role::Administrator)),
        desk: account.as_ref().is_some_and(|a| a.roles.iter().any(|r| r.role == motcua_domain::Role::DeskOfficer)),
    };
    (nav, account, session)
}

/// A dossier status in the page's language.
pub(crate) fn status_text(t: &Texts, code: u8) -> &'static str {
    motcua_domain::workflow::Status::from_code(code)
        .map_or("", |s| if t.lang_value() == Lang::En { s.label_en() } else { s.label_vi() })
}

/// What a person calls a file's type (the stored types are these three).
pub(crate) fn file_type(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        _ => "tệp",
    }
}

/// An action (by its machine name) in the page's language.
pub(crate) fn action_text(t: &Texts, key: &str) -> String {
    match serde_json::from_value::<motcua_domain::workflow::ActionKind>(serde_json::Value::String(key.to_owned())) {
        Ok(a) if t.lang == "en" => a.label_en().to_owned(),
        Ok(a) => a.label_vi().to_owned(),
        Err(_) => key.to_owned(),
    }
}

/// Where to go after signing in: a path on this site only (no `//host`, no scheme).
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && n.len() <= 300
        && !n.chars().any(char::is_control);
    ok.then(|| n.to_owned())
}

/// Sends a signed-out visitor to sign in, coming back here afterwards.
pub(crate) fn login_redirect(t: &Texts, uri: &Uri) -> Response {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let encoded = crate::edge::percent_encode(here);
    let lang = if t.lang_value() == Lang::En { "&lang=en" } else { "" };
    Redirect::to(&format!("/dang-nhap?next={encoded}{lang}")).into_response()
}

/// What every page needs: the language (`?lang=en` for English, else Vietnamese), the
/// signed-in account if any, the header, and the request's CSRF token.
pub struct PageCtx {
    pub(crate) t: &'static Texts,
    pub(crate) nav: Nav,
    pub(crate) account: Option<motcua_domain::Account>,
    /// The hash of the session's token, when signed in.
    pub(crate) session: Option<String>,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) token: csrf::CsrfToken,
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
        let (nav, account, session) = nav(state, &parts.headers, &token).await;
        Ok(Self { t, nav, account, session, uri: parts.uri.clone(), headers: parts.headers.clone(), token })
    }
}

// The error is the page the handler returns at once; boxing it would only add a step.
#[allow(clippy::result_large_err)]
impl PageCtx {
    /// Whether a posted token is this request's CSRF token.
    pub(crate) fn csrf_ok(&self, value: &str) -> bool {
        csrf::verify(&self.headers, &self.token, value)
    }

    /// The error page with this status, heading and message, for this request.
    pub(crate) fn refused(&self, status: StatusCode, heading: &str, message: String) -> Response {
        error_page(status, self.t, self.nav.clone(), &self.uri, heading, message)
    }

    /// A posted form that parsed, or the 400 page to answer with.
    pub(crate) fn parsed<T, R>(&self, form: Result<T, R>) -> Result<T, Response> {
        form.map_err(|_| {
            let t = self.t;
            error_page(StatusCode::BAD_REQUEST, t, self.nav.clone(), &self.uri, t.error_title, t.error_message.into())
        })
    }

    /// A posted form that parsed and carries this request's CSRF token, or the 400 / 403 page.
    pub(crate) fn posted<T, R>(&self, form: Result<T, R>, csrf: fn(&T) -> &str) -> Result<T, Response> {
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

    /// A form posted urlencoded or multipart with this request's CSRF token: the form and its
    /// files (each checked like any upload, or why not); else the 400 / 403 / 413 page.
    pub(crate) async fn posted_with_files<T: serde::de::DeserializeOwned>(
        &self,
        request: axum::extract::Request,
        csrf: fn(&T) -> &str,
    ) -> Result<(T, crate::app::AppResult<Vec<crate::app::upload::Upload>>), Response> {
        let t = self.t;
        let parts = super::multipart::read_any_form(request)
            .await
            .map_err(|(status, message)| error_page(status, t, self.nav.clone(), &self.uri, t.error_title, message))?;
        let form = self.posted(parts.parse::<T>(), csrf)?;
        Ok((form, parts.uploads()))
    }

    /// The signed-in account and a form it posted with this request's CSRF token; else the
    /// sign-in redirect, or the 400 / 403 page.
    pub(crate) fn signed_in_posted<T, R>(
        &self,
        form: Result<T, R>,
        csrf: fn(&T) -> &str,
    ) -> Result<(motcua_domain::Account, T), Response> {
        let Some(account) = self.account.clone() else { return Err(login_redirect(self.t, &self.uri)) };
        Ok((account, self.posted(form, csrf)?))
    }
}

/// The same page in the other language.
pub(crate) fn other_lang_href(uri: &Uri, lang: Lang) -> String {
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

pub(crate) fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống").into_response()
        }
    }
}

/// A page with another status than 200 (a form shown again with its error, say).
pub(crate) fn render_status(status: StatusCode, t: impl Template) -> Response {
    let mut r = render(t);
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(path = "web/error.html")]
pub(crate) struct ErrorPage {
    pub(crate) t: &'static Texts,
    pub(crate) nav: Nav,
    pub(crate) other_lang_href: String,
    pub(crate) heading: String,
    pub(crate) message: String,
}

/// The title of a refusal (4xx): what kind it is, never "the system failed", which is for 5xx.
pub(crate) fn refusal_title(t: &Texts, status: StatusCode) -> &'static str {
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
pub(crate) fn error_page(
    status: StatusCode,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    heading: &str,
    message: String,
) -> Response {
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
pub(crate) fn texts_of_uri(uri: &Uri) -> &'static Texts {
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

pub(crate) fn server_error(t: &'static Texts, uri: &Uri, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page");
    let nav = Nav::signed_out(String::new());
    error_page(StatusCode::INTERNAL_SERVER_ERROR, t, nav, uri, t.error_title, t.error_message.to_owned())
}

pub struct DossierRow {
    pub(crate) code: String,
    pub(crate) procedure: String,
    pub(crate) applicant: String,
    pub(crate) step: String,
    pub(crate) status: &'static str,
    pub(crate) submitted: String,
    pub(crate) due: String,
    pub(crate) overdue: bool,
    /// A branch of a linked application: the application's code.
    pub(crate) linked: String,
}

/// What a list of dossiers shows beside each: step names by (workflow, step key), and
/// procedure names by code — read once per page, not once per row.
pub(crate) struct ListNames {
    pub(crate) steps: std::collections::HashMap<(String, String), String>,
    pub(crate) procedures: std::collections::HashMap<ProcedureCode, String>,
    /// The catalog's fields, once each.
    pub(crate) fields: Vec<(motcua_domain::FieldCode, String)>,
}

pub(crate) async fn list_names(state: &AppState, t: &Texts) -> ListNames {
    let all = crate::catalog::Catalog::of(state).all_procedures().await.unwrap_or_default();
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
pub(crate) fn dossier_row(
    t: &Texts,
    d: &motcua_domain::workflow::Dossier,
    names: &ListNames,
    now: jiff::Timestamp,
) -> DossierRow {
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
        linked: d.branch_of.as_ref().map(|b| b.group.to_string()).unwrap_or_default(),
        procedure,
        applicant: d.applicant.full_name.to_string(),
        step,
        status: status_text(t, d.status.code()),
        submitted: crate::calendar::source::display_vn(d.submitted_at),
        due: d.due_at.map(crate::calendar::source::display_vn).unwrap_or_else(|| "—".into()),
        overdue: d.timeliness(now) == motcua_domain::workflow::Timeliness::Overdue,
    }
}

/// Step names by (workflow, step key), in English where asked and known: the newest version
/// that has the step names it (a dossier may run under an earlier version).
pub(crate) async fn step_names(state: &AppState, english: bool) -> std::collections::HashMap<(String, String), String> {
    crate::catalog::Catalog::of(state)
        .workflow_versions()
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

/// Links to the previous and next page of a list, keeping the other query parameters.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(uri: &Uri, page: i64, per_page: i64, total: i64) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        let kept: Vec<&str> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("trang="))
            .collect();
        let link = |n: i64| {
            let mut q = kept.join("&");
            if !q.is_empty() {
                q.push('&');
            }
            format!("{}?{q}trang={n}", uri.path())
        };
        Self {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// Paging of a dossier list by cursor (issue 28): the first page, the next one after the last
/// row shown (`sau=`), and the count, which stops at a bound ("hơn 10.000").
pub struct CursorPager {
    /// The count as shown: `2.850`, or `hơn 10.000` past the bound.
    pub total: String,
    /// Back to the first page (when not on it).
    pub first: Option<String>,
    pub next: Option<String>,
}

impl CursorPager {
    pub fn new(t: &Texts, uri: &Uri, list: &motcua_store::DossierList, after: bool) -> Self {
        let kept: Vec<&str> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("sau=") && !kv.starts_with("trang="))
            .collect();
        let base = kept.join("&");
        let link = |cursor: Option<&str>| {
            let mut q = base.clone();
            if let Some(c) = cursor {
                if !q.is_empty() {
                    q.push('&');
                }
                // Digits, letters, `.`, `-` and `~`: nothing to escape in an address.
                q.push_str("sau=");
                q.push_str(c);
            }
            if q.is_empty() { uri.path().to_owned() } else { format!("{}?{q}", uri.path()) }
        };
        let n = motcua_domain::money::group_thousands(
            list.total.value(),
            if t.lang_value() == Lang::En { ',' } else { '.' },
        );
        Self {
            total: if list.total.is_exact() { n } else { format!("{} {n}", t.pick("hơn", "more than")) },
            first: after.then(|| link(None)),
            next: list.next.as_ref().map(|c| link(Some(&c.encode()))),
        }
    }
}

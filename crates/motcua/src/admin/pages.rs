//! Administration pages (administrator role): organisations, staff accounts and their roles,
//! procedures and their workflows, holidays and day swaps.
//!
//! An administrator of an organisation manages it and the organisations below it; the
//! administrator of the provincial People's Committee manages every organisation and the
//! province-wide settings (calendar, catalog workflows).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_domain::calendar::{Adjustment, AdjustmentKind};
use motcua_domain::{Account, AccountKind, OrgCode, Organisation, Role, RoleAssignment, Username};
use serde::Deserialize;

use crate::admin::Administration;
use crate::app::AppState;
use crate::web::page::{
    Nav, PageCtx, error_page, login_redirect, other_lang_href, render, render_status, server_error,
};
use crate::web::texts::Texts;

mod password;
mod second_factor;
mod workflows;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quan-tri", get(overview).post(save_organisation))
        .route("/quan-tri/can-bo", get(staff_page).post(add_staff))
        .route("/quan-tri/can-bo/{username}/khoa", post(lock_staff))
        .route("/quan-tri/can-bo/mat-khau", post(password::set_password))
        .route("/quan-tri/can-bo/xac-thuc-hai-lop", post(second_factor::set_policy))
        .route("/quan-tri/can-bo/xac-thuc-hai-lop/dat-lai", post(second_factor::reset))
        .route("/quan-tri/can-bo/{username}/vai-tro", post(set_roles))
        .route("/quan-tri/thu-tuc", get(workflows::procedures_page))
        .route("/quan-tri/thu-tuc/{code}/quy-trinh", post(workflows::set_workflow))
        .route("/quan-tri/quy-trinh/{code}", post(workflows::save_workflow))
        .route("/quan-tri/ngay-nghi", get(holidays_page).post(add_holiday))
}

fn role_text(t: &Texts, r: Role) -> &'static str {
    if t.lang == "en" {
        match r {
            Role::DeskOfficer => "One-stop desk officer",
            Role::Specialist => "Specialist",
            Role::Leader => "Leader",
            Role::Clerk => "Clerk",
            Role::Administrator => "Administrator",
        }
    } else {
        r.label_vi()
    }
}

fn forbidden(t: &'static Texts, nav: Nav, uri: &Uri) -> Response {
    let m =
        t.pick("Trang này dành cho quản trị viên của cơ quan.", "This page is for the organisation's administrators.");
    error_page(StatusCode::FORBIDDEN, t, nav, uri, t.error_title, m.to_owned())
}

fn done(path: &str, t: &Texts) -> Response {
    let sep = if path.contains('?') { "&" } else { "?" };
    let lang = if t.lang == "en" { "&lang=en" } else { "" };
    Redirect::to(&format!("{path}{sep}xong=1{lang}")).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    xong: Option<String>,
    org: Option<String>,
}

// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/admin.html")]
struct OverviewPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (code, name, kind, parent, staff count)
    orgs: Vec<(String, String, &'static str, String, i64)>,
    province: bool,
    /// (value, label) of organisation kinds, for the form.
    kinds: Vec<(&'static str, &'static str)>,
    message: String,
    notice: bool,
}

fn kind_text(t: &Texts, k: motcua_domain::OrgKind) -> &'static str {
    use motcua_domain::OrgKind as K;
    match k {
        K::PeoplesCommittee => t.pick("Ủy ban nhân dân", "People's Committee"),
        K::Department => t.pick("Sở, ban, ngành", "Department"),
        K::Police => t.pick("Công an", "Police"),
        K::ServiceCentre => t.pick("Trung tâm Phục vụ hành chính công", "Public service centre"),
        K::Other => t.pick("Khác", "Other"),
    }
}

async fn overview(State(state): State<AppState>, cx: PageCtx, Query(q): Query<DoneQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    match overview_view(&state, t, nav, &uri, &account).await {
        Ok(mut page) => {
            page.notice = q.xong.is_some();
            render(page)
        }
        Err(r) => r,
    }
}

async fn overview_view(
    state: &AppState,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    account: &Account,
) -> Result<OverviewPage, Response> {
    let orgs = match crate::accounts::Accounts::of(state).administered(account).await {
        Ok(o) => o,
        Err(e) => return Err(server_error(t, uri, e.message)),
    };
    if orgs.is_empty() {
        return Err(forbidden(t, nav, uri));
    }
    let province = crate::calendar::Calendars::of(state).is_province_admin(account).await.unwrap_or(false);
    let counts = match Administration::of(state).staff_counts().await {
        Ok(c) => c,
        Err(e) => return Err(server_error(t, uri, e.message)),
    };
    let mut rows = Vec::with_capacity(orgs.len());
    for o in orgs {
        let staff = counts.get(&o.code).copied().unwrap_or(0);
        rows.push((
            o.code.to_string(),
            o.name.to_string(),
            kind_text(t, o.kind),
            o.parent.map(|p| p.to_string()).unwrap_or_default(),
            staff,
        ));
    }
    use motcua_domain::OrgKind as K;
    let kinds = [K::PeoplesCommittee, K::Department, K::Police, K::ServiceCentre, K::Other]
        .into_iter()
        .map(|k| (k.as_str(), kind_text(t, k)))
        .collect();
    Ok(OverviewPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        orgs: rows,
        province,
        kinds,
        message: String::new(),
        notice: false,
    })
}

#[derive(Debug, Deserialize)]
pub struct OrgForm {
    csrf: String,
    code: String,
    name: String,
    kind: String,
    unit: String,
    #[serde(default)]
    parent: String,
}

/// The province's administrator adds an organisation or renames, re-kinds or re-attaches one
/// (the same record `motcua orgs import` writes).
async fn save_organisation(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<OrgForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (cx, account) = match province_only(&state, cx).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = match cx.parsed(form.map(|axum::Form(f)| f)) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let csrf_ok = cx.csrf_ok(&f.csrf);
    let PageCtx { t, nav, uri, .. } = cx;
    let page = match overview_view(&state, t, nav, &uri, &account).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fail = |mut page: OverviewPage, status: StatusCode, message: String| {
        page.message = message;
        render_status(status, page)
    };
    if !csrf_ok {
        return fail(page, StatusCode::FORBIDDEN, t.csrf_failed.to_owned());
    }
    let parsed = (|| -> Result<Organisation, motcua_domain::DomainError> {
        Ok(Organisation {
            code: OrgCode::parse(f.code.trim())?,
            name: motcua_domain::Name::parse("Tên cơ quan", &f.name)?,
            kind: motcua_domain::OrgKind::parse(&f.kind)
                .ok_or_else(|| motcua_domain::DomainError::Invalid("Loại cơ quan không hợp lệ".into()))?,
            unit: motcua_domain::UnitCode::parse(f.unit.trim())?,
            parent: Some(f.parent.trim()).filter(|p| !p.is_empty()).map(OrgCode::parse).transpose()?,
        })
    })();
    let org = match parsed {
        Ok(o) => o,
        Err(e) => return fail(page, StatusCode::BAD_REQUEST, e.to_string()),
    };
    if org.parent.as_ref() == Some(&org.code) {
        let m = t.pick("Cơ quan không thể trực thuộc chính nó", "An organisation cannot be under itself").to_owned();
        return fail(page, StatusCode::BAD_REQUEST, m);
    }
    match Administration::of(&state).save_organisation(&account, &org).await {
        Ok(()) => done("/quan-tri", t),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let m = t.pick(
                "Không có đơn vị hành chính hoặc cơ quan cấp trên này",
                "No such administrative unit or parent organisation",
            );
            fail(page, StatusCode::UNPROCESSABLE_ENTITY, m.to_owned())
        }
        Err(e) if e.status().is_client_error() => fail(page, e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

// ---------------------------------------------------------------------------------------
// Staff

pub struct StaffRow {
    username: String,
    name: String,
    email: String,
    disabled: bool,
    /// Has enrolled an authenticator.
    enrolled: bool,
    /// (role value, label, held here)
    roles: Vec<(&'static str, &'static str, bool)>,
    /// Roles elsewhere, shown but not changed here.
    elsewhere: String,
}

#[derive(Template)]
#[template(path = "web/admin_staff.html")]
struct StaffPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    org: String,
    org_name: String,
    staff: Vec<StaffRow>,
    all_roles: Vec<(&'static str, &'static str)>,
    /// (role value, label, must use a second factor here)
    second_factor_roles: Vec<(&'static str, &'static str, bool)>,
    message: String,
    notice: bool,
}

impl StaffPage {
    /// Whether anyone here has an authenticator to reset.
    fn any_enrolled(&self) -> bool {
        self.staff.iter().any(|s| s.enrolled)
    }
}

async fn staff_view(
    state: &AppState,
    t: &'static Texts,
    nav: Nav,
    uri: &Uri,
    account: &Account,
    org: Option<&str>,
) -> Result<StaffPage, Response> {
    let Some(org) = org.and_then(|o| OrgCode::parse(o).ok()) else { return Err(forbidden(t, nav, uri)) };
    let admin = Administration::of(state);
    let (o, list) = match admin.staff(account, &org).await {
        Ok(x) => x,
        Err(e) if e.status() == StatusCode::FORBIDDEN => return Err(forbidden(t, nav, uri)),
        Err(e) => return Err(server_error(t, uri, e.message)),
    };
    let (asked, enrolled) = match (admin.second_factor_roles(&o.code).await, admin.enrolled(&list).await) {
        (Ok(a), Ok(e)) => (a, e),
        (Err(e), _) | (_, Err(e)) => return Err(server_error(t, uri, e.message)),
    };
    let staff = list
        .into_iter()
        .map(|a| StaffRow {
            username: a.username.to_string(),
            name: a.full_name.to_string(),
            email: a.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
            disabled: a.disabled,
            enrolled: enrolled.contains(&a.id),
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), role_text(t, *r), a.roles.iter().any(|x| x.org == o.code && x.role == *r)))
                .collect(),
            elsewhere: a
                .roles
                .iter()
                .filter(|x| x.org != o.code)
                .map(|x| format!("{} @ {}", role_text(t, x.role), x.org))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Ok(StaffPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        org: o.code.to_string(),
        org_name: o.name.to_string(),
        staff,
        all_roles: Role::ALL.iter().map(|r| (r.as_str(), role_text(t, *r))).collect(),
        second_factor_roles: Role::ALL.iter().map(|r| (r.as_str(), role_text(t, *r), asked.contains(r))).collect(),
        message: String::new(),
        notice: false,
    })
}

async fn staff_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<DoneQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    match staff_view(&state, t, nav, &uri, &account, q.org.as_deref()).await {
        Ok(mut page) => {
            page.notice = q.xong.is_some();
            render(page)
        }
        Err(r) => r,
    }
}

pub struct NewStaffForm {
    csrf: String,
    org: String,
    username: String,
    full_name: String,
    email: String,
    password: String,
    role: Vec<String>,
}

fn roles_from(values: &[String], org: &OrgCode) -> Vec<RoleAssignment> {
    Role::ALL
        .iter()
        .filter(|r| values.iter().any(|v| v == r.as_str()))
        .map(|r| RoleAssignment { org: org.clone(), role: *r })
        .collect()
}

async fn add_staff(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum_extra_form::Form<NewStaffForm>, axum_extra_form::FormRejection>,
) -> Response {
    let Some(account) = cx.account.clone() else { return login_redirect(cx.t, &cx.uri) };
    let f = match cx.parsed(form.map(|axum_extra_form::Form(f)| f)) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let csrf_ok = cx.csrf_ok(&f.csrf);
    let PageCtx { t, nav, uri, .. } = cx;
    let mut page = match staff_view(&state, t, nav, &uri, &account, Some(&f.org)).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fail = |mut page: StaffPage, status: StatusCode, message: String| {
        page.message = message;
        render_status(status, page)
    };
    if !csrf_ok {
        return fail(page, StatusCode::FORBIDDEN, t.csrf_failed.to_owned());
    }
    let Ok(org) = OrgCode::parse(&page.org) else { return server_error(t, &uri, "org") };
    let roles = roles_from(&f.role, &org);
    if roles.is_empty() {
        let m = t.pick("Cán bộ phải có ít nhất một vai trò", "A staff account needs at least one role").to_owned();
        return fail(page, StatusCode::BAD_REQUEST, m);
    }
    let parsed = (|| -> Result<_, motcua_domain::DomainError> {
        let username = Username::parse(f.username.trim())?;
        let password = motcua_domain::Password::parse(&f.password, &username)?;
        let email = Some(f.email.trim()).filter(|e| !e.is_empty()).map(motcua_domain::Email::parse).transpose()?;
        Ok((username, motcua_domain::Name::parse("Họ và tên", &f.full_name)?, email, password))
    })();
    let (username, full_name, email, password) = match parsed {
        Ok(x) => x,
        Err(e) => return fail(page, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let hash = match tokio::task::spawn_blocking(move || crate::accounts::auth::hash_password(&password)).await {
        Ok(Ok(h)) => h,
        _ => return server_error(t, &uri, "password hash"),
    };
    let new = motcua_domain::NewAccount {
        username,
        full_name,
        kind: AccountKind::Staff,
        cccd: None,
        email,
        phone: None,
        roles,
        password_hash: hash,
    };
    match Administration::of(&state).add_staff(&account, &new).await {
        Ok(_) => done(&format!("/quan-tri/can-bo?org={}", page.org), t),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            page.message = t.pick("Tên đăng nhập đã có người dùng", "That username is taken").to_owned();
            render_status(StatusCode::CONFLICT, page)
        }
        Err(e) if e.status().is_client_error() => fail(page, e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

pub struct StaffActionForm {
    csrf: String,
    org: String,
    lock: Option<String>,
    role: Vec<String>,
}

async fn lock_staff(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(username): Path<String>,
    form: Result<axum_extra_form::Form<StaffActionForm>, axum_extra_form::FormRejection>,
) -> Response {
    let (account, f) = match cx.signed_in_posted(form.map(|axum_extra_form::Form(f)| f), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let (org, staff) = match Administration::of(&state).managed_staff(&account, &f.org, &username).await {
        Ok(Some(x)) => x,
        Ok(None) => return forbidden(t, nav, &uri),
        Err(e) => return server_error(t, &uri, e.message),
    };
    let lock = f.lock.as_deref() == Some("1");
    match Administration::of(&state).set_locked(&account, &staff, lock).await {
        Ok(()) => done(&format!("/quan-tri/can-bo?org={org}"), t),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            let m = t.pick("Không thể tự khóa tài khoản của mình", "You cannot lock your own account").to_owned();
            error_page(StatusCode::CONFLICT, t, nav, &uri, t.error_title, m)
        }
        // Locking ends every session of the account, in every organisation it serves: only an
        // administrator of all of them may do it (or undo another's lock).
        Err(e) if e.status() == StatusCode::FORBIDDEN => {
            let m = t
                .pick(
                    "Tài khoản này còn giữ vai trò ở cơ quan khác mà bạn không quản trị, nên bạn không thể khóa hay mở khóa. Bạn có thể bỏ các vai trò của tài khoản tại cơ quan mình.",
                    "This account also holds roles in organisations you do not administer, so you cannot lock or unlock it. You can remove its roles in your organisation.",
                )
                .to_owned();
            error_page(StatusCode::FORBIDDEN, t, nav, &uri, t.error_title, m)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

async fn set_roles(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(username): Path<String>,
    form: Result<axum_extra_form::Form<StaffActionForm>, axum_extra_form::FormRejection>,
) -> Response {
    let (account, f) = match cx.signed_in_posted(form.map(|axum_extra_form::Form(f)| f), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let (org, staff) = match Administration::of(&state).managed_staff(&account, &f.org, &username).await {
        Ok(Some(x)) => x,
        Ok(None) => return forbidden(t, nav, &uri),
        Err(e) => return server_error(t, &uri, e.message),
    };
    // Roles elsewhere are kept; those here are replaced by the boxes ticked.
    let mut roles: Vec<RoleAssignment> = staff.roles.iter().filter(|r| r.org != org).cloned().collect();
    roles.extend(roles_from(&f.role, &org));
    match Administration::of(&state).set_roles(&account, &org, &staff, &roles).await {
        Ok(()) => done(&format!("/quan-tri/can-bo?org={org}"), t),
        Err(e) if e.status() == StatusCode::BAD_REQUEST => {
            let m = t
                .pick(
                    "Cán bộ phải có ít nhất một vai trò; muốn ngừng, hãy khóa tài khoản",
                    "A staff account needs a role; lock it instead",
                )
                .to_owned();
            error_page(StatusCode::BAD_REQUEST, t, nav, &uri, t.error_title, m)
        }
        Err(e) if e.status() == StatusCode::CONFLICT => {
            let m = t
                .pick("Không thể tự bỏ quyền quản trị của mình", "You cannot remove your own administrator role")
                .to_owned();
            error_page(StatusCode::CONFLICT, t, nav, &uri, t.error_title, m)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

/// The administrator of the provincial People's Committee, or the page that refuses anyone else.
async fn province_only(state: &AppState, cx: PageCtx) -> Result<(PageCtx, Account), Response> {
    let Some(account) = cx.account.clone() else { return Err(login_redirect(cx.t, &cx.uri)) };
    match crate::calendar::Calendars::of(state).is_province_admin(&account).await {
        Ok(true) => Ok((cx, account)),
        Ok(false) => Err(forbidden(cx.t, cx.nav, &cx.uri)),
        Err(e) => Err(server_error(cx.t, &cx.uri, e.message)),
    }
}

/// A form the province's administrator posted: their page context and account, and the form
/// once it parsed and its CSRF token checked out; else the page that says why not.
async fn province_posted<F, R>(
    state: &AppState,
    cx: PageCtx,
    form: Result<F, R>,
    csrf: fn(&F) -> &str,
) -> Result<(PageCtx, Account, F), Response> {
    let (cx, account) = province_only(state, cx).await?;
    let f = cx.posted(form, csrf)?;
    Ok((cx, account, f))
}

// ---------------------------------------------------------------------------------------
// Holidays and day swaps

#[derive(Template)]
#[template(path = "web/admin_holidays.html")]
struct HolidaysPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (date dd/mm/yyyy, off?, name)
    adjustments: Vec<(String, bool, String)>,
    /// (date, name) of the fixed public holidays of this year and the next.
    holidays: Vec<(String, String)>,
    message: String,
    notice: bool,
}

async fn holidays_view(state: &AppState, t: &'static Texts, nav: Nav, uri: &Uri) -> Result<HolidaysPage, Response> {
    let adjustments = crate::calendar::Calendars::of(state)
        .adjustments()
        .await
        .map_err(|e| server_error(t, uri, e.message))?
        .into_iter()
        .map(|a| (a.date.strftime("%d/%m/%Y").to_string(), a.kind == AdjustmentKind::Off, a.name))
        .collect();
    let cal = state.work_calendar().await.map_err(|e| server_error(t, uri, e))?;
    let year = jiff::Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).year();
    let mut holidays = Vec::new();
    for y in [year, year + 1] {
        for h in cal.holidays(y).unwrap_or_default() {
            holidays.push((h.date.strftime("%d/%m/%Y").to_string(), h.name.to_string()));
        }
    }
    Ok(HolidaysPage {
        t,
        nav,
        other_lang_href: other_lang_href(uri, t.lang_value()),
        adjustments,
        holidays,
        message: String::new(),
        notice: false,
    })
}

async fn holidays_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<DoneQuery>) -> Response {
    let (cx, _) = match province_only(&state, cx).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    match holidays_view(&state, t, nav, &uri).await {
        Ok(mut p) => {
            p.notice = q.xong.is_some();
            render(p)
        }
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
pub struct HolidayForm {
    csrf: String,
    /// yyyy-mm-dd, from `<input type=date>`.
    date: String,
    kind: String,
    name: String,
}

async fn add_holiday(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<HolidayForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (cx, account) = match province_only(&state, cx).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = match cx.parsed(form.map(|axum::Form(f)| f)) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let csrf_ok = cx.csrf_ok(&f.csrf);
    let PageCtx { t, nav, uri, .. } = cx;
    let mut page = match holidays_view(&state, t, nav, &uri).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fail = |mut page: HolidaysPage, status: StatusCode, message: String| {
        page.message = message;
        render_status(status, page)
    };
    if !csrf_ok {
        return fail(page, StatusCode::FORBIDDEN, t.csrf_failed.to_owned());
    }
    let Ok(date) = f.date.trim().parse::<jiff::civil::Date>() else {
        page.message = t.pick("Ngày không hợp lệ", "Invalid date").to_owned();
        return fail(page, StatusCode::BAD_REQUEST, t.pick("Ngày không hợp lệ", "Invalid date").to_owned());
    };
    let kind = if f.kind == "work" { AdjustmentKind::Work } else { AdjustmentKind::Off };
    let adjustment = Adjustment { date, kind, name: f.name.trim().to_owned() };
    match crate::calendar::Calendars::of(&state).change_adjustments(&account, vec![adjustment]).await {
        Ok(_) => done("/quan-tri/ngay-nghi", t),
        Err(e) if e.status().is_client_error() => fail(page, e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

/// Forms whose fields repeat (`role=a&role=b`): axum's own `Form` keeps only one value.
mod axum_extra_form {
    use axum::extract::{FromRequest, Request};

    pub struct Form<T>(pub T);
    pub struct FormRejection;

    impl axum::response::IntoResponse for FormRejection {
        fn into_response(self) -> axum::response::Response {
            axum::http::StatusCode::BAD_REQUEST.into_response()
        }
    }

    /// Built from the form's (name, value) pairs in order.
    pub trait FromPairs: Sized {
        fn from_pairs(pairs: &Pairs) -> Option<Self>;
    }

    pub struct Pairs(Vec<(String, String)>);

    impl Pairs {
        pub fn one(&self, name: &str) -> Option<String> {
            self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        }
        pub fn many(&self, name: &str) -> Vec<String> {
            self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
        }
    }

    impl<T: FromPairs, S: Send + Sync> FromRequest<S> for Form<T> {
        type Rejection = FormRejection;

        async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
            let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| FormRejection)?;
            let pairs = Pairs(form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect());
            T::from_pairs(&pairs).map(Form).ok_or(FormRejection)
        }
    }
}

impl axum_extra_form::FromPairs for NewStaffForm {
    fn from_pairs(p: &axum_extra_form::Pairs) -> Option<Self> {
        Some(Self {
            csrf: p.one("csrf")?,
            org: p.one("org")?,
            username: p.one("username")?,
            full_name: p.one("full_name")?,
            email: p.one("email").unwrap_or_default(),
            password: p.one("password")?,
            role: p.many("role"),
        })
    }
}

impl axum_extra_form::FromPairs for StaffActionForm {
    fn from_pairs(p: &axum_extra_form::Pairs) -> Option<Self> {
        Some(Self { csrf: p.one("csrf")?, org: p.one("org")?, lock: p.one("lock"), role: p.many("role") })
    }
}

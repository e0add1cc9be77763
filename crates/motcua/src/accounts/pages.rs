//! Accounts from the person's side: registering (in two steps, with a code sent to the phone),
//! changing one's own password, and setting a forgotten one anew with a code.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::AppState;
use crate::edge::CurrentAccount;
use crate::web::csrf;
use crate::web::page::{Nav, PageCtx, login_redirect, other_lang_href, render, render_status, safe_next, server_error};
use crate::web::texts::Texts;

mod identity;
mod second_factor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dang-ky", get(register_page).post(register_submit))
        .route("/dang-ky/xac-nhan", axum::routing::post(register_confirm))
        .route("/tai-khoan/mat-khau", get(password_page).post(password_post))
        .route("/quen-mat-khau", get(reset_page).post(reset_submit))
        .route("/quen-mat-khau/dat-lai", axum::routing::post(reset_confirm))
        .route("/dang-nhap", get(login_page).post(login_submit))
        .route("/dang-nhap/xac-thuc", axum::routing::post(second_factor::submit))
        .route("/dang-nhap/vneid", get(identity::start))
        // The identity provider sends the browser back here (`identity::RETURN_PATH`).
        .route("/dang-nhap/vneid/ve", get(identity::back))
        .route("/dang-nhap/vneid/lien-ket", axum::routing::post(identity::link))
        // Signing out is a form post (a link could sign anyone out); a plain visit goes home.
        .route("/dang-xuat", get(|| async { axum::response::Redirect::to("/") }).post(logout))
}

// ---------------------------------------------------------------------------------------
// Registration

#[derive(Template)]
#[template(path = "web/register.html")]
struct RegisterPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    f: RegisterForm,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    cccd: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
    #[serde(default)]
    next: String,
}

async fn register_page(cx: PageCtx, Query(nq): Query<NextQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let next = safe_next(nq.next.as_deref()).unwrap_or_default();
    if account.is_some() {
        return Redirect::to(if next.is_empty() { "/ho-so" } else { &next }).into_response();
    }
    render(RegisterPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        f: RegisterForm { next, ..Default::default() },
        message: String::new(),
    })
}

async fn register_submit(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<RegisterForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let PageCtx { t, nav, uri, headers, token, .. } = cx;
    let fail = |status: StatusCode, mut f: RegisterForm, message: String, nav: Nav| {
        f.password.clear();
        f.password2.clear();
        render_status(
            status,
            RegisterPage { t, nav, other_lang_href: other_lang_href(&uri, t.lang_value()), f, message },
        )
    };
    let Ok(axum::Form(mut f)) = form else {
        return fail(StatusCode::BAD_REQUEST, RegisterForm::default(), t.error_message.to_owned(), nav);
    };
    f.next = safe_next(Some(&f.next)).unwrap_or_default();
    if !csrf::verify(&headers, &token, &f.csrf) {
        return fail(StatusCode::FORBIDDEN, f, t.csrf_failed.to_owned(), nav);
    }
    if f.password != f.password2 {
        let m = t.pick("Hai lần nhập mật khẩu không khớp", "The two passwords differ").to_owned();
        return fail(StatusCode::BAD_REQUEST, f, m, nav);
    }
    let req = crate::accounts::Registration {
        username: f.username.clone(),
        full_name: f.full_name.clone(),
        cccd: f.cccd.clone(),
        phone: f.phone.clone(),
        email: Some(f.email.clone()),
        password: f.password.clone(),
    };
    let challenge = match crate::accounts::Accounts::of(&state).start_registration(req).await {
        Ok(c) => c,
        Err(e) if e.status().is_client_error() => return fail(e.status(), f, e.message, nav),
        Err(e) => return server_error(t, &uri, e.message),
    };
    let phone =
        motcua_domain::Phone::parse(&f.phone).map(|p| crate::notifications::mask_phone(p.as_str())).unwrap_or_default();
    render(RegisterCodePage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        challenge: challenge.challenge,
        phone,
        next: f.next,
        message: String::new(),
    })
}

#[derive(Template)]
#[template(path = "web/register_code.html")]
struct RegisterCodePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    challenge: String,
    /// The phone the code went to, masked.
    phone: String,
    next: String,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterCodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    next: String,
}

/// The code typed back: the account is created and signed in, then on to where they were
/// going; a wrong code shows the form again with the tries left.
async fn register_confirm(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<RegisterCodeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let PageCtx { t, nav, uri, headers, token, .. } = cx;
    let Ok(axum::Form(f)) = form else {
        return crate::web::page::error_page(
            StatusCode::BAD_REQUEST,
            t,
            nav,
            &uri,
            t.error_title,
            t.error_message.to_owned(),
        );
    };
    let next = safe_next(Some(&f.next)).unwrap_or_default();
    let again = |status: StatusCode, message: String, nav: Nav| {
        // The challenge is hex and the phone was masked by us; nothing else is echoed.
        let challenge = if f.challenge.len() == 48 && f.challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
            f.challenge.clone()
        } else {
            String::new()
        };
        let phone: String = f.phone.chars().filter(|c| c.is_ascii_digit() || *c == '*').take(12).collect();
        render_status(
            status,
            RegisterCodePage {
                t,
                nav,
                other_lang_href: other_lang_href(&uri, t.lang_value()),
                challenge,
                phone,
                next: next.clone(),
                message,
            },
        )
    };
    if !csrf::verify(&headers, &token, &f.csrf) {
        return again(StatusCode::FORBIDDEN, t.csrf_failed.to_owned(), nav);
    }
    let account = match crate::accounts::Accounts::of(&state).finish_registration(&f.challenge, f.code.trim()).await {
        Ok(a) => a,
        Err(e) if e.status().is_client_error() => return again(e.status(), e.message, nav),
        Err(e) => return server_error(t, &uri, e.message),
    };
    match crate::accounts::Accounts::of(&state).open_session(&account).await {
        Ok((session, _)) => {
            let cookie = crate::edge::session_cookie(
                &session,
                state.settings.session_ttl.as_secs(),
                state.settings.secure_cookies,
            );
            let to = if next.is_empty() { format!("/ho-so{}", t.query) } else { next };
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/account_password.html")]
struct PasswordPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    message: String,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    new2: String,
}

#[derive(Deserialize)]
struct Done {
    xong: Option<String>,
}

async fn password_page(cx: PageCtx, axum::extract::Query(q): axum::extract::Query<Done>) -> Response {
    if cx.account.is_none() {
        return login_redirect(cx.t, &cx.uri);
    }
    let PageCtx { t, nav, uri, .. } = cx;
    let other_lang_href = other_lang_href(&uri, t.lang_value());
    render(PasswordPage { t, nav, other_lang_href, message: String::new(), done: q.xong.is_some() })
}

async fn password_post(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    current: Result<CurrentAccount, AppError>,
    cx: PageCtx,
    form: Result<axum::Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(current) = current else { return login_redirect(cx.t, &cx.uri) };
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let again = |status: StatusCode, message: String| {
        let other_lang_href = other_lang_href(&uri, t.lang_value());
        render_status(status, PasswordPage { t, nav: nav.clone(), other_lang_href, message, done: false })
    };
    if f.new != f.new2 {
        return again(
            StatusCode::BAD_REQUEST,
            t.pick("Hai lần nhập mật khẩu mới không khớp", "The two new passwords differ").into(),
        );
    }
    match crate::accounts::Accounts::of(&state).change_own_password(client, &current, f.current, &f.new).await {
        Ok(()) => Redirect::to(&format!("/tai-khoan/mat-khau?xong=1{}", t.amp_lang)).into_response(),
        Err(e) if e.status().is_client_error() => again(e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

// ---------------------------------------------------------------------------------------
// A forgotten password

#[derive(Template)]
#[template(path = "web/reset.html")]
struct ResetPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    username: String,
    message: String,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

async fn reset_page(cx: PageCtx, axum::extract::Query(q): axum::extract::Query<Done>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let other_lang_href = other_lang_href(&uri, t.lang_value());
    render(ResetPage {
        t,
        nav,
        other_lang_href,
        username: String::new(),
        message: String::new(),
        done: q.xong.is_some(),
    })
}

/// The username given: a code goes to the account's phone (or nowhere; the page is the same).
async fn reset_submit(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<ResetForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let other_lang_href = other_lang_href(&uri, t.lang_value());
    match crate::accounts::Accounts::of(&state).start_reset(&f.username).await {
        Ok(c) => {
            let username = f.username.trim().to_owned();
            render(ResetCodePage { t, nav, other_lang_href, username, challenge: c.challenge, message: String::new() })
        }
        Err(e) if e.status().is_client_error() => render_status(
            e.status(),
            ResetPage { t, nav, other_lang_href, username: f.username, message: e.message, done: false },
        ),
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/reset_code.html")]
struct ResetCodePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    username: String,
    challenge: String,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetCodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    new2: String,
}

/// The code and the new password: set, every session ends, then the sign-in page says so.
async fn reset_confirm(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    cx: PageCtx,
    form: Result<axum::Form<ResetCodeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let again = |status: StatusCode, message: String| {
        // The challenge is ours (hex); the username was parsed before a code was sent.
        let challenge = if f.challenge.len() == 48 && f.challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
            f.challenge.clone()
        } else {
            String::new()
        };
        let username = motcua_domain::Username::parse(f.username.trim()).map(|u| u.to_string()).unwrap_or_default();
        let other_lang_href = other_lang_href(&uri, t.lang_value());
        render_status(status, ResetCodePage { t, nav: nav.clone(), other_lang_href, username, challenge, message })
    };
    if f.new != f.new2 {
        return again(
            StatusCode::BAD_REQUEST,
            t.pick("Hai lần nhập mật khẩu mới không khớp", "The two new passwords differ").into(),
        );
    }
    let accounts = crate::accounts::Accounts::of(&state);
    match accounts.finish_reset(client, &f.username, &f.challenge, f.code.trim(), &f.new).await {
        Ok(()) => Redirect::to(&format!("/quen-mat-khau?xong=1{}", t.amp_lang)).into_response(),
        Err(e) if e.status().is_client_error() => again(e.status(), e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Template)]
#[template(path = "web/login.html")]
pub(crate) struct LoginPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    username: String,
    message: String,
    next: String,
    /// The identity provider's name (its button), empty when none is configured.
    identity: String,
}

impl LoginPage {
    /// The sign-in page again, saying why.
    pub(crate) fn again(
        state: &AppState,
        t: &'static Texts,
        nav: Nav,
        uri: &axum::http::Uri,
        next: String,
        message: String,
    ) -> Self {
        let other_lang_href = other_lang_href(uri, t.lang_value());
        Self { t, nav, other_lang_href, username: String::new(), message, next, identity: identity_name(state) }
    }

    /// Signing in through the identity provider, coming back to the same place afterwards.
    fn identity_href(&self) -> String {
        match (self.next.is_empty(), self.t.lang == "en") {
            (true, _) => format!("/dang-nhap/vneid{}", self.t.query),
            (false, en) => format!(
                "/dang-nhap/vneid?next={}{}",
                crate::edge::percent_encode(&self.next),
                if en { "&lang=en" } else { "" }
            ),
        }
    }

    /// Registration, coming back to the same place afterwards.
    fn register_href(&self) -> String {
        match (self.next.is_empty(), self.t.lang == "en") {
            (true, _) => format!("/dang-ky{}", self.t.query),
            (false, en) => {
                format!("/dang-ky?next={}{}", crate::edge::percent_encode(&self.next), if en { "&lang=en" } else { "" })
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The identity provider's name, if one is configured.
pub(crate) fn identity_name(state: &AppState) -> String {
    crate::accounts::Accounts::of(state).identity_provider_name().unwrap_or_default().to_owned()
}

pub(crate) async fn login_page(State(state): State<AppState>, cx: PageCtx, Query(nq): Query<NextQuery>) -> Response {
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
        identity: identity_name(&state),
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

pub(crate) async fn login_submit(
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
                identity: identity_name(&state),
            },
        )
    };
    let Ok(axum::Form(form)) = form else { return page(StatusCode::BAD_REQUEST, String::new(), t.login_failed) };
    if !csrf::verify(&headers, &token, &form.csrf) {
        return page(StatusCode::FORBIDDEN, form.username, t.csrf_failed);
    }
    match crate::accounts::Accounts::of(&state).authenticate(client, &form.username, form.password).await {
        Ok(crate::accounts::second_factor::SignIn::SecondFactor(c)) => {
            let nav = Nav::signed_out(token.0.clone());
            second_factor::page(StatusCode::OK, t, nav, &uri, &c, next.unwrap_or_default(), String::new())
        }
        Ok(crate::accounts::second_factor::SignIn::Open { token: session, .. }) => {
            let cookie = crate::edge::session_cookie(
                &session,
                state.settings.session_ttl.as_secs(),
                state.settings.secure_cookies,
            );
            let to = next.clone().unwrap_or_else(|| format!("/ho-so{}", t.query));
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) if e.status() == StatusCode::FORBIDDEN || e.status() == StatusCode::TOO_MANY_REQUESTS => {
            page(e.status(), form.username, &e.message)
        }
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            page(StatusCode::UNAUTHORIZED, form.username, t.login_failed)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub(crate) csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(token): Extension<csrf::CsrfToken>,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf::verify(&headers, &token, &form.csrf) {
        return (StatusCode::FORBIDDEN, "CSRF").into_response();
    }
    // A session opened at the identity provider ends there too (RP-initiated logout), which
    // then sends the browser home.
    let mut to = "/".to_owned();
    if let Some((_, hash)) = crate::edge::session_of(&state, &headers).await
        && let Ok(Some(provider)) = crate::accounts::Accounts::of(&state).sign_out_everywhere(&hash).await
    {
        to = provider;
    }
    let clear = crate::edge::session_cookie("", 0, state.settings.secure_cookies);
    ([(header::SET_COOKIE, clear)], Redirect::to(&to)).into_response()
}

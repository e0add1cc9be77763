//! Signing in through the identity provider (VNeID) from the sign-in page: off to the provider,
//! back with a code, and, when a local account holds the same identity number, its password
//! once to link the two.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::identity::IdentitySignIn;
use crate::app::{AppError, AppState};
use crate::web::page::{Nav, PageCtx, error_page, other_lang_href, render_status, safe_next, server_error};
use crate::web::texts::Texts;

/// The browser's own copy of the request's `state`: only the browser that asked may come back.
const STATE_COOKIE: &str = "motcua_oidc";

fn state_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{STATE_COOKIE}={value}; Path=/dang-nhap/vneid; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

fn cookie_of(headers: &axum::http::HeaderMap) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == STATE_COOKIE)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Off to the provider (a plain link from the sign-in page).
pub(crate) async fn start(State(state): State<AppState>, cx: PageCtx, Query(q): Query<StartQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let next = safe_next(q.next.as_deref()).unwrap_or_else(|| format!("/ho-so{}", t.query));
    match crate::accounts::Accounts::of(&state).identity_start(&next).await {
        Ok(s) => {
            let max_age = crate::accounts::identity::REQUEST_TTL.as_secs();
            let cookie = state_cookie(&s.state, max_age, state.settings.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&s.url)).into_response()
        }
        Err(e) => refusal(t, nav, &uri, e),
    }
}

#[derive(Debug, Deserialize)]
pub struct BackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Back from the provider.
pub(crate) async fn back(State(state): State<AppState>, cx: PageCtx, Query(q): Query<BackQuery>) -> Response {
    let PageCtx { t, nav, uri, headers, .. } = cx;
    let cookie = cookie_of(&headers);
    let clear = state_cookie("", 0, state.settings.secure_cookies);
    if let Some(error) = q.error.as_deref() {
        tracing::info!(error = %error.chars().take(64).collect::<String>(), "identity provider answered an error");
        let message = t.pick(
            "Đăng nhập bằng tài khoản định danh điện tử chưa hoàn tất (đã hủy hoặc bị từ chối).",
            "Signing in with your e-identity account did not complete (cancelled or refused).",
        );
        let page = error_page(StatusCode::UNAUTHORIZED, t, nav, &uri, t.error_title, message.to_owned());
        return (axum::response::AppendHeaders([(header::SET_COOKIE, clear)]), page).into_response();
    }
    let accounts = crate::accounts::Accounts::of(&state);
    let outcome = accounts
        .identity_finish(q.state.as_deref().unwrap_or_default(), &cookie, q.code.as_deref().unwrap_or_default())
        .await;
    let page = match outcome {
        Ok(done) => signed_in(&state, t, nav, &uri, done),
        Err(e) => refusal(t, nav, &uri, e),
    };
    // Appended: the page may set the session cookie too.
    (axum::response::AppendHeaders([(header::SET_COOKIE, clear)]), page).into_response()
}

fn signed_in(state: &AppState, t: &'static Texts, nav: Nav, uri: &axum::http::Uri, done: IdentitySignIn) -> Response {
    match done {
        IdentitySignIn::Open { token, next, .. } => {
            let cookie = crate::edge::session_cookie(
                &token,
                state.settings.session_ttl.as_secs(),
                state.settings.secure_cookies,
            );
            let next = safe_next(Some(&next)).unwrap_or_else(|| "/ho-so".to_owned());
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        IdentitySignIn::Link { offer, username, next } => {
            let other_lang_href = other_lang_href(uri, t.lang_value());
            let page = LinkPage {
                t,
                nav,
                other_lang_href,
                offer,
                username: username.to_string(),
                next,
                message: String::new(),
            };
            render_status(StatusCode::OK, page)
        }
    }
}

fn refusal(t: &'static Texts, nav: Nav, uri: &axum::http::Uri, e: AppError) -> Response {
    if e.status().is_server_error() && e.status() != StatusCode::SERVICE_UNAVAILABLE {
        return server_error(t, uri, e.message);
    }
    error_page(e.status(), t, nav, uri, t.error_title, e.message)
}

#[derive(Template)]
#[template(path = "web/identity_link.html")]
struct LinkPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    offer: String,
    username: String,
    next: String,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    offer: String,
    #[serde(default)]
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The local account's password, to link it to the verified identity.
pub(crate) async fn link(
    State(state): State<AppState>,
    client: crate::throttle::ClientKey,
    cx: PageCtx,
    form: Result<axum::Form<LinkForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    match crate::accounts::Accounts::of(&state).identity_link(client, &f.offer, f.password).await {
        Ok(done) => signed_in(&state, t, nav, &uri, done),
        Err(e) if e.code == crate::app::ErrorCode::WrongPassword => {
            // The offer is ours (hex); the username was ours too, parsed again before echoing.
            let offer = if f.offer.len() == 64 && f.offer.bytes().all(|b| b.is_ascii_hexdigit()) {
                f.offer
            } else {
                String::new()
            };
            let username = motcua_domain::Username::parse(f.username.trim()).map(|u| u.to_string()).unwrap_or_default();
            let other_lang_href = other_lang_href(&uri, t.lang_value());
            let next = safe_next(Some(&f.next)).unwrap_or_default();
            render_status(e.status(), LinkPage { t, nav, other_lang_href, offer, username, next, message: e.message })
        }
        Err(e) => refusal(t, nav, &uri, e),
    }
}

//! The signed-in person's own account: changing their password.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::texts::Texts;
use super::{Nav, PageCtx, login_redirect, other_lang_href, render, render_status, server_error};
use crate::api::AppState;
use crate::api::accounts::CurrentAccount;
use crate::api::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/tai-khoan/mat-khau", get(password_page).post(password_post))
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
    current: Result<CurrentAccount, ApiError>,
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
    match crate::api::accounts::change_own_password(&state, client, &current, f.current, &f.new).await {
        Ok(()) => Redirect::to(&format!("/tai-khoan/mat-khau?xong=1{}", t.amp_lang)).into_response(),
        Err(e) if e.status.is_client_error() => again(e.status, e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

//! An officer who forgot their password: the administrator sets a new one from the staff page
//! (the officer is told it in person), and every session of the account ends.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{done, forbidden, staff_view};
use crate::admin::Administration;
use crate::app::AppState;
use crate::web::page::{PageCtx, error_page, render_status, server_error};

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn set_password(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (account, f) = match cx.signed_in_posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let admin = Administration::of(&state);
    let (org, staff) = match admin.managed_staff(&account, &f.org, f.username.trim()).await {
        Ok(Some(x)) => x,
        Ok(None) => return forbidden(t, nav, &uri),
        Err(e) => return server_error(t, &uri, e.message),
    };
    let password = match motcua_domain::Password::parse(&f.password, &staff.username) {
        Ok(p) => p,
        Err(e) => {
            // The staff page again, saying what the password lacks.
            return match staff_view(&state, t, nav, &uri, &account, Some(org.as_str())).await {
                Ok(mut page) => {
                    page.message = e.to_string();
                    render_status(StatusCode::BAD_REQUEST, page)
                }
                Err(r) => r,
            };
        }
    };
    match admin.set_staff_password(&account, &staff, password).await {
        Ok(()) => done(&format!("/quan-tri/can-bo?org={org}"), t),
        Err(e) => refused(t, nav, &uri, e, ("đặt mật khẩu cho nó", "set its password")),
    }
}

/// A change to a staff account refused or failed: why, as a page. Refused for holding roles
/// in organisations the administrator does not administer, it says so, naming `what` (vi, en)
/// the administrator could not do.
pub(super) fn refused(
    t: &'static crate::web::texts::Texts,
    nav: crate::web::page::Nav,
    uri: &axum::http::Uri,
    e: crate::app::AppError,
    what: (&str, &str),
) -> Response {
    let status = e.status();
    if !status.is_client_error() {
        return server_error(t, uri, e.message);
    }
    let m = if status == StatusCode::FORBIDDEN {
        t.pick(
            &format!(
                "Tài khoản này còn giữ vai trò ở cơ quan khác mà bạn không quản trị, nên bạn không thể {}.",
                what.0
            ),
            &format!("This account also holds roles in organisations you do not administer, so you cannot {}.", what.1),
        )
        .to_owned()
    } else {
        e.message
    };
    error_page(status, t, nav, uri, t.error_title, m)
}

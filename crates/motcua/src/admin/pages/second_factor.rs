//! Officers' second factor on the staff page: which roles of the organisation must use one,
//! and a reset for an officer who lost their phone (they enrol again at the next sign-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use motcua_domain::{OrgCode, Role};
use serde::Deserialize;

use super::{StaffActionForm, axum_extra_form, done, forbidden};
use crate::admin::Administration;
use crate::app::AppState;
use crate::web::page::{PageCtx, error_page, server_error};

/// The roles ticked on the staff page must use a second factor (none ticked: nobody).
pub(super) async fn set_policy(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum_extra_form::Form<StaffActionForm>, axum_extra_form::FormRejection>,
) -> Response {
    let (account, f) = match cx.signed_in_posted(form.map(|axum_extra_form::Form(f)| f), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let Ok(org) = OrgCode::parse(&f.org) else { return forbidden(t, nav, &uri) };
    let roles: Vec<Role> = Role::ALL.into_iter().filter(|r| f.role.iter().any(|v| v == r.as_str())).collect();
    match Administration::of(&state).set_second_factor_roles(&account, &org, &roles).await {
        Ok(()) => done(&format!("/quan-tri/can-bo?org={org}"), t),
        Err(e) if e.status() == StatusCode::FORBIDDEN => forbidden(t, nav, &uri),
        Err(e) if e.status().is_client_error() => error_page(e.status(), t, nav, &uri, t.error_title, e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    username: String,
}

pub(super) async fn reset(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<axum::Form<ResetForm>, axum::extract::rejection::FormRejection>,
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
    match admin.reset_second_factor(&account, &staff).await {
        Ok(_) => done(&format!("/quan-tri/can-bo?org={org}"), t),
        Err(e) => super::password::refused(
            t,
            nav,
            &uri,
            e,
            ("xóa xác thực hai lớp của nó", "reset its two-step verification"),
        ),
    }
}

//! Rating a returned dossier, from its page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::web::page::{PageCtx, error_page};

#[derive(Debug, Deserialize)]
pub struct RatingForm {
    csrf: String,
    stars: Option<i64>,
    #[serde(default)]
    comment: String,
}

pub(crate) async fn rate_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Result<axum::Form<RatingForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = cx.account.clone() else {
        return Redirect::to(&format!("/dang-nhap{}", cx.t.query)).into_response();
    };
    let f = match cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    let stars = match motcua_domain::rating::Stars::new(f.stars.unwrap_or(0)) {
        Ok(s) => s,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, t, nav, &uri, t.error_title, e.to_string()),
    };
    match crate::dossiers::Dossiers::of(&state).give_rating(&account, &code, stars, Some(f.comment)).await {
        Ok(_) => {
            let sep = if t.query.is_empty() { "?" } else { "&" };
            Redirect::to(&format!("/ho-so/{code}{}{sep}danh-gia=1", t.query)).into_response()
        }
        Err(e) => error_page(e.status(), t, nav, &uri, t.error_title, e.message),
    }
}

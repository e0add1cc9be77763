//! The public verification page of a signed result or a receipt, by number.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::app::AppState;
use crate::web::page::*;
use crate::web::texts::Texts;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/xac-minh", get(verify_page)).route("/xac-minh/{number}", get(verify_number_page))
}

#[derive(Template)]
#[template(path = "web/verify.html")]
pub(crate) struct VerifyPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    number: String,
    v: Option<crate::results::Verification>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct VerifyQuery {
    so: Option<String>,
}

/// The public verification page: a result's signature or a receipt, by number.
pub(crate) async fn verify_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<VerifyQuery>) -> Response {
    verify_render(&state, cx, q.so.unwrap_or_default()).await
}

pub(crate) async fn verify_number_page(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    verify_render(&state, cx, number).await
}

pub(crate) async fn verify_render(state: &AppState, cx: PageCtx, number: String) -> Response {
    let number = number.trim().chars().take(80).collect::<String>();
    let v = if number.is_empty() {
        None
    } else {
        match crate::results::Results::of(state).verification(&number).await {
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

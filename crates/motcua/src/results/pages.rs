//! The public verification page of a signed result or a receipt, by number.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page::*;
use super::texts::Texts;
use crate::app::AppState;

#[derive(Template)]
#[template(path = "web/verify.html")]
pub(super) struct VerifyPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    number: String,
    v: Option<crate::app::results::Verification>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct VerifyQuery {
    so: Option<String>,
}

/// The public verification page: a result's signature or a receipt, by number.
pub(super) async fn verify_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<VerifyQuery>) -> Response {
    verify_render(&state, cx, q.so.unwrap_or_default()).await
}

pub(super) async fn verify_number_page(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    verify_render(&state, cx, number).await
}

pub(super) async fn verify_render(state: &AppState, cx: PageCtx, number: String) -> Response {
    let number = number.trim().chars().take(80).collect::<String>();
    let v = if number.is_empty() {
        None
    } else {
        match crate::app::results::verification(state, &number).await {
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

//! The public verification page of a signed result or a receipt, by number.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::web::page::*;
use crate::web::texts::Texts;

/// The offline check's script (ours) and the QR reader it uses (jsQR, Apache-2.0).
const SEAL_JS: &str = include_str!("../../static/seal.js");
const JSQR: &str = include_str!("../../static/vendor/jsqr-1.4.0.min.js");

async fn script(body: &'static str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/xac-minh", get(verify_page))
        .route("/xac-minh/{number}", get(verify_number_page))
        .route("/kiem-tra-qr", get(offline_page))
        .route("/static/seal.js", get(|| script(SEAL_JS)))
        .route("/static/vendor/jsqr-1.4.0.min.js", get(|| script(JSQR)))
        .route("/ho-so/{code}/ket-qua/{number}/thu-hoi", post(revoke_post))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    replaced_by: String,
}

/// A leader revokes a result from the dossier's page: back to the page, or a page saying why
/// not (the same rules as `POST /api/v1/revocations`).
pub(crate) async fn revoke_post(
    State(state): State<AppState>,
    cx: PageCtx,
    axum::extract::Path((code, number)): axum::extract::Path<(String, String)>,
    form: Result<axum::Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (account, f) = match cx.signed_in_posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    // Only a result of this dossier, as the page offered it.
    let of_dossier = number.strip_prefix(code.as_str()).is_some_and(|rest| rest.starts_with("-KQ"));
    if !of_dossier {
        return error_page(StatusCode::NOT_FOUND, t, nav, &uri, t.not_found_title, t.no_dossier.to_owned());
    }
    let replaced_by = Some(f.replaced_by).filter(|s| !s.trim().is_empty());
    let req = crate::results::RevokeRequest { number, reason: f.reason, replaced_by };
    match crate::results::Results::of(&state).revoke(&account, &req).await {
        Ok(_) => {
            let sep = if t.query.is_empty() { "?" } else { "&" };
            axum::response::Redirect::to(&format!("/ho-so/{code}{}{sep}xong=thu-hoi", t.query)).into_response()
        }
        Err(e) if e.status().is_client_error() => error_page(e.status(), t, nav, &uri, t.error_title, e.message),
        Err(e) => server_error(t, &uri, e.message),
    }
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

#[derive(Template)]
#[template(path = "web/check_qr.html")]
pub(crate) struct OfflinePage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// The trusted CA certificates, DER in base64, as a JSON array.
    anchors_json: String,
}

/// `/kiem-tra-qr`: checks a paper's signed QR code in the browser (camera, picture or pasted
/// text), against the CA certificates the page carries: once loaded, with no network.
pub(crate) async fn offline_page(State(state): State<AppState>, cx: PageCtx) -> Response {
    let anchors = match crate::results::Results::of(&state).offline_anchors().await {
        Ok(a) => a,
        Err(e) => return server_error(cx.t, &cx.uri, e.message),
    };
    render(OfflinePage {
        t: cx.t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
        anchors_json: serde_json::to_string(&anchors).unwrap_or_else(|_| "[]".into()),
    })
}

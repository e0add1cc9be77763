//! The public web pages, in Vietnamese first and English second: the catalog (search with or
//! without diacritics, browse by field and organisation), each procedure, and dossier
//! tracking. Server-rendered with compiled templates; no JavaScript; one stylesheet shipped
//! in the binary.

mod account;
mod admin;
mod appointments;
mod catalog;
mod citizen;
pub mod csrf;
mod documents;
mod dossier;
mod ioc;
mod kiosk;
mod multipart;
mod officer;
mod page;
mod results;
mod texts;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_store::Page;

use crate::app::AppState;
use page::*;
pub(crate) use page::{page_for_error, too_many_requests};
pub use texts::{Lang, Texts};
use {account::*, catalog::*, results::*};

const CSS: &str = include_str!("../../static/app.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/thu-tuc/{code}", get(procedure))
        .route("/tra-cuu", get(track))
        .route("/tro-ly", get(assistant_page))
        .route("/xac-minh", get(verify_page))
        .route("/xac-minh/{number}", get(verify_number_page))
        .route("/dang-nhap", get(login_page).post(login_submit))
        // Signing out is a form post (a link could sign anyone out); a plain visit goes home.
        .route("/dang-xuat", get(|| async { Redirect::to("/") }).post(logout))
        .route("/ho-so", get(my_dossiers))
        .route("/ho-so/{code}", get(dossier::dossier_page))
        .route("/ho-so/{code}/danh-gia", post(citizen::rate_post))
        .route("/nop-ho-so/{code}/xem-lai", get(citizen::review_page).post(citizen::review_post))
        .route("/nhap/{id}/xoa", post(citizen::delete_draft))
        .merge(admin::routes())
        .merge(account::routes())
        .merge(documents::routes())
        .merge(ioc::routes())
        .merge(kiosk::routes())
        .merge(appointments::routes())
        .merge(
            Router::new()
                .route("/ho-so/{code}/thao-tac", post(dossier::act_post))
                .route("/nop-ho-so/{code}", get(citizen::submit_page).post(citizen::submit_post))
                .route("/quay/tiep-nhan", get(officer::counter_page).post(officer::counter_post))
                .layer(axum::extract::DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
        .layer(axum::middleware::from_fn(csrf::ensure_token))
        .route("/static/app.css", get(css))
        .route("/static/favicon.svg", get(favicon))
}

/// What the header shows: who is signed in, and the token for the sign-out form.
async fn my_dossiers(State(state): State<AppState>, cx: PageCtx, Query(q): Query<officer::InboxQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    if account.kind == motcua_domain::AccountKind::Staff {
        return officer::inbox(&state, t, nav, &uri, &account, q).await;
    }
    let filter = motcua_store::DossierFilter { owner: Some(account.id), ..Default::default() };
    let page_no = q.trang.unwrap_or(1).max(1);
    let found = match state.store.list_dossiers(&filter, Page::new(Some((page_no - 1) * 50), Some(50))).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e),
    };
    let (now, names) = (jiff::Timestamp::now(), list_names(&state, t).await);
    let rows = found.items.iter().map(|d| dossier_row(t, d, &names, now)).collect();
    render(DossiersPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        heading: t.my_dossiers,
        drafts: citizen::drafts_of(&state, &account).await,
        rows,
        pager: officer::Pager::new(&uri, page_no, 50, found.total),
    })
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

#[derive(Template)]
#[template(path = "web/dossiers.html")]
pub(super) struct DossiersPage {
    pub(super) t: &'static Texts,
    pub(super) nav: Nav,
    pub(super) other_lang_href: String,
    pub(super) heading: &'static str,
    /// (id, procedure code, procedure name, saved at)
    pub(super) drafts: Vec<(i64, String, String, String)>,
    pub(super) rows: Vec<DossierRow>,
    pub(super) pager: officer::Pager,
}

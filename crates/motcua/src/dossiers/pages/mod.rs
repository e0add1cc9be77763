//! The dossier pages: the citizen's list and the officer's inbox (`/ho-so`), one dossier with
//! its actions, submitting (form, drafts, review), rating, and reception at the counter.

pub mod citizen;
pub mod dossier;
mod drafts;
pub mod eform;
mod linked;
pub mod officer;
mod rating;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::dossiers::Dossiers;
use crate::web::page::*;
use crate::web::texts::Texts;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ho-so", get(my_dossiers))
        .route("/ho-so/{code}", get(dossier::dossier_page))
        .route("/ho-so/{code}/danh-gia", post(rating::rate_post))
        .route("/nop-ho-so/{code}/xem-lai", get(citizen::review_page).post(citizen::review_post))
        .route("/nhap/{id}/xoa", post(drafts::delete_draft))
        // Submissions and actions carry files: a larger body limit for those routes alone.
        .merge(
            Router::new()
                .route("/ho-so/{code}/thao-tac", post(dossier::act_post))
                .route("/nop-ho-so/{code}", get(citizen::submit_page).post(citizen::submit_post))
                .route("/quay/tiep-nhan", get(officer::counter_page).post(officer::counter_post))
                .layer(axum::extract::DefaultBodyLimit::max(motcua_domain::attachment::MAX_TOTAL_BYTES + 1024 * 1024)),
        )
}

/// The citizen's dossiers and drafts; an officer's inbox.
async fn my_dossiers(State(state): State<AppState>, cx: PageCtx, Query(q): Query<officer::InboxQuery>) -> Response {
    let PageCtx { t, nav, account, uri, .. } = cx;
    let Some(account) = account else { return login_redirect(t, &uri) };
    if account.kind == motcua_domain::AccountKind::Staff {
        return officer::inbox(&state, t, nav, &uri, &account, q).await;
    }
    let filter = motcua_store::DossierFilter { owner: Some(account.id), ..Default::default() };
    let after = q.after(filter.order());
    let page = motcua_store::DossierPage::after(after.clone(), 50);
    let found = match Dossiers::of(&state).list(&filter, &page).await {
        Ok(f) => f,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let (now, names) = (jiff::Timestamp::now(), list_names(&state, t).await);
    let rows = found.items.iter().map(|d| dossier_row(t, d, &names, now)).collect();
    render(DossiersPage {
        t,
        nav,
        other_lang_href: other_lang_href(&uri, t.lang_value()),
        heading: t.my_dossiers,
        drafts: drafts::drafts_of(&state, &account).await,
        rows,
        pager: crate::web::page::CursorPager::new(t, &uri, &found, after.is_some()),
    })
}

#[derive(Template)]
#[template(path = "web/dossiers.html")]
pub(crate) struct DossiersPage {
    pub(crate) t: &'static Texts,
    pub(crate) nav: Nav,
    pub(crate) other_lang_href: String,
    pub(crate) heading: &'static str,
    /// (id, procedure code, procedure name, saved at)
    pub(crate) drafts: Vec<(i64, String, String, String)>,
    pub(crate) rows: Vec<DossierRow>,
    pub(crate) pager: crate::web::page::CursorPager,
}

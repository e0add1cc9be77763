//! A citizen's unsubmitted drafts: listed on their dossiers page, deleted from it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use motcua_domain::Account;

use crate::app::AppState;
use crate::dossiers::Dossiers;
use crate::web::page::{PageCtx, server_error};

pub(crate) async fn delete_draft(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(id): Path<i64>,
    form: Result<axum::Form<crate::accounts::pages::CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(account) = cx.account.clone() else {
        return Redirect::to(&format!("/dang-nhap{}", cx.t.query)).into_response();
    };
    if let Err(r) = cx.posted(form.map(|axum::Form(f)| f), |f| &f.csrf) {
        return r;
    }
    let PageCtx { t, uri, .. } = cx;
    match Dossiers::of(&state).delete_draft(id, &account).await {
        Ok(_) => Redirect::to(&format!("/ho-so{}", t.query)).into_response(),
        Err(e) => server_error(t, &uri, e.message),
    }
}

/// (id, procedure code, procedure name, last saved) of the account's drafts.
pub(crate) async fn drafts_of(state: &AppState, account: &Account) -> Vec<(i64, String, String, String)> {
    let Ok(list) = Dossiers::of(state).drafts(account).await else { return Vec::new() };
    let catalog = crate::catalog::Catalog::of(state);
    let mut out = Vec::with_capacity(list.len());
    for d in list {
        let name = match catalog.lookup(&d.procedure).await {
            Ok(Some(p)) => p.name.to_string(),
            _ => d.procedure.to_string(),
        };
        out.push((
            d.id.unwrap_or_default(),
            d.procedure.to_string(),
            name,
            crate::calendar::source::display_vn(d.updated_at),
        ));
    }
    out
}

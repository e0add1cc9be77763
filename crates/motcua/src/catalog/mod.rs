//! The catalog: procedures found by words (with or without diacritics, ranked by the search
//! index) or by filter.

pub mod api;
pub mod import;
pub mod pages;
pub mod search;

use motcua_domain::{Procedure, ProcedureCode};
use motcua_store::{Page, ProcedureFilter};

use crate::app::{AppError, AppResult, AppState};

/// The catalog filtered; with words, ranked by the search index (best first), else by code.
pub async fn find_procedures(
    state: &AppState,
    mut filter: ProcedureFilter,
    page: Page,
) -> AppResult<motcua_store::Paged<Procedure>> {
    let Some(text) = filter.text.take() else { return Ok(state.store.list_procedures(&filter, page).await?) };
    let index_filter = motcua_search::Filter {
        orgs: filter.org.clone().map(|o| vec![o]),
        field: filter.field.as_ref().map(|f| f.as_str().to_owned()),
        level: filter.level.map(|l| l.as_str().to_owned()),
        online: filter.online.map(|o| o.as_str().to_owned()),
    };
    let mut hits = state.search.search(&state.store, &text, index_filter, 1000).await.map_err(|e| {
        tracing::error!(error = %e, "search");
        AppError::internal()
    })?;
    if filter.unit.is_some() {
        // Which organisations serve a unit is the store's to say.
        let allowed: std::collections::HashSet<ProcedureCode> =
            state.store.list_procedures(&filter, Page::all()).await?.items.into_iter().map(|p| p.code).collect();
        hits.retain(|h| allowed.contains(&h.code));
    }
    let total = hits.len() as i64;
    let mut items = Vec::new();
    for h in hits.iter().skip(page.offset.max(0) as usize).take(page.limit.max(0) as usize) {
        if let Some(p) = state.store.procedure(&h.code).await? {
            items.push(p);
        }
    }
    Ok(motcua_store::Paged { items, total })
}

/// The workflow a procedure (or a dossier) names; one that is missing is a fault of ours.
pub(crate) async fn workflow_of(state: &AppState, code: &str) -> AppResult<motcua_domain::workflow::Workflow> {
    state.store.workflows().await?.into_iter().find(|w| w.code == code).ok_or_else(|| {
        tracing::error!(workflow = code, "workflow missing");
        AppError::internal()
    })
}

//! A page of a list, as every list endpoint answers it.

use serde::Serialize;

/// A page of results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    /// Number of matching records in all pages.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

impl<T> PageOf<T> {
    pub fn new(paged: motcua_store::Paged<T>, page: motcua_store::Page) -> Self {
        Self { items: paged.items, total: paged.total, offset: page.offset, limit: page.limit }
    }
}

/// A page of a list read by cursor (the dossier lists): the following page is asked for with
/// `after` set to `next`, so every page costs the same however far into the list it is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CursorPageOf<T> {
    pub items: Vec<T>,
    /// Matching records in all pages, counted up to 1 000 (see `total_exact`).
    pub total: i64,
    /// False when more records match than `total` says (the count stopped at its bound).
    pub total_exact: bool,
    pub limit: i64,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> CursorPageOf<T> {
    pub fn new(items: Vec<T>, list: &motcua_store::DossierList, limit: i64) -> Self {
        Self {
            items,
            total: list.total.value(),
            total_exact: list.total.is_exact(),
            limit,
            next: list.next.as_ref().map(motcua_store::DossierCursor::encode),
        }
    }
}

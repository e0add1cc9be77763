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

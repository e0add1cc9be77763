//! The search index of a running server: built from the database at start, rebuilt when the
//! catalog changes (every change bumps `catalog_version`, whichever process made it).

use std::sync::Arc;

use motcua_search::{CatalogIndex, Filter, Hit, SearchError, Synonyms};
use motcua_store::{CATALOG_VERSION_KEY, CatalogStore, Page, ProcedureFilter, SettingsStore, StoreError};
use tokio::sync::{Mutex, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum SearchSourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("dựng chỉ mục tìm kiếm thất bại")]
    Build,
}

#[derive(Default)]
pub struct SearchSource {
    cached: RwLock<Option<(Option<String>, Arc<CatalogIndex>)>>,
    /// One rebuild at a time; the others wait for it.
    building: Mutex<()>,
}

impl SearchSource {
    /// The index of the catalog stored now.
    pub async fn current(
        &self,
        catalog: &dyn CatalogStore,
        settings: &dyn SettingsStore,
    ) -> Result<Arc<CatalogIndex>, SearchSourceError> {
        let version = settings.meta(CATALOG_VERSION_KEY).await?;
        if let Some((v, ix)) = self.cached.read().await.as_ref()
            && *v == version
        {
            return Ok(ix.clone());
        }
        let _one = self.building.lock().await;
        if let Some((v, ix)) = self.cached.read().await.as_ref()
            && *v == version
        {
            return Ok(ix.clone());
        }
        // Read after the version: a change in between is caught by the next call.
        let all = catalog.list_procedures(&ProcedureFilter::default(), Page::all()).await?.items;
        let started = std::time::Instant::now();
        let ix = tokio::task::spawn_blocking(move || CatalogIndex::build(&all, Synonyms::shipped()))
            .await
            .map_err(|_| SearchSourceError::Build)??;
        tracing::info!(procedures = ix.len(), ms = started.elapsed().as_millis() as u64, "search index built");
        let ix = Arc::new(ix);
        *self.cached.write().await = Some((version, ix.clone()));
        Ok(ix)
    }

    /// Searches off the async threads (a query with fuzzy words is CPU work).
    pub async fn search(
        &self,
        catalog: &dyn CatalogStore,
        settings: &dyn SettingsStore,
        query: &str,
        filter: Filter,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchSourceError> {
        let ix = self.current(catalog, settings).await?;
        let query = query.to_owned();
        tokio::task::spawn_blocking(move || ix.search(&query, &filter, limit))
            .await
            .map_err(|_| SearchSourceError::Build)?
            .map_err(SearchSourceError::from)
    }
}

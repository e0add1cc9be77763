//! The catalog: procedures found by words (with or without diacritics, ranked by the search
//! index) or by filter.

pub mod api;
pub mod declarations;
pub mod import;
pub mod pages;
pub mod reference;
pub mod search;

use std::sync::Arc;

use motcua_domain::{AdminUnit, OrgCode, Organisation, Procedure, ProcedureCode, UnitCode};
use motcua_store::{CatalogStore, OrgFilter, Page, Paged, ProcedureFilter, SettingsStore, UnitFilter};

use crate::app::{AppError, AppResult, AppState};
use crate::catalog::search::SearchSource;

/// The catalog's use cases, holding the catalog, the province's settings (the workflows and
/// the catalog's version) and the search index built from them. Built per request.
pub struct Catalog<'a> {
    catalog: &'a dyn CatalogStore,
    settings: &'a dyn SettingsStore,
    search: &'a SearchSource,
    reference: &'a reference::ReferenceCache,
}

impl<'a> Catalog<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self {
            catalog: state.store.as_ref(),
            settings: state.store.as_ref(),
            search: &state.search,
            reference: &state.reference,
        }
    }

    /// An administrative unit, or 404.
    pub async fn unit(&self, code: &UnitCode) -> AppResult<AdminUnit> {
        self.catalog
            .unit(code)
            .await?
            .ok_or_else(|| AppError::not_found(format!("Không có đơn vị hành chính mã {code}")))
    }

    /// An organisation, or 404.
    pub async fn organisation(&self, code: &OrgCode) -> AppResult<Organisation> {
        self.catalog.organisation(code).await?.ok_or_else(|| AppError::not_found(format!("Không có cơ quan mã {code}")))
    }

    /// A procedure, or 404.
    pub async fn procedure(&self, code: &ProcedureCode) -> AppResult<Procedure> {
        self.catalog.procedure(code).await?.ok_or_else(|| AppError::not_found(format!("Không có thủ tục mã {code}")))
    }

    /// A procedure, if the catalog has one with this code.
    pub async fn lookup(&self, code: &ProcedureCode) -> AppResult<Option<Procedure>> {
        Ok(self.catalog.procedure(code).await?)
    }

    /// An organisation, if there is one with this code.
    pub async fn find_organisation(&self, code: &OrgCode) -> AppResult<Option<Organisation>> {
        Ok(self.catalog.organisation(code).await?)
    }

    pub async fn procedures(&self, filter: &ProcedureFilter, page: Page) -> AppResult<Paged<Procedure>> {
        Ok(self.catalog.list_procedures(filter, page).await?)
    }

    /// Every workflow procedures follow (the current versions).
    pub async fn workflows(&self) -> AppResult<Vec<motcua_domain::workflow::Workflow>> {
        Ok(self.settings.workflows().await?)
    }

    /// Every version of every workflow, oldest first (dossiers run under earlier ones).
    pub async fn workflow_versions(&self) -> AppResult<Vec<motcua_domain::workflow::Workflow>> {
        Ok(self.settings.workflow_versions().await?)
    }

    pub async fn units(&self, filter: &UnitFilter, page: Page) -> AppResult<Paged<AdminUnit>> {
        Ok(self.catalog.list_units(filter, page).await?)
    }

    pub async fn organisations(&self, filter: &OrgFilter, page: Page) -> AppResult<Paged<Organisation>> {
        Ok(self.catalog.list_organisations(filter, page).await?)
    }

    /// Every procedure of the catalog, by code.
    pub async fn all_procedures(&self) -> AppResult<Vec<Procedure>> {
        Ok(self.catalog.list_procedures(&ProcedureFilter::default(), Page::all()).await?.items)
    }

    /// The search index of the catalog as stored now.
    pub async fn index(&self) -> AppResult<Arc<motcua_search::CatalogIndex>> {
        self.search.current(self.catalog, self.settings).await.map_err(|e| {
            tracing::error!(error = %e, "search index");
            AppError::internal()
        })
    }

    /// The catalog filtered; with words, ranked by the search index (best first), else by code.
    pub async fn find_procedures(
        &self,
        mut filter: ProcedureFilter,
        page: Page,
    ) -> AppResult<motcua_store::Paged<Procedure>> {
        let Some(text) = filter.text.take() else { return Ok(self.catalog.list_procedures(&filter, page).await?) };
        let index_filter = motcua_search::Filter {
            orgs: filter.org.clone().map(|o| vec![o]),
            field: filter.field.as_ref().map(|f| f.as_str().to_owned()),
            level: filter.level.map(|l| l.as_str().to_owned()),
            online: filter.online.map(|o| o.as_str().to_owned()),
        };
        let mut hits =
            self.search.search(self.catalog, self.settings, &text, index_filter, 1000).await.map_err(|e| {
                tracing::error!(error = %e, "search");
                AppError::internal()
            })?;
        if filter.unit.is_some() {
            // Which organisations serve a unit is the store's to say.
            let allowed: std::collections::HashSet<ProcedureCode> =
                self.catalog.list_procedures(&filter, Page::all()).await?.items.into_iter().map(|p| p.code).collect();
            hits.retain(|h| allowed.contains(&h.code));
        }
        let total = hits.len() as i64;
        // The page's procedures from the copy kept (a citizen's search is the commonest
        // request, and used to read each procedure on its page from the database).
        let reference = self.reference_now().await?;
        let mut items = Vec::new();
        for h in hits.iter().skip(page.offset.max(0) as usize).take(page.limit.max(0) as usize) {
            if let Some(p) = reference.procedure(self.catalog, &h.code).await? {
                items.push(p);
            }
        }
        Ok(motcua_store::Paged { items, total })
    }

    /// The copy kept for the reference version read now (one statement, see `reference.rs`).
    async fn reference_now(&self) -> AppResult<Arc<reference::Reference>> {
        let version = self.settings.meta(motcua_store::REFERENCE_VERSION_KEY).await?;
        Ok(self.reference.at(version.as_deref()))
    }

    /// The version of its workflow a dossier started under, from the copy kept.
    pub async fn workflow_of(
        &self,
        dossier: &motcua_domain::workflow::Dossier,
    ) -> AppResult<motcua_domain::workflow::Workflow> {
        let (code, version) = (&dossier.workflow, dossier.workflow_version);
        crate::app::snapshot::required_workflow(
            code,
            self.reference_now().await?.workflow_at(self.settings, code, version).await?,
        )
    }
}

//! What a submission (and a search page) reads about the catalogue, kept in memory per
//! process (issue 20): procedures, workflows and organisations (a submission used to read the
//! procedure, every workflow and the service centres from the database, twice; a search page,
//! each procedure on it), who can receive dossiers where
//! (`staffed`) and each organisation's bank account. The database counts every change to the
//! tables behind them up in [`REFERENCE_VERSION_KEY`] (triggers, in the changing transaction,
//! whoever changes them: this server, another server on the same PostgreSQL, or an operator by
//! hand); a use case reads that number once, with the calendar's, and is answered from the
//! copy kept for it. What the copy holds was read after the number was, so it is never older
//! than the number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use motcua_domain::payment::BankAccount;
use motcua_domain::workflow::Workflow;
use motcua_domain::{OrgCode, OrgKind, Organisation, Procedure, ProcedureCode, Role};
use motcua_store::payments::PaymentStore;
use motcua_store::{AccountStore, CatalogStore, OrgFilter, Page, SettingsStore, StoreError};

/// At most this many procedures or organisations are kept per version (a catalogue is a
/// few thousand); past it the map starts again rather than grow.
const MAX_KEPT: usize = 20_000;

/// The copy kept for the newest version seen.
#[derive(Default)]
pub struct ReferenceCache {
    kept: Mutex<Option<Arc<Reference>>>,
}

impl ReferenceCache {
    /// The copy for `version` as read from the database just now. With no version (a
    /// database without the counter) nothing is shared: every use case reads afresh. A caller
    /// with an older number than the copy kept gets a copy of its own and leaves the newer one.
    pub fn at(&self, version: Option<&str>) -> Arc<Reference> {
        let Some(v) = version.and_then(|v| v.parse::<i64>().ok()) else {
            return Arc::new(Reference::new(None));
        };
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.as_ref() {
            Some(r) if r.version == Some(v) => r.clone(),
            Some(r) if r.version.is_some_and(|k| k > v) => Arc::new(Reference::new(Some(v))),
            _ => {
                let r = Arc::new(Reference::new(Some(v)));
                *kept = Some(r.clone());
                r
            }
        }
    }
}

/// Procedures, workflows and organisations as of one version, filled as they are asked for.
pub struct Reference {
    version: Option<i64>,
    procedures: Mutex<HashMap<ProcedureCode, Option<Procedure>>>,
    organisations: Mutex<HashMap<OrgCode, Option<Organisation>>>,
    /// The first service centre under an organisation (where its dossiers are received).
    centres: Mutex<HashMap<OrgCode, Option<OrgCode>>>,
    workflows: tokio::sync::OnceCell<Vec<Workflow>>,
    /// Earlier versions asked for by dossiers started under them (never changed once stored).
    versions: Mutex<HashMap<(String, u32), Option<Workflow>>>,
    /// Whether an active staff account holds a role at an organisation.
    staffed: Mutex<HashMap<(OrgCode, Role), bool>>,
    /// The account an organisation collects fees into, if it has one.
    banks: Mutex<HashMap<OrgCode, Option<BankAccount>>>,
}

/// The value kept under `key`, or `load`ed and kept (a map past [`MAX_KEPT`] starts again).
async fn kept_or<K, V, Fut>(map: &Mutex<HashMap<K, V>>, key: &K, load: Fut) -> Result<V, StoreError>
where
    K: std::hash::Hash + Eq + Clone,
    V: Clone,
    Fut: std::future::Future<Output = Result<V, StoreError>>,
{
    if let Some(v) = map.lock().unwrap_or_else(PoisonError::into_inner).get(key) {
        return Ok(v.clone());
    }
    let v = load.await?;
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    if m.len() >= MAX_KEPT {
        m.clear();
    }
    m.insert(key.clone(), v.clone());
    Ok(v)
}

impl Reference {
    fn new(version: Option<i64>) -> Self {
        Self {
            version,
            procedures: Mutex::default(),
            organisations: Mutex::default(),
            centres: Mutex::default(),
            workflows: tokio::sync::OnceCell::new(),
            versions: Mutex::default(),
            staffed: Mutex::default(),
            banks: Mutex::default(),
        }
    }

    /// A procedure by code, if the catalog has it.
    pub async fn procedure(
        &self,
        store: &dyn CatalogStore,
        code: &ProcedureCode,
    ) -> Result<Option<Procedure>, StoreError> {
        kept_or(&self.procedures, code, store.procedure(code)).await
    }

    /// An organisation by code, if there is one.
    pub async fn organisation(
        &self,
        store: &dyn CatalogStore,
        code: &OrgCode,
    ) -> Result<Option<Organisation>, StoreError> {
        kept_or(&self.organisations, code, store.organisation(code)).await
    }

    /// The first service centre (by code) directly under an organisation, if it has one.
    pub async fn service_centre_of(
        &self,
        store: &dyn CatalogStore,
        org: &OrgCode,
    ) -> Result<Option<OrgCode>, StoreError> {
        let filter = OrgFilter { parent: Some(org.clone()), kind: Some(OrgKind::ServiceCentre), unit: None };
        let first = async {
            Ok(store.list_organisations(&filter, Page::default()).await?.items.into_iter().next().map(|c| c.code))
        };
        kept_or(&self.centres, org, first).await
    }

    /// Whether an active staff account holds `role` at `org` (someone to receive dossiers there).
    pub async fn staffed(&self, store: &dyn AccountStore, org: &OrgCode, role: Role) -> Result<bool, StoreError> {
        kept_or(&self.staffed, &(org.clone(), role), store.staffed(org, role)).await
    }

    /// The account `org` collects fees into, if it has one.
    pub async fn bank_account(
        &self,
        store: &dyn PaymentStore,
        org: &OrgCode,
    ) -> Result<Option<BankAccount>, StoreError> {
        kept_or(&self.banks, org, store.bank_account(org)).await
    }

    /// The workflow with this code, if there is one.
    pub async fn workflow(&self, store: &dyn SettingsStore, code: &str) -> Result<Option<Workflow>, StoreError> {
        let all = self.workflows.get_or_try_init(|| store.workflows()).await?;
        Ok(all.iter().find(|w| w.code == code).cloned())
    }

    /// One version of a workflow: the current one from the copy, an earlier one read once.
    pub async fn workflow_at(
        &self,
        store: &dyn SettingsStore,
        code: &str,
        version: u32,
    ) -> Result<Option<Workflow>, StoreError> {
        if let Some(current) = self.workflow(store, code).await?
            && current.version == version
        {
            return Ok(Some(current));
        }
        kept_or(&self.versions, &(code.to_owned(), version), store.workflow_version(code, version)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_shared_per_version_and_an_older_reader_does_not_evict_a_newer_copy() {
        let cache = ReferenceCache::default();
        let five = cache.at(Some("5"));
        assert!(Arc::ptr_eq(&five, &cache.at(Some("5"))));
        let six = cache.at(Some("6"));
        assert!(!Arc::ptr_eq(&five, &six));
        let late = cache.at(Some("5"));
        assert!(!Arc::ptr_eq(&late, &six), "a reader of 5 is not served the copy of 6");
        assert!(Arc::ptr_eq(&six, &cache.at(Some("6"))), "the copy of 6 stays");
        assert!(!Arc::ptr_eq(&cache.at(None), &cache.at(None)), "no version: nothing shared");
        assert!(!Arc::ptr_eq(&cache.at(Some("x")), &cache.at(Some("x"))));
    }

    #[tokio::test]
    async fn a_value_is_loaded_once_and_the_map_stays_bounded() {
        let map: Mutex<HashMap<u32, u32>> = Mutex::default();
        assert_eq!(kept_or(&map, &7, async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(kept_or(&map, &7, async { Ok(2) }).await.unwrap(), 1, "kept, not loaded again");
        let failed = kept_or(&map, &8, async { Err(StoreError::Corrupt("x".into())) }).await;
        assert!(failed.is_err() && !map.lock().unwrap().contains_key(&8), "a failed load is not kept");
        for k in 0..(MAX_KEPT as u32 + 5) {
            kept_or(&map, &(k + 100), async { Ok(k) }).await.unwrap();
        }
        assert!(map.lock().unwrap().len() <= MAX_KEPT, "bounded whatever codes are asked for");
    }
}

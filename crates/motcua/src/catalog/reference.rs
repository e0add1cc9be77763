//! Procedures, workflows and organisations kept in memory per process (issue 20): a
//! submission used to read the procedure, every workflow and the service centres from the
//! database, twice. The database counts every change to those tables up in
//! [`REFERENCE_VERSION_KEY`] (triggers, in the changing transaction, whoever changes them:
//! this server, another server on the same PostgreSQL, or an operator by hand); a use case
//! reads that number once, with the calendar's, and is answered from the copy kept for it.
//! What the copy holds was read after the number was, so it is never older than the number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use motcua_domain::workflow::Workflow;
use motcua_domain::{OrgCode, OrgKind, Organisation, Procedure, ProcedureCode};
use motcua_store::{CatalogStore, OrgFilter, Page, SettingsStore, StoreError};

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
}

fn remember<K: std::hash::Hash + Eq, V: Clone>(map: &Mutex<HashMap<K, V>>, key: K, value: &V) {
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    if m.len() >= MAX_KEPT {
        m.clear();
    }
    m.insert(key, value.clone());
}

fn recall<K: std::hash::Hash + Eq, V: Clone>(map: &Mutex<HashMap<K, V>>, key: &K) -> Option<V> {
    map.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
}

impl Reference {
    fn new(version: Option<i64>) -> Self {
        Self {
            version,
            procedures: Mutex::default(),
            organisations: Mutex::default(),
            centres: Mutex::default(),
            workflows: tokio::sync::OnceCell::new(),
        }
    }

    /// A procedure by code, if the catalog has it.
    pub async fn procedure(
        &self,
        store: &dyn CatalogStore,
        code: &ProcedureCode,
    ) -> Result<Option<Procedure>, StoreError> {
        if let Some(p) = recall(&self.procedures, code) {
            return Ok(p);
        }
        let p = store.procedure(code).await?;
        remember(&self.procedures, code.clone(), &p);
        Ok(p)
    }

    /// An organisation by code, if there is one.
    pub async fn organisation(
        &self,
        store: &dyn CatalogStore,
        code: &OrgCode,
    ) -> Result<Option<Organisation>, StoreError> {
        if let Some(o) = recall(&self.organisations, code) {
            return Ok(o);
        }
        let o = store.organisation(code).await?;
        remember(&self.organisations, code.clone(), &o);
        Ok(o)
    }

    /// The first service centre (by code) directly under an organisation, if it has one.
    pub async fn service_centre_of(
        &self,
        store: &dyn CatalogStore,
        org: &OrgCode,
    ) -> Result<Option<OrgCode>, StoreError> {
        if let Some(c) = recall(&self.centres, org) {
            return Ok(c);
        }
        let filter = OrgFilter { parent: Some(org.clone()), kind: Some(OrgKind::ServiceCentre), unit: None };
        let c = store.list_organisations(&filter, Page::default()).await?.items.into_iter().next().map(|c| c.code);
        remember(&self.centres, org.clone(), &c);
        Ok(c)
    }

    /// The workflow with this code, if there is one.
    pub async fn workflow(&self, store: &dyn SettingsStore, code: &str) -> Result<Option<Workflow>, StoreError> {
        let all = self.workflows.get_or_try_init(|| store.workflows()).await?;
        Ok(all.iter().find(|w| w.code == code).cloned())
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
}

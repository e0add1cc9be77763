//! What one use case works against: procedures, workflows and organisations as of one read
//! of the database's versions, and the working calendar of that same read — one statement
//! instead of a procedure, every workflow, the service centres and the calendar's version,
//! each read again by every step that needs it (see `catalog/reference.rs`).

use std::sync::Arc;

use motcua_domain::calendar::WorkCalendar;
use motcua_domain::workflow::Workflow;
use motcua_domain::{OrgCode, Organisation, Procedure, ProcedureCode, Role};
use motcua_store::{AccountStore, CALENDAR_VERSION_KEY, CatalogStore, REFERENCE_VERSION_KEY, SettingsStore};

use crate::app::{AppError, AppResult};
use crate::calendar::source::CalendarSource;
use crate::catalog::reference::{Reference, ReferenceCache};

/// The numbers a snapshot is taken at: the reference version and the calendar's, as one read
/// gave them (either may be missing on a database that never counted one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    reference: Option<String>,
    calendar: Option<String>,
}

impl Versions {
    /// The meta values that hold them, in the order [`Versions::from_metas`] takes them.
    pub const KEYS: [&'static str; 2] = [REFERENCE_VERSION_KEY, CALENDAR_VERSION_KEY];

    /// From the values of [`Versions::KEYS`], read in that order.
    pub fn from_metas(values: Vec<Option<String>>) -> Self {
        let mut values = values.into_iter();
        Self { reference: values.next().flatten(), calendar: values.next().flatten() }
    }
}

pub struct Snapshot<'a> {
    reference: Arc<Reference>,
    pub calendar: WorkCalendar,
    catalog: &'a dyn CatalogStore,
    settings: &'a dyn SettingsStore,
}

impl<'a> Snapshot<'a> {
    /// Reads the versions (one statement) and takes the copies kept for them.
    pub async fn take(
        catalog: &'a dyn CatalogStore,
        settings: &'a dyn SettingsStore,
        cache: &ReferenceCache,
        calendar: &CalendarSource,
    ) -> AppResult<Self> {
        let versions = Versions::from_metas(settings.metas(&Versions::KEYS).await?);
        Self::at(versions, catalog, settings, cache, calendar).await
    }

    /// Takes the copies kept for versions the caller has just read (a request reads them with
    /// its session, in the same statement).
    pub async fn at(
        versions: Versions,
        catalog: &'a dyn CatalogStore,
        settings: &'a dyn SettingsStore,
        cache: &ReferenceCache,
        calendar: &CalendarSource,
    ) -> AppResult<Self> {
        let reference = cache.at(versions.reference.as_deref());
        let calendar = calendar.at(versions.calendar, settings).await?;
        Ok(Self { reference, calendar, catalog, settings })
    }

    pub async fn procedure(&self, code: &ProcedureCode) -> AppResult<Option<Procedure>> {
        Ok(self.reference.procedure(self.catalog, code).await?)
    }

    /// The procedure's name, or its code should the procedure be gone.
    pub async fn procedure_name(&self, code: &ProcedureCode) -> AppResult<String> {
        Ok(self.procedure(code).await?.map(|p| p.name.as_str().to_owned()).unwrap_or_else(|| code.to_string()))
    }

    pub async fn organisation(&self, code: &OrgCode) -> AppResult<Option<Organisation>> {
        Ok(self.reference.organisation(self.catalog, code).await?)
    }

    /// The first service centre directly under an organisation, if it has one.
    pub async fn service_centre_of(&self, org: &OrgCode) -> AppResult<Option<OrgCode>> {
        Ok(self.reference.service_centre_of(self.catalog, org).await?)
    }

    /// Whether an active staff account holds `role` at `org`.
    pub async fn staffed(&self, accounts: &dyn AccountStore, org: &OrgCode, role: Role) -> AppResult<bool> {
        Ok(self.reference.staffed(accounts, org, role).await?)
    }

    /// The account `org` collects fees into, if it has one.
    pub async fn bank_account(
        &self,
        payments: &dyn motcua_store::payments::PaymentStore,
        org: &OrgCode,
    ) -> AppResult<Option<motcua_domain::payment::BankAccount>> {
        Ok(self.reference.bank_account(payments, org).await?)
    }

    /// The current version of the workflow a procedure names (what a new dossier starts
    /// under); one that is missing is a fault of ours.
    pub async fn workflow(&self, code: &str) -> AppResult<Workflow> {
        required_workflow(code, self.reference.workflow(self.settings, code).await?)
    }

    /// The version of its workflow a dossier started under (and runs under to the end).
    pub async fn dossier_workflow(&self, dossier: &motcua_domain::workflow::Dossier) -> AppResult<Workflow> {
        let (code, version) = (&dossier.workflow, dossier.workflow_version);
        required_workflow(code, self.reference.workflow_at(self.settings, code, version).await?)
    }
}

/// A workflow a procedure or a dossier names that is missing is a fault of ours.
pub(crate) fn required_workflow(code: &str, found: Option<Workflow>) -> AppResult<Workflow> {
    found.ok_or_else(|| {
        tracing::error!(workflow = code, "workflow missing");
        AppError::internal()
    })
}

//! The province's workflows: which one each procedure follows, a new version of one (the
//! dossiers already started keep theirs), and the procedures whose dossiers would wait where
//! nobody works.

use motcua_domain::workflow::Workflow;
use motcua_domain::{Account, OrgCode, ProcedureCode, Role};

use super::Administration;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};

/// A procedure whose online dossiers, sent to `org`, would wait at `place` where no active
/// officer holds `role`: submissions are refused until someone does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreceived {
    pub procedure: ProcedureCode,
    pub org: OrgCode,
    pub place: OrgCode,
    pub role: Role,
}

impl Administration<'_> {
    /// Every procedure and every workflow (the province's administrator's page).
    pub async fn procedures_and_workflows(&self) -> AppResult<(Vec<motcua_domain::Procedure>, Vec<Workflow>)> {
        let all = motcua_store::ProcedureFilter::default();
        let procedures = self.catalog.list_procedures(&all, motcua_store::Page::all()).await?.items;
        Ok((procedures, self.settings.workflows().await?))
    }

    /// Makes a procedure follow another workflow (the province's administrator): dossiers
    /// already started keep the workflow they started under. An unknown procedure or
    /// workflow is 400.
    pub async fn set_workflow(&self, account: &Account, code: &str, workflow: &str) -> AppResult<()> {
        if !self.calendars.is_province_admin(account).await? {
            return Err(AppError::forbidden());
        }
        let known = self.settings.workflows().await?.iter().any(|w| w.code == workflow);
        let procedure = match ProcedureCode::parse(code) {
            Ok(c) => self.catalog.procedure(&c).await?,
            Err(_) => None,
        };
        let (true, Some(mut p)) = (known, procedure) else {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "Không có thủ tục hoặc quy trình này"));
        };
        p.workflow = workflow.to_owned();
        self.catalog.upsert_procedures(&[p]).await?;
        tracing::info!(by = account.id, procedure = %code, "procedure workflow changed");
        Ok(())
    }

    /// Stores a workflow (the province's administrator): a new one, or a new version of one
    /// whose steps changed; the dossiers in flight go on under the version they started
    /// under. Returns the workflow as stored, with its version. A workflow that breaks the
    /// rules (see [`Workflow::check`]) is 422 `invalid_workflow`; a body whose code is not
    /// the one addressed is 400.
    pub async fn save_workflow(&self, account: &Account, code: &str, workflow: Workflow) -> AppResult<Workflow> {
        if !self.calendars.is_province_admin(account).await? {
            return Err(AppError::forbidden());
        }
        if workflow.code != code {
            return Err(AppError::bad_request(
                ErrorCode::InvalidBody,
                format!("Mã quy trình trong dữ liệu ({}) khác mã trên đường dẫn ({code})", workflow.code),
            ));
        }
        // The store numbers versions; whatever number came with the text is not checked.
        let workflow = Workflow { version: motcua_domain::workflow::first_version(), ..workflow }
            .check()
            .map_err(|e| AppError::new(Kind::Unprocessable, ErrorCode::InvalidWorkflow, e.to_string()))?;
        let written = self.settings.upsert_workflows(std::slice::from_ref(&workflow)).await?;
        let stored = self.settings.workflows().await?.into_iter().find(|w| w.code == code).ok_or_else(|| {
            tracing::error!(workflow = code, "workflow missing right after it was stored");
            AppError::internal()
        })?;
        tracing::info!(by = account.id, workflow = code, version = stored.version, written, "workflow saved");
        Ok(stored)
    }

    /// The procedures whose online dossiers would wait where nobody can open them.
    pub async fn unreceived(&self, state: &AppState) -> AppResult<Vec<Unreceived>> {
        let dossiers = crate::dossiers::Dossiers::of(state);
        let snap = dossiers.snapshot().await?;
        let staffed = self.accounts.staffed_roles().await?;
        let all = motcua_store::ProcedureFilter::default();
        let mut out = Vec::new();
        for p in self.catalog.list_procedures(&all, motcua_store::Page::all()).await?.items {
            if p.online == motcua_domain::OnlineLevel::None {
                continue;
            }
            for (org, place, role) in dossiers.entry_places(&snap, &p).await? {
                if !staffed.contains(&(place.clone(), role)) {
                    out.push(Unreceived { procedure: p.code.clone(), org, place, role });
                }
            }
        }
        Ok(out)
    }
}

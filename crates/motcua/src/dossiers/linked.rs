//! Linked applications (liên thông): after each change to an application or one of its
//! branches, and every half minute for the applications still running, the group's plan
//! (`workflow::linked::plan`) is carried out — branches started as ordinary dossiers at their
//! organisations, held and resumed, stopped, returned together, the application closed —
//! each move recorded as an event of the dossier it changes. The plan is worked out again
//! after every move from what is stored, so a crash or two servers at once leave nothing
//! half done and nothing done twice: a branch's dossier is created under an idempotency key
//! of its application and branch, and every other move is written only if the dossier has
//! not changed since it was read.

use jiff::Timestamp;
use motcua_domain::attachment::Attachment;
use motcua_domain::audit::EventDraft;
use motcua_domain::workflow::linked::{self, Move, NewBranch};
use motcua_domain::workflow::{Branch, Context, Dossier, Status, Transition, Workflow};
use motcua_domain::{DossierCode, OrgCode, Procedure};
use motcua_store::{CreateOutcome, DossierFilter, DossierPage, IdempotencyKey, Page, StoreError, StoredDossier};

use super::{Dossiers, not_found};
use crate::app::snapshot::Snapshot;
use crate::app::{AppError, AppResult, ErrorCode, Kind};

/// Moves carried out for one application at most in one go (each branch starts, is held,
/// resumed, returned once or twice: a few dozen would mean a plan that never settles).
const MAX_MOVES: usize = 60;

/// Who the events of the coordinator's moves name.
const ACTOR: &str = "system:lien-thong";

/// A branch as the application's page and API show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BranchView {
    pub key: String,
    pub name: String,
    #[schema(value_type = String)]
    pub procedure: motcua_domain::ProcedureCode,
    /// The branches it needs first.
    pub after: Vec<String>,
    /// `waiting` (for the branches it needs), `never` (one of them failed, or the application
    /// ended), else `started`.
    pub state: &'static str,
    /// Its dossier, once started (the rest below too).
    #[schema(value_type = Option<String>)]
    pub dossier: Option<DossierCode>,
    pub status: Option<Status>,
    pub status_label: Option<&'static str>,
    #[schema(value_type = Option<String>)]
    pub org: Option<OrgCode>,
    pub org_name: Option<String>,
    /// The step it waits at (in Vietnamese and English), and the officer assigned, if any.
    pub step_name: Option<String>,
    pub step_name_en: Option<String>,
    pub officer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    pub timeliness: Option<motcua_domain::workflow::Timeliness>,
    /// The branch it is held for (waiting for that branch's supplement).
    pub held_by: Option<String>,
    /// What the branch issues (its procedure's result), once done.
    pub result: Option<String>,
}

impl Dossiers<'_> {
    /// Carries out what the application `code`'s workflow asks for until it asks for nothing.
    pub(crate) async fn settle(&self, snap: &Snapshot<'_>, code: &DossierCode) -> AppResult<()> {
        for _ in 0..MAX_MOVES {
            let group = self.dossiers.dossier(code).await?.ok_or_else(|| not_found(code.as_str()))?;
            if group.dossier.group.is_none() {
                return Ok(());
            }
            let wf = snap.dossier_workflow(&group.dossier).await?;
            let started = self.branches_of(&group.dossier).await?;
            let dossiers: Vec<Dossier> = started.iter().map(|s| s.dossier.clone()).collect();
            let Some(mv) = linked::plan(&wf, &group.dossier, &dossiers).into_iter().next() else {
                return Ok(());
            };
            let now = Timestamp::now();
            let written = match &mv {
                Move::Start { branch, inputs } => self.start_branch(snap, &wf, &group, branch, inputs, now).await?,
                Move::Join { .. } => {
                    let ctx = self.context(snap, &wf, now);
                    let t = linked::step(&ctx, &group.dossier, &mv)?;
                    self.record(&group, &wf, t, now).await?
                }
                Move::Hold { dossier, .. }
                | Move::Resume { dossier }
                | Move::Stop { dossier, .. }
                | Move::Return { dossier } => {
                    let Some(b) = started.iter().find(|s| s.dossier.code == *dossier) else { continue };
                    let bwf = snap.dossier_workflow(&b.dossier).await?;
                    let ctx = self.context(snap, &bwf, now);
                    let t = linked::step(&ctx, &b.dossier, &mv)?;
                    self.record(b, &bwf, t, now).await?
                }
            };
            if written {
                tracing::info!(group = %code, ?mv, "linked application moved on");
                self.changed();
            }
        }
        tracing::error!(group = %code, "linked application: the plan did not settle");
        Err(AppError::internal())
    }

    /// [`Self::settle`] for the application a dossier belongs to (itself or its group), if any.
    /// A failure is logged, not returned: the change that called it is recorded, and the
    /// half-minute pass finishes the rest.
    pub(crate) async fn settle_after(&self, snap: &Snapshot<'_>, d: &Dossier) {
        let group = match (&d.group, &d.branch_of) {
            (Some(_), _) => d.code.clone(),
            (None, Some(b)) => b.group.clone(),
            _ => return,
        };
        if let Err(e) = self.settle(snap, &group).await {
            tracing::warn!(group = %group, error = %e.message, "linked application: left for the next pass");
        }
    }

    /// Settles every running linked application (every half minute, by one server).
    pub async fn settle_running(&self) -> AppResult<usize> {
        let snap = self.snapshot().await?;
        let mut codes = Vec::new();
        for procedure in self.linked_procedures(&snap).await? {
            for status in [Status::Accepted, Status::InProcess] {
                let filter =
                    DossierFilter { procedure: Some(procedure.clone()), status: Some(status), ..Default::default() };
                let mut page = DossierPage::first(200);
                loop {
                    let found = self.dossiers.list_dossiers(&filter, &page).await?;
                    codes.extend(found.items.iter().map(|d| d.code.clone()));
                    match found.next {
                        Some(next) => page.after = Some(next),
                        None => break,
                    }
                }
            }
        }
        for code in &codes {
            if let Err(e) = self.settle(&snap, code).await {
                tracing::warn!(group = %code, error = %e.message, "linked application: left for the next pass");
            }
        }
        Ok(codes.len())
    }

    /// The procedures whose workflow forks into branches.
    async fn linked_procedures(&self, snap: &Snapshot<'_>) -> AppResult<Vec<motcua_domain::ProcedureCode>> {
        let mut out = Vec::new();
        for p in self.catalog_store.list_procedures(&Default::default(), Page::all()).await?.items {
            if !snap.workflow(&p.workflow).await?.branches.is_empty() {
                out.push(p.code);
            }
        }
        Ok(out)
    }

    /// A dossier by its code, whoever asks (for what a page shows of a branch's application).
    pub(crate) async fn load_any(&self, code: &DossierCode) -> AppResult<Dossier> {
        Ok(self.dossiers.dossier(code).await?.ok_or_else(|| not_found(code.as_str()))?.dossier)
    }

    /// The dossiers of the branches an application started.
    async fn branches_of(&self, group: &Dossier) -> AppResult<Vec<StoredDossier>> {
        let mut out = Vec::new();
        for link in group.group.iter().flat_map(|g| &g.branches) {
            out.push(self.dossiers.dossier(&link.dossier).await?.ok_or_else(|| not_found(link.dossier.as_str()))?);
        }
        Ok(out)
    }

    /// Every branch of an application: started or not, with its state.
    pub async fn branch_views(&self, snap: &Snapshot<'_>, group: &Dossier) -> AppResult<Vec<BranchView>> {
        if group.group.is_none() {
            return Ok(Vec::new());
        }
        let wf = snap.dossier_workflow(group).await?;
        let started: Vec<Dossier> = self.branches_of(group).await?.into_iter().map(|s| s.dossier).collect();
        let now = Timestamp::now();
        let mut out = Vec::with_capacity(wf.branches.len());
        for b in &wf.branches {
            let mut v = BranchView {
                key: b.key.clone(),
                name: b.name.to_string(),
                procedure: b.procedure.clone(),
                after: b.after.clone(),
                state: "waiting",
                dossier: None,
                status: None,
                status_label: None,
                org: None,
                org_name: None,
                step_name: None,
                step_name_en: None,
                officer: None,
                due_at: None,
                finished_at: None,
                timeliness: None,
                held_by: None,
                result: None,
            };
            match started.iter().find(|d| d.branch_of.as_ref().is_some_and(|x| x.branch == b.key)) {
                Some(d) => {
                    let bwf = snap.dossier_workflow(d).await?;
                    let org = snap.organisation(&d.processing_org).await?;
                    let officer = match d.assignee {
                        Some(id) => self.accounts.account(id).await?.map(|a| a.full_name.to_string()),
                        None => None,
                    };
                    let done = matches!(d.status, Status::Done | Status::Returned);
                    v = BranchView {
                        state: "started",
                        dossier: Some(d.code.clone()),
                        status: Some(d.status),
                        status_label: Some(d.status.label_vi()),
                        org: Some(d.processing_org.clone()),
                        org_name: Some(org.map_or_else(|| d.processing_org.to_string(), |o| o.name.to_string())),
                        step_name: d.step.as_deref().and_then(|k| bwf.step_name(k, false)).map(str::to_owned),
                        step_name_en: d.step.as_deref().and_then(|k| bwf.step_name(k, true)).map(str::to_owned),
                        officer,
                        due_at: d.due_at,
                        finished_at: d.finished_at,
                        timeliness: Some(d.timeliness(now)),
                        held_by: d.branch_of.as_ref().and_then(|x| x.held.as_ref()).map(|h| h.by.clone()),
                        result: match done {
                            true => snap.procedure(&d.procedure).await?.map(|p| p.result.to_string()),
                            false => None,
                        },
                        ..v
                    };
                }
                None if group.status.is_closed() || linked::never_starts_in(&wf, &started, &b.key) => v.state = "never",
                None => {}
            }
            out.push(v);
        }
        Ok(out)
    }

    /// Where each branch of a new application would go, refused (422) when a branch has no
    /// organisation for the application's or nobody there to open it.
    pub(crate) async fn check_branches(&self, snap: &Snapshot<'_>, wf: &Workflow, org: &OrgCode) -> AppResult<()> {
        for b in &wf.branches {
            let procedure = self.branch_procedure(snap, b).await?;
            let place = self.branch_org(snap, &procedure, org).await?;
            let bwf = snap.workflow(&procedure.workflow).await?;
            if let Some(step) = bwf.entry_step(true) {
                let at = (step.org.pick(org, &place), step.role);
                let what = format!("nhánh «{}»; hồ sơ liên thông chưa được nộp", b.name);
                self.someone_at(snap, at, &what).await?;
            }
        }
        Ok(())
    }

    async fn branch_procedure(&self, snap: &Snapshot<'_>, b: &Branch) -> AppResult<Procedure> {
        snap.procedure(&b.procedure).await?.ok_or_else(|| {
            AppError::new(
                Kind::Unprocessable,
                ErrorCode::UnknownProcedure,
                format!("Nhánh liên thông «{}» cần thủ tục {} chưa có trong danh mục", b.name, b.procedure),
            )
        })
    }

    /// The organisation that handles a branch of an application processed by `org`: `org`
    /// itself if it handles the branch's procedure, else the one of the procedure's that
    /// serves the same administrative unit (the commune police of the same commune), else
    /// the procedure's only organisation (the provincial social insurance).
    async fn branch_org(&self, snap: &Snapshot<'_>, procedure: &Procedure, org: &OrgCode) -> AppResult<OrgCode> {
        if procedure.organisations.contains(org) {
            return Ok(org.clone());
        }
        if let Some(unit) = snap.organisation(org).await?.map(|o| o.unit) {
            for candidate in &procedure.organisations {
                if snap.organisation(candidate).await?.is_some_and(|o| o.unit == unit) {
                    return Ok(candidate.clone());
                }
            }
        }
        match procedure.organisations.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::OrgNotForProcedure,
                format!("Không có cơ quan giải quyết thủ tục «{}» cho địa bàn của hồ sơ", procedure.name),
            )),
        }
    }

    /// Creates a branch's dossier (once: a retry finds the one created) and records it on
    /// the application. Whether anything was written.
    async fn start_branch(
        &self,
        snap: &Snapshot<'_>,
        wf: &Workflow,
        group: &StoredDossier,
        key: &str,
        inputs: &[DossierCode],
        now: Timestamp,
    ) -> AppResult<bool> {
        let g = &group.dossier;
        let b = wf.branch(key).ok_or_else(AppError::internal)?;
        let procedure = self.branch_procedure(snap, b).await?;
        let org = self.branch_org(snap, &procedure, &g.processing_org).await?;
        let bwf = snap.workflow(&procedure.workflow).await?;
        let attachments: Vec<Attachment> = self
            .dossiers
            .attachments(&g.code)
            .await?
            .into_iter()
            .filter(|a| match (&b.papers, a.component) {
                (None, _) => true,
                (Some(list), Some(c)) => u16::try_from(c).is_ok_and(|c| list.contains(&c)),
                (Some(_), None) => false,
            })
            .enumerate()
            .map(|(i, a)| Attachment { index: i as i32 + 1, ..a })
            .collect();
        let idempotency = IdempotencyKey {
            account_id: 0,
            key: format!("lien-thong:{}:{key}", g.code),
            request_hash: format!("{}:{key}", g.code),
        };
        let (calendar, group_dossier, branch_key) = (snap.calendar.clone(), g.clone(), key.to_owned());
        let time_limit = b.time_limit.unwrap_or(procedure.time_limit);
        let together = wf.delivery == motcua_domain::workflow::Delivery::Together;
        let inputs_owned = inputs.to_vec();
        let files: Vec<serde_json::Value> =
            attachments.iter().map(|a| serde_json::json!({"index": a.index, "sha256": a.sha256})).collect();
        let build: motcua_store::BuildDossier = std::sync::Arc::new(move |code: DossierCode| {
            let nb = NewBranch {
                workflow: &bwf,
                calendar: &calendar,
                procedure: &procedure,
                org: org.clone(),
                time_limit,
                inputs: inputs_owned.clone(),
                together,
                now,
            };
            let d = linked::new_branch(nb, &group_dossier, &branch_key, code).map_err(|e| e.to_string())?;
            let draft = EventDraft {
                at_us: now.as_microsecond(),
                actor_account: None,
                actor: ACTOR.to_owned(),
                action: "receive".to_owned(),
                from_status: None,
                to_status: d.status.code(),
                from_step: None,
                to_step: d.step.clone(),
                details: serde_json::json!({
                    "group": group_dossier.code, "branch": branch_key, "inputs": inputs_owned, "attachments": files,
                })
                .to_string(),
            };
            let placement = d.placement(&bwf);
            Ok((d, placement, draft))
        });
        let day = now.to_zoned(motcua_domain::calendar::vietnam()).date();
        let child =
            match self.dossiers.create_dossier(&g.desk_org, day, Some(&idempotency), &attachments, &[], build).await {
                Ok(CreateOutcome::Created(c)) => c.0.dossier.code,
                Ok(CreateOutcome::Existing { code, .. }) => code,
                // The same branch started by another server at this moment: read again.
                Err(StoreError::Conflict(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
            };
        let t = linked::start(g, key, &child)?;
        self.record(group, wf, t, now).await
    }

    fn context<'c>(&self, snap: &'c Snapshot<'_>, wf: &'c Workflow, now: Timestamp) -> Context<'c> {
        Context { workflow: wf, calendar: &snap.calendar, supplement_mode: self.supplement_mode, now }
    }

    /// Writes a move's transition if the dossier is still as read; whether it was.
    async fn record(&self, stored: &StoredDossier, wf: &Workflow, t: Transition, now: Timestamp) -> AppResult<bool> {
        let draft = t.event(now, None, ACTOR.to_owned(), &t.details);
        let placement = t.dossier.placement(wf);
        match self
            .dossiers
            .record_action(&stored.dossier.code, stored.last_seq, &t.dossier, placement, draft, &[])
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

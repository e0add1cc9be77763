//! Dossiers: submission (online or at the desk), who may see one, actions through
//! `workflow::apply`, ratings, and what anyone may know from a dossier's code. Every change
//! is recorded as an event in the same transaction.

pub mod api;
pub mod audit;
pub mod escalation;
pub mod forms;
pub mod linked;
pub mod pages;

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::attachment::{self as files, Attachment};
use motcua_domain::audit::EventDraft;
use motcua_domain::rating::Stars;
use motcua_domain::workflow::SupplementMode;
use motcua_domain::workflow::{
    self, ActionError, ActionKind, ActionRequest, Actor, Applicant, Channel, Context, Dossier, Status,
};
use motcua_domain::{Account, AccountKind, DossierCode, OrgCode, ProcedureCode, Role};
use motcua_store::{
    AccountStore, CatalogStore, CreateOutcome, DossierFilter, DossierList, DossierPage, DossierStore, Draft, ListTotal,
    Rating, SettingsStore, StoreError, StoredDossier,
};
use serde::Deserialize;

use crate::app::snapshot::{Snapshot, Versions};
use crate::app::{AccountQuotas, AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::CalendarSource;
use crate::datastore::Papers;
use crate::payments::Payments;
use crate::results::Results;

mod files_in;
mod tracking;
pub(crate) use files_in::*;
pub use tracking::*;

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        let status = match e {
            ActionError::Closed { .. } | ActionError::NotNow { .. } | ActionError::Linked(_) => Kind::Conflict,
            ActionError::Forbidden { .. } => Kind::Forbidden,
            ActionError::Invalid(_) => Kind::Invalid,
        };
        AppError::new(status, ErrorCode::from(&e), e.to_string())
    }
}

fn not_found(code: &str) -> AppError {
    AppError::not_found(format!("Không tìm thấy hồ sơ {code}"))
}

/// Who may see a dossier: its applicant, and staff of the desk or the processing organisation.
/// Anyone else is told it does not exist.
fn can_view(d: &Dossier, viewer: &Account) -> bool {
    match viewer.kind {
        AccountKind::Citizen => d.owner_account == Some(viewer.id),
        AccountKind::Staff => {
            !viewer.disabled && viewer.roles.iter().any(|r| r.org == d.desk_org || r.org == d.processing_org)
        }
    }
}

pub(crate) fn actor(viewer: &Account) -> Actor<'_> {
    match viewer.kind {
        AccountKind::Citizen => Actor::Applicant { account_id: Some(viewer.id) },
        AccountKind::Staff => Actor::Staff(viewer),
    }
}

/// The dossiers' use cases: submission, who may see a dossier, actions through the workflow,
/// ratings, public tracking and files. They hold the dossier, catalog and account roles of
/// the store and the use cases they call on (payments' receipts, results' signatures, the
/// data store's papers), with the kept reference data and calendar (taken as a `Snapshot`),
/// the account quotas, where files are kept and the channel that tells live dashboards.
/// Built per request.
pub struct Dossiers<'a> {
    dossiers: &'a dyn DossierStore,
    catalog_store: &'a dyn CatalogStore,
    accounts: &'a dyn AccountStore,
    identities: &'a dyn motcua_store::identity::IdentityStore,
    payments: Payments<'a>,
    results: Results<'a>,
    papers: Papers<'a>,
    calendar: &'a CalendarSource,
    reference: &'a crate::catalog::reference::ReferenceCache,
    settings: &'a dyn SettingsStore,
    supplement_mode: SupplementMode,
    quotas: AccountQuotas,
    blobs: &'a crate::blobs::BlobStore,
    events: &'a crate::app::events::Events,
}

impl<'a> Dossiers<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            dossiers: store,
            catalog_store: store,
            accounts: store,
            identities: store,
            payments: Payments::of(state),
            results: Results::of(state),
            papers: Papers::of(state),
            calendar: &state.calendar,
            reference: &state.reference,
            settings: store,
            supplement_mode: state.settings.supplement_mode,
            quotas: state.settings.quotas,
            blobs: &state.blobs,
            events: &state.events,
        }
    }

    /// Reference data and the calendar as of one read of their versions.
    pub async fn snapshot(&self) -> AppResult<Snapshot<'a>> {
        Snapshot::take(self.catalog_store, self.settings, self.reference, self.calendar).await
    }

    /// Reference data and the calendar as of versions the caller has just read (a request's,
    /// read with its session).
    pub async fn snapshot_at(&self, versions: Versions) -> AppResult<Snapshot<'a>> {
        Snapshot::at(versions, self.catalog_store, self.settings, self.reference, self.calendar).await
    }

    /// Tells live dashboards that dossiers changed (nobody listening is fine).
    fn changed(&self) {
        self.events.dossiers_changed();
    }

    /// A page of dossiers by filter (the caller chooses what the viewer may see).
    pub async fn list(&self, filter: &DossierFilter, page: &DossierPage) -> AppResult<DossierList> {
        Ok(self.dossiers.list_dossiers(filter, page).await?)
    }

    /// How many dossiers the filter keeps (up to [`motcua_store::COUNT_BOUND`]).
    pub async fn count(&self, filter: &DossierFilter) -> AppResult<ListTotal> {
        Ok(self.dossiers.count_dossiers(filter).await?)
    }

    /// The dossier's events, oldest first.
    pub async fn events(&self, code: &DossierCode) -> AppResult<Vec<motcua_domain::audit::Event>> {
        Ok(self.dossiers.events(code).await?)
    }

    /// The applicant's rating of the dossier, if given. Only a returned dossier may have one
    /// (`Status::may_be_rated`), so no other is looked up.
    pub async fn rating(&self, d: &Dossier) -> AppResult<Option<Rating>> {
        if !d.status.may_be_rated() {
            return Ok(None);
        }
        Ok(self.dossiers.rating(&d.code).await?)
    }

    /// The ratings of a page of dossiers, read at once, by dossier: only the returned ones are
    /// looked up, and none is read when the page has none.
    pub async fn ratings_of(&self, page: &[Dossier]) -> AppResult<HashMap<DossierCode, Rating>> {
        let codes: Vec<DossierCode> = page.iter().filter(|d| d.status.may_be_rated()).map(|d| d.code.clone()).collect();
        Ok(self.dossiers.ratings_of(&codes).await?.into_iter().map(|r| (r.dossier.clone(), r)).collect())
    }

    /// The staff account with this username (to name who acted on a dossier).
    pub async fn staff_account(&self, username: &motcua_domain::Username) -> AppResult<Option<Account>> {
        Ok(self.accounts.account_credentials(username).await?.map(|(a, _)| a))
    }

    /// One of the account's drafts.
    pub async fn draft(&self, id: i64, account: &Account) -> AppResult<Option<Draft>> {
        Ok(self.dossiers.draft(id, account.id).await?)
    }

    /// The account's drafts, last changed first.
    pub async fn drafts(&self, account: &Account) -> AppResult<Vec<Draft>> {
        Ok(self.dossiers.drafts(account.id).await?)
    }

    /// Keeps a draft (new or changed): its number.
    pub async fn save_draft(&self, draft: &Draft) -> AppResult<i64> {
        Ok(self.dossiers.save_draft(draft).await?)
    }

    /// Deletes one of the account's drafts; whether there was one.
    pub async fn delete_draft(&self, id: i64, account: &Account) -> AppResult<bool> {
        Ok(self.dossiers.delete_draft(id, account.id).await?)
    }

    /// Records a rating (API or web form).
    pub(crate) async fn give_rating(
        &self,
        account: &Account,
        code: &str,
        stars: Stars,
        comment: Option<String>,
    ) -> AppResult<Rating> {
        let stored = self.load_visible(code, account).await?;
        if stored.dossier.owner_account != Some(account.id) {
            return Err(AppError::new(Kind::Forbidden, ErrorCode::NotApplicant, "Chỉ người nộp hồ sơ được đánh giá"));
        }
        if !stored.dossier.status.may_be_rated() {
            return Err(AppError::new(
                Kind::Conflict,
                ErrorCode::NotReturned,
                "Chỉ đánh giá được sau khi đã nhận kết quả giải quyết",
            ));
        }
        let comment = comment.map(|c| motcua_domain::text::nfc(c.trim())).filter(|c| !c.is_empty());
        if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
            return Err(AppError::bad_request(ErrorCode::InvalidText, "Góp ý tối đa 1.000 ký tự"));
        }
        let rating = Rating {
            dossier: stored.dossier.code.clone(),
            account_id: account.id,
            stars,
            comment,
            at: Timestamp::now(),
        };
        if !self.dossiers.rate(&rating).await? {
            return Err(AppError::new(Kind::Conflict, ErrorCode::AlreadyRated, "Hồ sơ này đã được đánh giá"));
        }
        self.changed();
        tracing::info!(code = %rating.dossier, stars = stars.get(), "dossier rated");
        Ok(rating)
    }

    /// Refuses a citizen's submission past their 24-hour quotas (429 `daily_quota_exceeded`),
    /// before any of its files is written.
    async fn within_daily_quota(&self, account: &Account, new_bytes: i64) -> AppResult<()> {
        let q = self.quotas;
        if q.dossiers_per_day == 0 && q.bytes_per_day == 0 {
            return Ok(());
        }
        let (dossiers, bytes) =
            self.dossiers.submitted_since(account.id, Timestamp::now() - SignedDuration::from_hours(24)).await?;
        let too_many = q.dossiers_per_day > 0 && dossiers >= q.dossiers_per_day;
        let too_large = q.bytes_per_day > 0 && bytes.saturating_add(new_bytes) > q.bytes_per_day;
        if too_many || too_large {
            tracing::info!(account_id = account.id, dossiers, bytes, "daily submission quota reached");
            let message = if too_many {
                format!(
                    "Mỗi tài khoản nộp tối đa {} hồ sơ trong 24 giờ; vui lòng nộp tiếp vào ngày mai",
                    q.dossiers_per_day
                )
            } else {
                format!(
                    "Mỗi tài khoản gửi tối đa {} MB tệp trong 24 giờ; vui lòng nộp tiếp vào ngày mai",
                    q.bytes_per_day / (1024 * 1024)
                )
            };
            return Err(AppError::new(Kind::TooMany, ErrorCode::DailyQuotaExceeded, message));
        }
        Ok(())
    }

    /// The organisation that processes the dossier (one of the procedure's) and the desk that
    /// receives it (the one asked for, else the organisation's service centre, else itself).
    async fn processing_and_desk(
        &self,
        snap: &Snapshot<'_>,
        req: &SubmitRequest,
        procedure: &motcua_domain::Procedure,
    ) -> AppResult<(OrgCode, OrgCode)> {
        let org = match (&req.org, procedure.organisations.as_slice()) {
            (Some(o), orgs) if orgs.contains(o) => o.clone(),
            (Some(o), _) => {
                return Err(unprocessable(
                    ErrorCode::OrgNotForProcedure,
                    format!("Cơ quan {o} không giải quyết thủ tục này"),
                ));
            }
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(AppError::bad_request(ErrorCode::OrgRequired, "Cần chọn cơ quan giải quyết (org)"));
            }
        };
        let desk = match &req.desk {
            Some(d) => {
                snap.organisation(d)
                    .await?
                    .ok_or_else(|| unprocessable(ErrorCode::UnknownOrg, format!("Không có cơ quan {d}")))?;
                d.clone()
            }
            None => snap.service_centre_of(&org).await?.unwrap_or_else(|| org.clone()),
        };
        Ok((org, desk))
    }

    /// Refuses a dossier that would wait at `place` where no active officer holds `role` to
    /// open it (422 `no_one_to_receive`): it would stay there for ever. `what` ends the
    /// message (what became of the dossier).
    async fn someone_at(&self, snap: &Snapshot<'_>, (place, role): (&OrgCode, Role), what: &str) -> AppResult<()> {
        if snap.staffed(self.accounts, place, role).await? {
            return Ok(());
        }
        let name = snap.organisation(place).await?.map_or_else(|| place.to_string(), |o| o.name.to_string());
        tracing::warn!(org = %place, role = role.as_str(), "refused: nobody there to receive the dossier");
        Err(unprocessable(
            ErrorCode::NoOneToReceive,
            format!("{name} hiện chưa có {} để nhận hồ sơ {what}", role.label_vi().to_lowercase()),
        ))
    }

    /// Where the online dossiers of `procedure` wait first, for each of its organisations:
    /// (organisation, the place of the workflow's first step — its service centre or itself
    /// as the desk, or the organisation — and the role that opens them there).
    pub async fn entry_places(
        &self,
        snap: &Snapshot<'_>,
        procedure: &motcua_domain::Procedure,
    ) -> AppResult<Vec<(OrgCode, OrgCode, Role)>> {
        let wf = snap.workflow(&procedure.workflow).await?;
        let Some(step) = wf.entry_step(false) else { return Ok(Vec::new()) };
        let mut out = Vec::with_capacity(procedure.organisations.len());
        for org in &procedure.organisations {
            let desk = snap.service_centre_of(org).await?.unwrap_or_else(|| org.clone());
            out.push((org.clone(), step.org.pick(&desk, org).clone(), step.role));
        }
        Ok(out)
    }

    /// Whether some organisation of `procedure` has someone to receive its online dossiers.
    pub async fn receivable(&self, procedure: &motcua_domain::Procedure) -> AppResult<bool> {
        let snap = self.snapshot().await?;
        for (_, place, role) in self.entry_places(&snap, procedure).await? {
            if snap.staffed(self.accounts, &place, role).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether the citizen was identified surely enough to submit `procedure` online: a
    /// procedure asking for e-identification level 2 needs a session opened through the
    /// identity provider at level 2 (desk officers entering a dossier are not asked).
    pub(crate) async fn assured(
        &self,
        procedure: &motcua_domain::Procedure,
        account: &Account,
        session: Option<&str>,
    ) -> AppResult<()> {
        use motcua_domain::identity::Assurance;
        if account.kind != AccountKind::Citizen || procedure.assurance == Assurance::Password {
            return Ok(());
        }
        let have = match session {
            Some(hash) => self
                .identities
                .session_origin(hash)
                .await?
                .map_or(Assurance::Password, |o| Assurance::from_i32(o.assurance)),
            None => Assurance::Password,
        };
        if have < procedure.assurance {
            return Err(AppError::new(
                Kind::Forbidden,
                ErrorCode::InsufficientAssurance,
                format!(
                    "Thủ tục này yêu cầu {} để nộp trực tuyến; vui lòng đăng nhập bằng tài khoản định danh điện tử (VNeID)",
                    procedure.assurance.label().to_lowercase()
                ),
            ));
        }
        Ok(())
    }

    /// Creates a dossier from a submission (API or web form): the stored dossier, and whether it
    /// is new (false: an idempotent retry of the same key). A key that is not text (an
    /// `Idempotency-Key` header of other bytes) comes as `Some("")` and is refused.
    pub(crate) async fn create(
        &self,
        account: &Account,
        idempotency: Option<&str>,
        submission: Submission,
    ) -> AppResult<(StoredDossier, bool)> {
        self.create_in(&self.snapshot().await?, account, idempotency, submission).await
    }

    /// [`Self::create`] against a snapshot the caller took (and renders the answer with).
    pub(crate) async fn create_in(
        &self,
        snap: &Snapshot<'_>,
        account: &Account,
        idempotency: Option<&str>,
        submission: Submission,
    ) -> AppResult<(StoredDossier, bool)> {
        let Submission { req, files, request_hash, session } = submission;
        let procedure = snap.procedure(&req.procedure).await?.ok_or_else(|| {
            unprocessable(ErrorCode::UnknownProcedure, format!("Không có thủ tục mã {}", req.procedure))
        })?;
        self.assured(&procedure, account, session.as_deref()).await?;
        let wf = snap.workflow(&procedure.workflow).await?;
        let (org, desk) = self.processing_and_desk(snap, &req, &procedure).await?;
        let (applicant, owner, channel, at_desk) = applicant_and_channel(account, &req, &procedure, &desk)?;
        if let Some(step) = wf.entry_step(at_desk) {
            let first = (step.org.pick(&desk, &org), step.role);
            self.someone_at(snap, first, "thủ tục này; hồ sơ chưa được nộp. Vui lòng liên hệ cơ quan hoặc thử lại sau")
                .await?;
        }
        if !wf.branches.is_empty() {
            self.check_branches(snap, &wf, &org).await?;
        }
        let today = Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date();
        let declaration = crate::catalog::declarations::check(&procedure, req.declaration.as_ref(), today)?;
        let key = crate::app::idempotency_key(idempotency, account, &request_hash)?;
        if account.kind == AccountKind::Citizen {
            let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
            self.within_daily_quota(account, i64::try_from(bytes).unwrap_or(i64::MAX)).await?;
        }
        // Large files go to the blob store first, durably; the dossier that refers to them
        // commits after, with the small ones' contents in the same transaction.
        let (mut attachments, contents) = self.store_new_files(files, files::AttachmentKind::Applicant).await?;
        let reused = self.papers.resolve(account, &req.reuse, attachments.len() as i32 + 1).await?;
        let reuses_data = !reused.is_empty();
        attachments.extend(reused);
        if let Some(n) =
            attachments.iter().filter_map(|a| a.component).find(|n| *n as usize >= procedure.components.len())
        {
            return Err(AppError::bad_request(
                ErrorCode::InvalidComponent,
                format!("Thủ tục không có thành phần hồ sơ số {n}"),
            ));
        }
        let now = Timestamp::now();
        let day = now.to_zoned(motcua_domain::calendar::vietnam()).date();
        let files_detail: Vec<serde_json::Value> =
            attachments.iter().map(|a| serde_json::json!({"index": a.index, "sha256": a.sha256})).collect();
        let actor_label = match account.kind {
            AccountKind::Citizen => "applicant".to_owned(),
            AccountKind::Staff => format!("staff:{}", account.username),
        };
        let fee = if procedure.fees.is_empty() {
            None
        } else {
            Some(
                motcua_domain::payment::quote(&procedure, req.copies.unwrap_or(1), &req.exemptions, channel.rate())
                    .map_err(|e| AppError::bad_request(ErrorCode::InvalidValue, e.to_string()))?,
            )
        };
        // The builder owns what it needs: the store may run it in another task, together with
        // other submissions to the same desk.
        let (procedure_code, time_limit, calendar) =
            (procedure.code.clone(), procedure.time_limit, snap.calendar.clone());
        let (desk_org, account_id) = (desk.clone(), account.id);
        let build: motcua_store::BuildDossier = std::sync::Arc::new(move |code: DossierCode| {
            let mut d = workflow::new_dossier(
                &wf,
                &calendar,
                code,
                procedure_code.clone(),
                time_limit,
                applicant.clone(),
                owner,
                channel,
                desk_org.clone(),
                org.clone(),
                at_desk,
                now,
            )
            .map_err(|e| e.to_string())?;
            d.fee = fee.clone();
            d.reused_data = reuses_data;
            d.declaration = declaration.clone();
            let draft = EventDraft {
                at_us: now.as_microsecond(),
                actor_account: Some(account_id),
                actor: actor_label.clone(),
                action: if at_desk { "receive" } else { "submit" }.to_owned(),
                from_status: None,
                to_status: d.status.code(),
                from_step: None,
                to_step: d.step.clone(),
                details: serde_json::json!({ "channel": channel.as_str(), "attachments": files_detail }).to_string(),
            };
            let placement = d.placement(&wf);
            Ok((d, placement, draft))
        });
        let (stored, created) = self.write_new(&desk, day, key.as_ref(), (&attachments, &contents), build).await?;
        self.changed();
        tracing::info!(code = %stored.dossier.code, "dossier created");
        if created && stored.dossier.status == Status::Accepted {
            // A linked application entered at the desk: its first branches start now.
            self.settle_after(snap, &stored.dossier).await;
        }
        Ok((stored, created))
    }

    /// Writes a new dossier with its files; with a key already used, the dossier it made. The
    /// dossier, and whether this request made it.
    async fn write_new(
        &self,
        desk: &OrgCode,
        day: jiff::civil::Date,
        key: Option<&motcua_store::IdempotencyKey>,
        (attachments, contents): (&[Attachment], &[motcua_store::FileContent]),
        build: motcua_store::BuildDossier,
    ) -> AppResult<(StoredDossier, bool)> {
        let create = || self.dossiers.create_dossier(desk, day, key, attachments, contents, build.clone());
        let outcome = match create().await {
            // The same key raced with itself: the other request won; answer as a retry.
            Err(StoreError::Conflict(_)) if key.is_some() => create().await?,
            other => other?,
        };
        match outcome {
            CreateOutcome::Created(c) => Ok((c.0, true)),
            CreateOutcome::Existing { code, request_hash } => {
                if key.is_some_and(|k| k.request_hash != request_hash) {
                    return Err(unprocessable(
                        ErrorCode::IdempotencyKeyReused,
                        "Idempotency-Key đã được dùng cho một yêu cầu khác",
                    ));
                }
                Ok((self.dossiers.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?, false))
            }
        }
    }

    /// The name of the dossier's procedure (its code, should the procedure be gone).
    pub async fn procedure_name(&self, d: &Dossier) -> AppResult<String> {
        self.snapshot().await?.procedure_name(&d.procedure).await
    }

    pub(crate) async fn load_visible(&self, code: &str, viewer: &Account) -> AppResult<StoredDossier> {
        let code = DossierCode::parse(code)
            .map_err(|e| AppError::bad_request(ErrorCode::InvalidDossierCode, e.to_string()))?;
        let stored = self.dossiers.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?;
        if !can_view(&stored.dossier, viewer) {
            return Err(not_found(code.as_str()));
        }
        Ok(stored)
    }

    /// Takes an action (API or web form), with the files it brings: the dossier after it.
    pub(crate) async fn perform(
        &self,
        account: &Account,
        code: &str,
        req: &ActionRequest,
        uploads: Vec<Upload>,
    ) -> AppResult<Dossier> {
        self.perform_in(&self.snapshot().await?, account, code, req, uploads).await
    }

    /// [`Self::perform`] against a snapshot the caller took (and renders the answer with).
    pub(crate) async fn perform_in(
        &self,
        snap: &Snapshot<'_>,
        account: &Account,
        code: &str,
        req: &ActionRequest,
        uploads: Vec<Upload>,
    ) -> AppResult<Dossier> {
        let stored = self.load_visible(code, account).await?;
        let wf = snap.dossier_workflow(&stored.dossier).await?;
        let cal = &snap.calendar;
        if let Some(to) = &req.to_org {
            if snap.organisation(to).await?.is_none() {
                return Err(unprocessable(ErrorCode::UnknownOrg, format!("Không có cơ quan {to}")));
            }
            // The organisation taken to sees the applicant's identity and files: only one that
            // handles the procedure, as at submission.
            let handles =
                snap.procedure(&stored.dossier.procedure).await?.is_some_and(|p| p.organisations.contains(to));
            if !handles {
                return Err(unprocessable(
                    ErrorCode::OrgNotForProcedure,
                    format!("Cơ quan {to} không giải quyết thủ tục này"),
                ));
            }
        }
        if let (Some(id), Some((org, role))) = (req.assignee, stored.dossier.placement(&wf))
            && !self.accounts.account(id).await?.is_some_and(|a| a.can_act(&org, role))
        {
            return Err(AppError::bad_request(
                ErrorCode::InvalidAssignee,
                "Người được phân công phải giữ vai trò của bước này tại cơ quan này",
            ));
        }
        let now = Timestamp::now();
        let ctx = Context { workflow: &wf, calendar: cal, supplement_mode: self.supplement_mode, now };
        let t = workflow::apply(&ctx, &stored.dossier, actor(account), req)?;
        // Nobody where it goes next (a forward, a transfer, a step sent back): refused, not
        // left where no one can open it.
        if let Some((org, role)) = t.dossier.placement(&wf)
            && stored.dossier.placement(&wf).as_ref() != Some(&(org.clone(), role))
        {
            self.someone_at(snap, (&org, role), "ở bước tiếp theo; hồ sơ vẫn ở bước hiện tại").await?;
        }
        let mut details = t.details.clone();
        let mut attachments = Vec::new();
        if !uploads.is_empty() {
            let kind = files_for(t.action).ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::FilesNotAllowed,
                    "Thao tác này không kèm tệp: tệp chỉ gửi khi nộp, bổ sung hồ sơ hoặc khi ký, hoàn thành, trả kết quả",
                )
            })?;
            let total: usize = uploads.iter().map(|u| u.bytes.len()).sum();
            if uploads.len() > files::MAX_FILES || total > files::MAX_TOTAL_BYTES {
                return Err(attachment_error(files::AttachmentError::TooMany));
            }
            attachments = self.store_files(uploads, kind).await?;
            let listed: Vec<serde_json::Value> = attachments
                .iter()
                .map(|a| serde_json::json!({"kind": a.kind.as_str(), "filename": a.filename, "sha256": a.sha256}))
                .collect();
            match &mut details {
                serde_json::Value::Object(m) => {
                    m.insert("attachments".into(), serde_json::Value::Array(listed));
                }
                other => *other = serde_json::json!({ "attachments": listed }),
            }
        }
        let actor_label = match account.kind {
            AccountKind::Citizen => "applicant".to_owned(),
            AccountKind::Staff => format!("staff:{}", account.username),
        };
        let draft = t.event(now, Some(account.id), actor_label, &details);
        let placement = t.dossier.placement(&wf);
        match self
            .dossiers
            .record_action(&stored.dossier.code, stored.last_seq, &t.dossier, placement, draft, &attachments)
            .await
        {
            Ok(_) => self.changed(),
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::new(
                    Kind::Conflict,
                    ErrorCode::ConcurrentUpdate,
                    "Hồ sơ vừa được người khác cập nhật; vui lòng tải lại rồi thao tác",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(code = %t.dossier.code, action = ?t.action, "dossier action");
        self.settle_after(snap, &t.dossier).await;
        if t.action == ActionKind::Sign {
            // The result files are signed now; a failure here is healed when results are listed.
            if let Err(e) = self.results.ensure_signed(&t.dossier).await {
                tracing::warn!(error = %e.message, "signing results");
            }
        }
        if t.action == ActionKind::ConfirmPayment {
            // Paid at the desk (cash card or transfer shown there): the receipt.
            let amount = t.dossier.fee.as_ref().map_or(0, |f| f.total.amount());
            let by = format!("staff:{}", account.username);
            self.payments.issue_receipt(&t.dossier, "desk", None, &by, None, amount).await?;
        }
        Ok(t.dossier)
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub procedure: ProcedureCode,
    /// Processing organisation; may be left out when the procedure has only one.
    #[serde(default)]
    pub org: Option<OrgCode>,
    /// One-stop desk that receives it; by default the processing organisation's service
    /// centre, or the organisation itself.
    #[serde(default)]
    pub desk: Option<OrgCode>,
    /// Required when a desk officer enters a dossier; a citizen's comes from their account.
    #[serde(default)]
    pub applicant: Option<Applicant>,
    /// Desk officers: `in_person` (default) or `post`.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Copies asked for (per-copy fees multiply by it); 1 by default.
    #[serde(default)]
    pub copies: Option<u16>,
    /// Applicant groups claimed for fee exemptions (the desk checks the proof).
    #[serde(default)]
    pub exemptions: Vec<motcua_domain::payment::ExemptGroup>,
    /// Papers from the applicant's data store attached instead of uploaded again.
    #[serde(default)]
    pub reuse: Vec<crate::datastore::Reuse>,
    /// The declaration filled in online (field name → value), for a procedure whose
    /// declaration is an e-form (`GET /api/v1/procedures/{code}/declaration`): then its paper
    /// need not be uploaded. Checked whole: 400 `invalid_declaration` lists every field at fault.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub declaration: Option<serde_json::Value>,
}

fn unprocessable(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, code, message)
}

/// Who applies and how: a citizen online for themselves (or for whom they name), a desk
/// officer of the receiving desk for an applicant at the counter or by post. (applicant, owning
/// account, channel, received at once)
fn applicant_and_channel(
    account: &Account,
    req: &SubmitRequest,
    procedure: &motcua_domain::Procedure,
    desk: &OrgCode,
) -> AppResult<(Applicant, Option<i64>, Channel, bool)> {
    Ok(match account.kind {
        AccountKind::Citizen => {
            if procedure.online == motcua_domain::OnlineLevel::None {
                return Err(unprocessable(
                    ErrorCode::NotOnline,
                    "Thủ tục này chưa được cung cấp trực tuyến; vui lòng nộp tại Bộ phận Một cửa",
                ));
            }
            if req.channel.is_some_and(|c| c != Channel::Online) {
                return Err(AppError::bad_request(ErrorCode::InvalidChannel, "Công dân nộp trực tuyến"));
            }
            let applicant = req.applicant.clone().unwrap_or_else(|| Applicant {
                full_name: account.full_name.clone(),
                cccd: account.cccd.clone(),
                phone: account.phone.clone(),
                email: account.email.clone(),
                address: None,
            });
            (applicant, Some(account.id), Channel::Online, false)
        }
        AccountKind::Staff => {
            if !account.can_act(desk, Role::DeskOfficer) {
                return Err(AppError::forbidden());
            }
            let applicant = req.applicant.clone().ok_or_else(|| {
                AppError::bad_request(ErrorCode::ApplicantRequired, "Cần thông tin người nộp hồ sơ (applicant)")
            })?;
            let channel = req.channel.unwrap_or(Channel::InPerson);
            if channel == Channel::Online {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidChannel,
                    "Hồ sơ nhận tại quầy có kênh in_person hoặc post",
                ));
            }
            (applicant, None, channel, true)
        }
    })
}

/// Which files an action may bring: the applicant's supplement, or the result (at signing,
/// completion or return). Other actions take none.
pub(crate) fn files_for(action: ActionKind) -> Option<files::AttachmentKind> {
    match action {
        ActionKind::Supplement => Some(files::AttachmentKind::Supplement),
        ActionKind::Sign | ActionKind::MarkDone | ActionKind::ReturnResult => Some(files::AttachmentKind::Result),
        _ => None,
    }
}

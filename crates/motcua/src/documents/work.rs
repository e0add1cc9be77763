//! Work files for incoming documents (e-Office): a leader assigns an incoming document to a
//! main handler and co-handlers of the organisation, with a direction and a deadline in
//! working days (the sender receives status 04); the handler records progress, asks the
//! co-handlers for input and submits a draft; a leader approves or sends it back; the reply
//! goes out through the outgoing register, and naming it closes the work (status 06 to the
//! sender). Documents for information close once read (06 as well). The rules are the
//! domain's (`motcua_domain::work`); here, who is who and where it is kept.

use jiff::Timestamp;
use motcua_domain::work::{Actor, Assignment, Direction, Entry, EntryKind, Note, WorkError, WorkItem, WorkStatus};
use motcua_domain::{Account, OrgCode, Role, Username};
use motcua_exchange::edxml::StatusCode as DocStatusCode;
use motcua_store::documents::{Direction as Register, DocumentStore};
use motcua_store::work::{StoredWork, WorkFilter, WorkStore};
use motcua_store::{AccountStore, Page, Paged, StoreError};
use serde::{Deserialize, Serialize};

use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::display_vn;
use crate::documents::exchange::{can_view, header_of};

/// What a leader gives to assign a document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub direction: Direction,
    /// The main handler's username (an officer of the organisation).
    pub handler: String,
    #[serde(default)]
    pub co_handlers: Vec<String>,
    /// Working days from now (1–90).
    pub days: u16,
    #[serde(default)]
    pub note: Option<String>,
}

/// What is done with a work item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkAction {
    /// `progress`, `ask` (with `to`), `draft` (the main handler); `input` (a co-handler);
    /// `approve`, `send_back`, `reassign` (with `handler`, `co_handlers`) (a leader);
    /// `read` (the main handler, for information); `replied` (with `reply`: the outgoing
    /// document that answered; the main handler or a leader, once approved).
    pub action: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub co_handlers: Option<Vec<String>>,
    #[serde(default)]
    pub reply: Option<i64>,
}

/// One line of the work's record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    /// `HH:MM dd/mm/yyyy`
    pub at: String,
    pub by: String,
    #[serde(flatten)]
    pub kind: EntryKind,
    pub kind_label: &'static str,
    pub text: Option<String>,
}

/// A work item as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkView {
    /// The incoming register's entry.
    pub document: i64,
    pub subject: String,
    pub org: String,
    pub direction: Direction,
    pub direction_label: &'static str,
    pub handler: String,
    pub co_handlers: Vec<String>,
    pub status: WorkStatus,
    pub status_label: &'static str,
    /// `HH:MM dd/mm/yyyy`
    pub assigned_at: String,
    pub due_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub due: Timestamp,
    pub overdue: bool,
    pub closed_at: Option<String>,
    pub on_time: Option<bool>,
    pub draft: Option<String>,
    pub reply: Option<i64>,
    /// Co-handlers asked for input who have not answered since.
    pub waiting_for: Vec<String>,
    pub entries: Vec<EntryView>,
}

/// The work use cases.
pub struct Works<'a> {
    work: &'a dyn WorkStore,
    documents: &'a dyn DocumentStore,
    accounts: &'a dyn AccountStore,
    state: &'a AppState,
}

fn invalid(e: WorkError) -> AppError {
    match e {
        WorkError::NotYours { .. } => AppError::new(Kind::Forbidden, ErrorCode::Forbidden, e.to_string()),
        WorkError::NotNow { .. } => AppError::new(Kind::Conflict, ErrorCode::ActionNotAllowed, e.to_string()),
        WorkError::Days | WorkError::Handlers | WorkError::NotCoHandler(_) => {
            AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, e.to_string())
        }
        WorkError::Calendar(_) => AppError::new(Kind::Unprocessable, ErrorCode::YearOutOfRange, e.to_string()),
    }
}

fn note(field: &'static str, raw: Option<&str>) -> AppResult<Note> {
    Note::parse(field, raw.unwrap_or_default())
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidText, e.to_string()))
}

fn username(raw: &str) -> AppResult<Username> {
    Username::parse(raw).map_err(|_| {
        AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, format!("Tên đăng nhập không hợp lệ: {raw}"))
    })
}

fn not_found() -> AppError {
    AppError::not_found("Văn bản này chưa được giao xử lý, hoặc bạn không xem được")
}

impl<'a> Works<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self { work: store, documents: store, accounts: store, state }
    }

    pub(super) fn state(&self) -> &'a AppState {
        self.state
    }
    pub(super) fn store(&self) -> &'a dyn WorkStore {
        self.work
    }
    pub(super) fn accounts(&self) -> &'a dyn AccountStore {
        self.accounts
    }

    /// The incoming document's subject (empty when it is gone).
    pub(super) async fn subject_of(&self, document: i64) -> AppResult<String> {
        Ok(self.documents.document_entry(document).await?.map(|d| d.subject).unwrap_or_default())
    }

    fn actor(account: &Account, org: &OrgCode) -> Actor {
        Actor { username: account.username.clone(), leader: account.can_act(org, Role::Leader) }
    }

    /// The officers named must work at the organisation (any role).
    async fn staff_of(&self, org: &OrgCode, names: &[&Username]) -> AppResult<()> {
        let staff = self.accounts.list_staff(org).await?;
        for n in names {
            if !staff.iter().any(|s| &&s.username == n && !s.disabled) {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    ErrorCode::InvalidValue,
                    format!("{n} không phải cán bộ của cơ quan {org}"),
                ));
            }
        }
        Ok(())
    }

    /// The organisation's active officers (username, name), to choose handlers from.
    pub async fn colleagues(&self, org: &OrgCode) -> AppResult<Vec<(String, String)>> {
        let staff = self.accounts.list_staff(org).await?;
        Ok(staff
            .into_iter()
            .filter(|s| !s.disabled)
            .map(|s| (s.username.to_string(), s.full_name.to_string()))
            .collect())
    }

    /// A leader of the receiving organisation assigns an incoming document it accepted.
    pub async fn assign(&self, account: &Account, document: i64, req: &AssignRequest) -> AppResult<WorkView> {
        let doc = match self.documents.document(document).await? {
            Some(d) if d.direction == Register::Incoming && can_view(account, &d.org) => d,
            _ => return Err(AppError::not_found("Không tìm thấy văn bản đến")),
        };
        let actor = Self::actor(account, &doc.org);
        if !actor.leader {
            return Err(AppError::new(
                Kind::Forbidden,
                ErrorCode::Forbidden,
                "Chỉ lãnh đạo cơ quan mới được giao việc",
            ));
        }
        if self.work.work(document).await?.is_some() {
            return Err(AppError::new(
                Kind::Conflict,
                ErrorCode::ActionNotAllowed,
                "Văn bản đã được giao; hãy giao lại trên công việc",
            ));
        }
        let handler = username(&req.handler)?;
        let co_handlers = req.co_handlers.iter().map(|c| username(c)).collect::<AppResult<Vec<_>>>()?;
        let named: Vec<&Username> = std::iter::once(&handler).chain(co_handlers.iter()).collect();
        self.staff_of(&doc.org, &named).await?;
        let cal = self.state.work_calendar().await.map_err(|_| AppError::internal())?;
        let text = req.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let assignment = Assignment {
            document,
            org: doc.org.clone(),
            direction: req.direction,
            handler: handler.clone(),
            co_handlers,
            days: req.days,
            note: text.map(|t| note("ý kiến giao việc", Some(t))).transpose()?,
        };
        let item = WorkItem::assign(assignment, &actor, &cal, Timestamp::now()).map_err(invalid)?;
        // The receipt first: it checks the document may be assigned now (accepted, not
        // closed), and the sender learns who handles it and by when.
        let receipt =
            format!("Giao {} chủ trì ({}), hạn {}", handler, req.direction.label_vi(), display_vn(item.due_at));
        self.state.exchange.set_status(account, document, DocStatusCode::Assigned, &receipt).await?;
        match self.work.add_work(&item).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::new(Kind::Conflict, ErrorCode::ConcurrentUpdate, "Văn bản vừa được giao"));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(document, org = %doc.org, "document assigned");
        self.view(item, &doc.subject)
    }

    /// Who may see an item: the officers of its organisation.
    async fn load(&self, account: &Account, document: i64) -> AppResult<(StoredWork, String)> {
        let doc = self.documents.document(document).await?.ok_or_else(not_found)?;
        if !can_view(account, &doc.org) {
            return Err(not_found());
        }
        let stored = self.work.work(document).await?.ok_or_else(not_found)?;
        Ok((stored, doc.subject.clone()))
    }

    pub async fn get(&self, account: &Account, document: i64) -> AppResult<WorkView> {
        let (stored, subject) = self.load(account, document).await?;
        self.view(stored.item, &subject)
    }

    /// An officer's work (`mine`: where they are main or co-handler) or an organisation's
    /// (one they hold a role in), open and the earliest due first.
    pub async fn list(
        &self,
        account: &Account,
        org: Option<OrgCode>,
        open: bool,
        overdue: bool,
        page: Page,
    ) -> AppResult<Paged<WorkView>> {
        let mut filter = WorkFilter { open, overdue_at: overdue.then(Timestamp::now), ..Default::default() };
        match org {
            Some(o) if account.roles.iter().any(|r| r.org == o) => filter.org = Some(o),
            Some(o) => {
                return Err(AppError::new(
                    Kind::Forbidden,
                    ErrorCode::Forbidden,
                    format!("Bạn không làm việc tại cơ quan {o}"),
                ));
            }
            None => filter.person = Some(account.username.clone()),
        }
        let found = self.work.list_work(&filter, page).await?;
        let mut items = Vec::with_capacity(found.items.len());
        for w in found.items {
            let subject = self.subject_of(w.document).await?;
            items.push(self.view(w, &subject)?);
        }
        Ok(Paged { items, total: found.total })
    }

    /// One step of the work (see [`WorkAction`]).
    pub async fn act(&self, account: &Account, document: i64, req: &WorkAction) -> AppResult<WorkView> {
        let (stored, subject) = self.load(account, document).await?;
        let mut w = stored.item;
        let actor = Self::actor(account, &w.org);
        let now = Timestamp::now();
        let text = || note("nội dung", req.text.as_deref());
        let before = w.status;
        let mut receipt = None;
        match req.action.as_str() {
            "progress" => w.progress(&actor, text()?, now),
            "ask" => w.ask(&actor, &username(req.to.as_deref().unwrap_or_default())?, text()?, now),
            "input" => w.give_input(&actor, text()?, now),
            "draft" => w.submit_draft(&actor, text()?, now),
            "approve" => w.approve(&actor, now),
            "send_back" => w.send_back(&actor, text()?, now),
            "read" => {
                receipt = Some("Đã nhận để biết".to_owned());
                w.read(&actor, now)
            }
            "reassign" => {
                let handler = username(req.handler.as_deref().unwrap_or_default())?;
                let co = req.co_handlers.iter().flatten().map(|c| username(c)).collect::<AppResult<Vec<_>>>()?;
                let named: Vec<&Username> = std::iter::once(&handler).chain(co.iter()).collect();
                self.staff_of(&w.org, &named).await?;
                let t = req.text.as_deref().map(str::trim).filter(|s| !s.is_empty());
                w.reassign(&actor, handler, co, t.map(|t| note("ý kiến", Some(t))).transpose()?, now)
            }
            "replied" => {
                let reply = req.reply.ok_or_else(|| {
                    AppError::bad_request(ErrorCode::InvalidValue, "Cần số hiệu văn bản đi trả lời (reply)")
                })?;
                receipt = Some(self.check_reply(&w, document, reply).await?);
                w.replied(&actor, reply, now)
            }
            other => {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidAction,
                    format!(
                        "Thao tác không hợp lệ: «{other}» (progress, ask, input, draft, approve, send_back, read, reassign, replied)"
                    ),
                ));
            }
        }
        .map_err(invalid)?;
        match self.work.save_work(&w, stored.version).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::new(
                    Kind::Conflict,
                    ErrorCode::ConcurrentUpdate,
                    "Công việc vừa được người khác cập nhật; vui lòng tải lại rồi thao tác",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        // Begun: the sender learns it is in process (05); closed: completed (06). Signed
        // like every receipt.
        if before == WorkStatus::Assigned && w.status == WorkStatus::InProgress {
            self.state.exchange.set_work_status(account, document, DocStatusCode::InProcess, "Đang xử lý").await?;
        }
        if let Some(description) = receipt {
            self.state.exchange.set_work_status(account, document, DocStatusCode::Completed, &description).await?;
        }
        tracing::info!(document, action = %req.action, "work action");
        self.view(w, &subject)
    }

    /// The reply must be an outgoing document of the same organisation sent to the one that
    /// sent the incoming document: the completion receipt's text names it.
    async fn check_reply(&self, w: &WorkItem, document: i64, reply: i64) -> AppResult<String> {
        let incoming = self.documents.document(document).await?.ok_or_else(not_found)?;
        let bad = |m: &str| AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, m.to_owned());
        let out = self.documents.document(reply).await?.ok_or_else(|| bad("Không có văn bản đi này"))?;
        if out.direction != Register::Outgoing || out.org != w.org {
            return Err(bad("Văn bản trả lời phải là văn bản đi của cơ quan mình"));
        }
        let header = header_of(&out)?;
        if !header.to.iter().any(|o| o.id == incoming.from_org) {
            return Err(bad("Văn bản trả lời phải gửi cơ quan đã gửi văn bản đến"));
        }
        Ok(format!("Đã trả lời bằng văn bản số {}/{}", header.code_number, header.code_notation))
    }

    fn view(&self, w: WorkItem, subject: &str) -> AppResult<WorkView> {
        let now = Timestamp::now();
        let entry = |e: &Entry| EntryView {
            at: display_vn(e.at),
            by: e.by.to_string(),
            kind: e.kind.clone(),
            kind_label: e.kind.label_vi(),
            text: e.text.as_ref().map(|t| t.to_string()),
        };
        Ok(WorkView {
            document: w.document,
            subject: subject.to_owned(),
            org: w.org.to_string(),
            direction: w.direction,
            direction_label: w.direction.label_vi(),
            handler: w.handler.to_string(),
            co_handlers: w.co_handlers.iter().map(ToString::to_string).collect(),
            status: w.status,
            status_label: w.status.label_vi(),
            assigned_at: display_vn(w.assigned_at),
            due_at: display_vn(w.due_at),
            due: w.due_at,
            overdue: w.overdue(now),
            closed_at: w.closed_at.map(display_vn),
            on_time: w.on_time(),
            draft: w.draft.as_ref().map(|d| d.to_string()),
            reply: w.reply,
            waiting_for: w.waiting_for().into_iter().map(ToString::to_string).collect(),
            entries: w.entries.iter().map(entry).collect(),
        })
    }
}

//! Work files (hồ sơ công việc) for incoming official documents (e-Office): an incoming
//! document assigned (its status 04) becomes work for someone — a main handler and
//! co-handlers, a direction, a deadline in working days — which the handler moves on
//! (progress, questions to the co-handlers, a draft reply submitted for approval), a leader
//! approves or sends back, and which closes when the approved reply has gone out through the
//! outgoing register (the sender then gets status 06), or, for information, once read.
//!
//! Who may do what is decided here from who the actor is to the item: a leader of its
//! organisation, its main handler, one of its co-handlers — a co-handler gives input but never
//! drafts, approves or closes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar as Calendar};
use crate::catalog::TimeLimit;
use crate::{BoundedText, OrgCode, Username};

/// A note, a question, an input, a draft: free text of up to 10,000 characters.
pub type Note = BoundedText<10000>;

/// Most co-handlers on one item.
pub const MAX_CO_HANDLERS: usize = 10;
/// Longest deadline a leader may set, in working days.
pub const MAX_DAYS: u16 = 90;

/// What the leader asks of the handler (bút phê).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// To read: the item closes once the handler has read it.
    Information,
    /// To handle: the handler answers with a reply the leader approves.
    Handle,
    /// To report back: the handler's report goes to the leader for approval.
    Report,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Information => "information",
            Self::Handle => "handle",
            Self::Report => "report",
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Information => "Để biết",
            Self::Handle => "Chủ trì xử lý",
            Self::Report => "Báo cáo lại",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Information => "For information",
            Self::Handle => "To handle",
            Self::Report => "To report back",
        }
    }
}

/// Where the work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    Assigned,
    InProgress,
    /// A draft waits for the leader.
    AwaitingApproval,
    /// Approved: the reply is to go out through the outgoing register.
    Approved,
    Done,
}

impl WorkStatus {
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Assigned => "Đã giao",
            Self::InProgress => "Đang xử lý",
            Self::AwaitingApproval => "Chờ duyệt",
            Self::Approved => "Đã duyệt, chờ phát hành",
            Self::Done => "Hoàn thành",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::InProgress => "in_progress",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Approved => "approved",
            Self::Done => "done",
        }
    }
    pub fn is_open(self) -> bool {
        self != Self::Done
    }
}

/// One line of an item's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    Assigned,
    Reassigned,
    Progress,
    /// The handler asks a co-handler for input.
    Question {
        #[schema(value_type = String)]
        to: Username,
    },
    /// A co-handler's input.
    Input,
    Draft,
    Approved,
    SentBack,
    Read,
    /// The reply went out: the outgoing register's entry.
    Replied {
        document: i64,
    },
}

impl EntryKind {
    pub fn label_vi(&self) -> &'static str {
        match self {
            Self::Assigned => "Giao việc",
            Self::Reassigned => "Giao lại",
            Self::Progress => "Tiến độ",
            Self::Question { .. } => "Xin ý kiến phối hợp",
            Self::Input => "Ý kiến phối hợp",
            Self::Draft => "Trình dự thảo",
            Self::Approved => "Duyệt",
            Self::SentBack => "Trả lại dự thảo",
            Self::Read => "Đã đọc",
            Self::Replied { .. } => "Phát hành trả lời",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: Timestamp,
    pub by: Username,
    #[serde(flatten)]
    pub kind: EntryKind,
    pub text: Option<Note>,
}

/// Who acts, as the item sees them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub username: Username,
    /// Holds the leader's role in the item's organisation.
    pub leader: bool,
}

impl Actor {
    fn is(&self, u: &Username) -> bool {
        &self.username == u
    }
}

/// What a leader gives when assigning.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The incoming register's entry.
    pub document: i64,
    /// The organisation that received it (and whose leader assigns it).
    pub org: OrgCode,
    pub direction: Direction,
    pub handler: Username,
    pub co_handlers: Vec<Username>,
    /// Working days from now.
    pub days: u16,
    pub note: Option<Note>,
}

/// An incoming document's work (kept as JSON by the store, like dossiers and feedback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    pub document: i64,
    pub org: OrgCode,
    pub direction: Direction,
    pub handler: Username,
    pub co_handlers: Vec<Username>,
    pub assigned_at: Timestamp,
    pub due_at: Timestamp,
    pub status: WorkStatus,
    /// The reply (or report) as drafted, then approved.
    pub draft: Option<Note>,
    /// The outgoing register's entry that carried the reply.
    pub reply: Option<i64>,
    pub closed_at: Option<Timestamp>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    #[error("Chỉ {who} mới được {what}")]
    NotYours { who: &'static str, what: &'static str },
    #[error("Công việc {status}: không thể {what}")]
    NotNow { status: &'static str, what: &'static str },
    #[error("Hạn xử lý phải từ 1 đến 90 ngày làm việc")]
    Days,
    #[error("Người chủ trì không đồng thời là người phối hợp; người phối hợp không lặp lại (tối đa 10)")]
    Handlers,
    #[error("{0} không phối hợp xử lý việc này")]
    NotCoHandler(String),
    #[error("Không tính được hạn xử lý: {0}")]
    Calendar(#[from] CalendarError),
}

fn check_handlers(handler: &Username, co: &[Username]) -> Result<(), WorkError> {
    let distinct = co.iter().enumerate().all(|(i, c)| !co[..i].contains(c));
    if co.contains(handler) || !distinct || co.len() > MAX_CO_HANDLERS {
        return Err(WorkError::Handlers);
    }
    Ok(())
}

impl WorkItem {
    /// A leader assigns an incoming document at `now`: due `days` working days later.
    pub fn assign(a: Assignment, by: &Actor, cal: &Calendar, now: Timestamp) -> Result<Self, WorkError> {
        if !by.leader {
            return Err(WorkError::NotYours { who: "lãnh đạo", what: "giao việc" });
        }
        if !(1..=MAX_DAYS).contains(&a.days) {
            return Err(WorkError::Days);
        }
        check_handlers(&a.handler, &a.co_handlers)?;
        let due_at = cal.due(now, TimeLimit::WorkingDays { value: a.days })?.due_at;
        Ok(Self {
            document: a.document,
            org: a.org,
            direction: a.direction,
            handler: a.handler,
            co_handlers: a.co_handlers,
            assigned_at: now,
            due_at,
            status: WorkStatus::Assigned,
            draft: None,
            reply: None,
            closed_at: None,
            entries: vec![Entry { at: now, by: by.username.clone(), kind: EntryKind::Assigned, text: a.note }],
        })
    }

    fn not_now(&self, what: &'static str) -> WorkError {
        WorkError::NotNow { status: self.status.label_vi(), what }
    }

    fn log(&mut self, by: &Actor, kind: EntryKind, text: Option<Note>, now: Timestamp) {
        self.entries.push(Entry { at: now, by: by.username.clone(), kind, text });
    }

    fn handler_only(&self, by: &Actor, what: &'static str) -> Result<(), WorkError> {
        if by.is(&self.handler) { Ok(()) } else { Err(WorkError::NotYours { who: "người chủ trì", what }) }
    }

    fn open(&self, what: &'static str) -> Result<(), WorkError> {
        if matches!(self.status, WorkStatus::Assigned | WorkStatus::InProgress) {
            Ok(())
        } else {
            Err(self.not_now(what))
        }
    }

    /// The main handler records how it goes.
    pub fn progress(&mut self, by: &Actor, text: Note, now: Timestamp) -> Result<(), WorkError> {
        self.handler_only(by, "ghi tiến độ")?;
        self.open("ghi tiến độ")?;
        self.status = WorkStatus::InProgress;
        self.log(by, EntryKind::Progress, Some(text), now);
        Ok(())
    }

    /// The main handler asks a co-handler for input.
    pub fn ask(&mut self, by: &Actor, to: &Username, question: Note, now: Timestamp) -> Result<(), WorkError> {
        self.handler_only(by, "xin ý kiến phối hợp")?;
        self.open("xin ý kiến phối hợp")?;
        if !self.co_handlers.contains(to) {
            return Err(WorkError::NotCoHandler(to.to_string()));
        }
        self.status = WorkStatus::InProgress;
        self.log(by, EntryKind::Question { to: to.clone() }, Some(question), now);
        Ok(())
    }

    /// A co-handler gives input (whether asked or not), while the work is open.
    pub fn give_input(&mut self, by: &Actor, text: Note, now: Timestamp) -> Result<(), WorkError> {
        if !self.co_handlers.iter().any(|c| by.is(c)) {
            return Err(WorkError::NotYours { who: "người phối hợp", what: "góp ý" });
        }
        if !self.status.is_open() || self.status == WorkStatus::Approved {
            return Err(self.not_now("góp ý"));
        }
        self.log(by, EntryKind::Input, Some(text), now);
        Ok(())
    }

    /// The co-handlers asked for input who have not given any since.
    pub fn waiting_for(&self) -> Vec<&Username> {
        let mut waiting: Vec<&Username> = Vec::new();
        for e in &self.entries {
            match &e.kind {
                EntryKind::Question { to } if !waiting.contains(&to) => waiting.push(to),
                EntryKind::Input => waiting.retain(|w| *w != &e.by),
                _ => {}
            }
        }
        waiting
    }

    /// The main handler submits the reply (or the report) for the leader's approval.
    pub fn submit_draft(&mut self, by: &Actor, draft: Note, now: Timestamp) -> Result<(), WorkError> {
        self.handler_only(by, "trình dự thảo")?;
        self.open("trình dự thảo")?;
        if self.direction == Direction::Information {
            return Err(WorkError::NotNow { status: "để biết", what: "trình dự thảo" });
        }
        self.status = WorkStatus::AwaitingApproval;
        self.log(by, EntryKind::Draft, Some(draft.clone()), now);
        self.draft = Some(draft);
        Ok(())
    }

    /// A leader approves the draft: it is to go out.
    pub fn approve(&mut self, by: &Actor, now: Timestamp) -> Result<(), WorkError> {
        if !by.leader {
            return Err(WorkError::NotYours { who: "lãnh đạo", what: "duyệt" });
        }
        if self.status != WorkStatus::AwaitingApproval {
            return Err(self.not_now("duyệt"));
        }
        self.status = WorkStatus::Approved;
        self.log(by, EntryKind::Approved, None, now);
        Ok(())
    }

    /// A leader sends the draft back, saying why.
    pub fn send_back(&mut self, by: &Actor, reason: Note, now: Timestamp) -> Result<(), WorkError> {
        if !by.leader {
            return Err(WorkError::NotYours { who: "lãnh đạo", what: "trả lại dự thảo" });
        }
        if self.status != WorkStatus::AwaitingApproval {
            return Err(self.not_now("trả lại dự thảo"));
        }
        self.status = WorkStatus::InProgress;
        self.log(by, EntryKind::SentBack, Some(reason), now);
        Ok(())
    }

    /// The approved reply went out as the outgoing register's entry `document`: done.
    pub fn replied(&mut self, by: &Actor, document: i64, now: Timestamp) -> Result<(), WorkError> {
        if !(by.leader || by.is(&self.handler)) {
            return Err(WorkError::NotYours {
                who: "người chủ trì hoặc lãnh đạo", what: "phát hành trả lời"
            });
        }
        if self.status != WorkStatus::Approved {
            return Err(self.not_now("phát hành trả lời"));
        }
        self.status = WorkStatus::Done;
        self.reply = Some(document);
        self.closed_at = Some(now);
        self.log(by, EntryKind::Replied { document }, None, now);
        Ok(())
    }

    /// The main handler has read a document sent for information: done.
    pub fn read(&mut self, by: &Actor, now: Timestamp) -> Result<(), WorkError> {
        self.handler_only(by, "xác nhận đã đọc")?;
        if self.direction != Direction::Information || !self.status.is_open() {
            return Err(self.not_now("xác nhận đã đọc"));
        }
        self.status = WorkStatus::Done;
        self.closed_at = Some(now);
        self.log(by, EntryKind::Read, None, now);
        Ok(())
    }

    /// A leader gives the open work to someone else (the deadline stays).
    pub fn reassign(
        &mut self,
        by: &Actor,
        handler: Username,
        co_handlers: Vec<Username>,
        note: Option<Note>,
        now: Timestamp,
    ) -> Result<(), WorkError> {
        if !by.leader {
            return Err(WorkError::NotYours { who: "lãnh đạo", what: "giao lại" });
        }
        if !self.status.is_open() || self.status == WorkStatus::Approved {
            return Err(self.not_now("giao lại"));
        }
        check_handlers(&handler, &co_handlers)?;
        self.handler = handler;
        self.co_handlers = co_handlers;
        self.log(by, EntryKind::Reassigned, note, now);
        Ok(())
    }

    /// Open past its deadline at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && now > self.due_at
    }

    /// Done within its deadline; None while open.
    pub fn on_time(&self) -> Option<bool> {
        self.closed_at.map(|c| c <= self.due_at)
    }
}

#[cfg(test)]
#[path = "work_tests.rs"]
mod tests;

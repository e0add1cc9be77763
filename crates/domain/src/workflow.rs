//! Workflows as data, and the dossier state machine that runs them.
//!
//! A workflow is a list of steps (name, where it happens, which role acts, its share of the
//! time limit, the actions allowed, the next step) plus actions allowed at any step. The
//! engine, [`apply`], is the only place that changes a dossier: it checks who may do what,
//! where and when, and returns the new dossier and what the event must record.

use std::collections::HashSet;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::{Account, Cccd, DossierCode, Email, Name, OrgCode, Phone, ProcedureCode, Role, TimeLimit};

/// National dossier status codes (used by national-portal integrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Accepted,
    NotAccepted,
    InProcess,
    SupplementRequested,
    PaymentRequested,
    Withdrawn,
    Stopped,
    Done,
    Returned,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::New,
        Status::Accepted,
        Status::NotAccepted,
        Status::InProcess,
        Status::SupplementRequested,
        Status::PaymentRequested,
        Status::Withdrawn,
        Status::Stopped,
        Status::Done,
        Status::Returned,
    ];
    /// 1–10.
    pub fn code(self) -> u8 {
        match self {
            Self::New => 1,
            Self::Accepted => 2,
            Self::NotAccepted => 3,
            Self::InProcess => 4,
            Self::SupplementRequested => 5,
            Self::PaymentRequested => 6,
            Self::Withdrawn => 7,
            Self::Stopped => 8,
            Self::Done => 9,
            Self::Returned => 10,
        }
    }
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::New => "Mới đăng ký",
            Self::Accepted => "Được tiếp nhận",
            Self::NotAccepted => "Không được tiếp nhận",
            Self::InProcess => "Đang xử lý",
            Self::SupplementRequested => "Yêu cầu bổ sung",
            Self::PaymentRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Self::Withdrawn => "Công dân yêu cầu rút hồ sơ",
            Self::Stopped => "Dừng xử lý",
            Self::Done => "Đã xử lý xong",
            Self::Returned => "Đã trả kết quả",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::New => "Submitted",
            Self::Accepted => "Received",
            Self::NotAccepted => "Not accepted",
            Self::InProcess => "In process",
            Self::SupplementRequested => "Supplement requested",
            Self::PaymentRequested => "Payment requested",
            Self::Withdrawn => "Withdrawn by the applicant",
            Self::Stopped => "Processing stopped",
            Self::Done => "Processed",
            Self::Returned => "Result returned",
        }
    }
    /// No further action is possible.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::NotAccepted | Self::Withdrawn | Self::Stopped | Self::Returned)
    }
    /// The applicant may rate the service (once): only after receiving the result. Returned
    /// is closed, so a dossier in any other status has no rating, and nobody need look one up.
    pub fn may_be_rated(self) -> bool {
        self == Self::Returned
    }
}

/// Everything that can happen to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Applicant, online.
    Submit,
    /// Desk: accepted, receipt (form 01).
    Receive,
    /// Supplement request (form 02).
    RequestSupplement,
    /// Applicant answers a supplement request.
    Supplement,
    /// Refusal (form 03).
    Refuse,
    Assign,
    /// To the next step.
    Forward,
    /// Back to the previous step.
    SendBack,
    /// To another organisation.
    Transfer,
    RequestPayment,
    ConfirmPayment,
    Approve,
    Sign,
    MarkDone,
    ReturnResult,
    /// Applicant withdraws.
    Withdraw,
    Stop,
    /// Apology with a new date (form 04): once, before the due time.
    Apologise,
    /// Linked procedures: a branch of the application starts at its organisation.
    StartBranch,
    /// Linked procedures: the branch waits while another branch waits for a supplement.
    HoldBranch,
    /// Linked procedures: the branch goes on, its due time moved by the time it waited.
    ResumeBranch,
    /// Linked procedures: every branch has finished; the application ends with their results.
    Join,
}

impl ActionKind {
    pub const ALL: [ActionKind; 22] = [
        ActionKind::Submit,
        ActionKind::Receive,
        ActionKind::RequestSupplement,
        ActionKind::Supplement,
        ActionKind::Refuse,
        ActionKind::Assign,
        ActionKind::Forward,
        ActionKind::SendBack,
        ActionKind::Transfer,
        ActionKind::RequestPayment,
        ActionKind::ConfirmPayment,
        ActionKind::Approve,
        ActionKind::Sign,
        ActionKind::MarkDone,
        ActionKind::ReturnResult,
        ActionKind::Withdraw,
        ActionKind::Stop,
        ActionKind::Apologise,
        ActionKind::StartBranch,
        ActionKind::HoldBranch,
        ActionKind::ResumeBranch,
        ActionKind::Join,
    ];

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Submit => "Nộp hồ sơ trực tuyến",
            Self::Receive => "Tiếp nhận hồ sơ",
            Self::RequestSupplement => "Yêu cầu bổ sung hồ sơ",
            Self::Supplement => "Bổ sung hồ sơ",
            Self::Refuse => "Từ chối giải quyết",
            Self::Assign => "Phân công xử lý",
            Self::Forward => "Chuyển bước tiếp theo",
            Self::SendBack => "Trả lại bước trước",
            Self::Transfer => "Chuyển cơ quan khác",
            Self::RequestPayment => "Yêu cầu nộp phí, lệ phí",
            Self::ConfirmPayment => "Xác nhận đã nộp phí, lệ phí",
            Self::Approve => "Phê duyệt",
            Self::Sign => "Ký số, đóng dấu",
            Self::MarkDone => "Hoàn thành xử lý",
            Self::ReturnResult => "Trả kết quả",
            Self::Withdraw => "Rút hồ sơ",
            Self::Stop => "Dừng xử lý",
            Self::Apologise => "Xin lỗi và hẹn lại ngày trả kết quả",
            Self::StartBranch => "Chuyển hồ sơ liên thông tới cơ quan giải quyết",
            Self::HoldBranch => "Tạm dừng chờ nhánh liên thông khác bổ sung",
            Self::ResumeBranch => "Tiếp tục xử lý sau khi nhánh khác đã bổ sung",
            Self::Join => "Tổng hợp kết quả các nhánh liên thông",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Submit => "Submitted online",
            Self::Receive => "Received",
            Self::RequestSupplement => "Supplement requested",
            Self::Supplement => "Supplemented",
            Self::Refuse => "Refused",
            Self::Assign => "Assigned",
            Self::Forward => "Sent to the next step",
            Self::SendBack => "Sent back",
            Self::Transfer => "Transferred",
            Self::RequestPayment => "Payment requested",
            Self::ConfirmPayment => "Payment confirmed",
            Self::Approve => "Approved",
            Self::Sign => "Signed and stamped",
            Self::MarkDone => "Processed",
            Self::ReturnResult => "Result returned",
            Self::Withdraw => "Withdrawn",
            Self::Stop => "Stopped",
            Self::Apologise => "Apology and new date",
            Self::StartBranch => "Linked branch started",
            Self::HoldBranch => "Held for another branch's supplement",
            Self::ResumeBranch => "Resumed after another branch's supplement",
            Self::Join => "Linked results joined",
        }
    }
    /// Actions only the applicant takes; never listed in a workflow.
    pub fn is_applicants(self) -> bool {
        matches!(self, Self::Submit | Self::Supplement | Self::Withdraw)
    }
    /// Actions only the linked-procedures coordinator takes; never listed in a workflow.
    pub fn is_coordinators(self) -> bool {
        matches!(self, Self::StartBranch | Self::HoldBranch | Self::ResumeBranch | Self::Join)
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_vi())
    }
}

/// Where a step happens, relative to the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgSelector {
    /// The one-stop desk that received the dossier.
    Desk,
    /// The organisation that processes it.
    Processing,
}

impl OrgSelector {
    /// The organisation this selects for a dossier received at `desk` and processed by
    /// `processing`.
    pub fn pick<'a>(self, desk: &'a OrgCode, processing: &'a OrgCode) -> &'a OrgCode {
        match self {
            Self::Desk => desk,
            Self::Processing => processing,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Short key, e.g. `appraise`.
    pub key: String,
    pub name: Name,
    /// The step's name in English, for the pages' English mode (the Vietnamese name otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub name_en: Option<Name>,
    pub org: OrgSelector,
    pub role: Role,
    /// Share of the time limit for this step, in percent.
    #[serde(default)]
    pub budget_percent: u8,
    pub actions: Vec<ActionKind>,
    #[serde(default)]
    pub next: Option<String>,
    /// Reminders and escalations while a dossier waits at this step, each fired once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<Escalation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnytimeAction {
    pub action: ActionKind,
    pub org: OrgSelector,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// e.g. `5-buoc`.
    pub code: String,
    /// Counted up by the store each time the workflow is changed (1 for the first); a dossier
    /// keeps the version it started under and runs under it to the end.
    #[serde(default = "first_version")]
    pub version: u32,
    pub name: Name,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub anytime: Vec<AnytimeAction>,
    /// Linked procedures (liên thông): after the one reception step, the application forks
    /// into these branches, each a procedure of its own at its own organisation, and joins
    /// again when all have finished. Empty for an ordinary workflow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    /// How a linked application's results reach the applicant.
    #[serde(default, skip_serializing_if = "Delivery::is_default")]
    pub delivery: Delivery,
}

/// The version of a workflow stored for the first time, and of every dossier started before
/// versions were recorded.
pub fn first_version() -> u32 {
    1
}

fn is_first_version(v: &u32) -> bool {
    *v == 1
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Quy trình {workflow} không hợp lệ: {reason}")]
pub struct WorkflowError {
    pub workflow: String,
    pub reason: String,
}

impl Workflow {
    /// Structural rules: unique keys, known `next`, a chain from the first step to a last
    /// step without cycles, reception first and return last, applicant actions not listed,
    /// budgets adding up to at most 100%.
    pub fn check(self) -> Result<Self, WorkflowError> {
        let err = |reason: String| WorkflowError { workflow: self.code.clone(), reason };
        if self.code.is_empty() || crate::text::slug(&self.code) != self.code {
            return Err(err("mã quy trình phải là chữ thường không dấu, số và gạch ngang".into()));
        }
        if self.version == 0 {
            return Err(err("phiên bản quy trình bắt đầu từ 1".into()));
        }
        let keys: HashSet<&str> = self.steps.iter().map(|s| s.key.as_str()).collect();
        if keys.len() != self.steps.len() || self.steps.is_empty() {
            return Err(err("các bước phải có khóa khác nhau và có ít nhất một bước".into()));
        }
        for s in &self.steps {
            if let Some(n) = &s.next
                && !keys.contains(n.as_str())
            {
                return Err(err(format!("bước {} chuyển tới bước không tồn tại {n}", s.key)));
            }
            if let Some(a) = s.actions.iter().find(|a| a.is_applicants()) {
                return Err(err(format!("bước {}: «{a}» là việc của người nộp, không gán cho cán bộ", s.key)));
            }
            if let Some(a) = s.actions.iter().find(|a| a.is_coordinators()) {
                return Err(err(format!("bước {}: «{a}» do hệ thống liên thông thực hiện", s.key)));
            }
            if let Some(why) = s.escalations.iter().find_map(Escalation::problem) {
                return Err(err(format!("bước {}: {why}", s.key)));
            }
            let rules: HashSet<String> = s.escalations.iter().map(Escalation::key).collect();
            if rules.len() != s.escalations.len() {
                return Err(err(format!("bước {}: có quy tắc nhắc việc trùng nhau", s.key)));
            }
        }
        // Follow `next` from the first step: must visit every step once and end.
        let mut seen = HashSet::new();
        let mut cur = self.steps.first();
        while let Some(s) = cur {
            if !seen.insert(s.key.as_str()) {
                return Err(err(format!("vòng lặp tại bước {}", s.key)));
            }
            cur = s.next.as_ref().and_then(|n| self.step(n));
        }
        if seen.len() != self.steps.len() {
            return Err(err("có bước không nằm trên chuỗi từ bước đầu".into()));
        }
        if !self.steps[0].actions.contains(&ActionKind::Receive) {
            return Err(err("bước đầu phải cho phép tiếp nhận".into()));
        }
        if self.anytime.iter().any(|a| a.action.is_applicants() || a.action.is_coordinators()) {
            return Err(err("thao tác bất kỳ lúc nào chỉ gồm việc của cán bộ".into()));
        }
        if !self.branches.is_empty() {
            return linked::check_branches(&self).map_err(err).map(|()| self);
        }
        if !self.steps.iter().any(|s| s.next.is_none() && s.actions.contains(&ActionKind::ReturnResult)) {
            return Err(err("bước cuối phải cho phép trả kết quả".into()));
        }
        if self.steps.iter().map(|s| u32::from(s.budget_percent)).sum::<u32>() > 100 {
            return Err(err("tổng tỷ lệ thời gian các bước vượt 100%".into()));
        }
        Ok(self)
    }

    /// A step's name in English when asked and known, else in Vietnamese.
    pub fn step_name(&self, key: &str, english: bool) -> Option<&str> {
        self.step(key).map(|s| match (&s.name_en, english) {
            (Some(en), true) => en.as_str(),
            _ => s.name.as_str(),
        })
    }

    /// The same workflow, whatever version it carries (what an edit changes).
    pub fn same_rules(&self, other: &Workflow) -> bool {
        Workflow { version: other.version, ..self.clone() } == *other
    }

    /// The step a new dossier waits at: the first, or the one after it when the desk
    /// received the dossier in person.
    pub fn entry_step(&self, received_by_desk: bool) -> Option<&Step> {
        let first = self.steps.first()?;
        if received_by_desk { first.next.as_deref().and_then(|k| self.step(k)) } else { Some(first) }
    }

    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    fn previous(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.next.as_deref() == Some(key))
    }
}

/// How a dossier arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InPerson,
    Online,
    Post,
}

impl Channel {
    /// The fee rate a dossier handed in so pays.
    pub fn rate(self) -> crate::payment::Rate {
        match self {
            Self::Online => crate::payment::Rate::Online,
            Self::InPerson | Self::Post => crate::payment::Rate::Paper,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Online => "online",
            Self::Post => "post",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::InPerson, Self::Online, Self::Post].into_iter().find(|c| c.as_str() == s)
    }
}

/// Who applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    pub full_name: Name,
    #[serde(default)]
    pub cccd: Option<Cccd>,
    #[serde(default)]
    pub phone: Option<Phone>,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub address: Option<Name>,
}

/// How waiting for a supplement affects the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplementMode {
    /// 61/2018 Art. 19(4): the time limit starts again at the complete resubmission.
    #[default]
    Restart,
    /// The clock stops while waiting and resumes with the time left.
    Pause,
}

/// A dossier as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dossier {
    pub code: DossierCode,
    pub procedure: ProcedureCode,
    pub workflow: String,
    /// The version of `workflow` the dossier started under (absent: 1).
    #[serde(default = "first_version", skip_serializing_if = "is_first_version")]
    pub workflow_version: u32,
    #[schema(value_type = Object)]
    pub time_limit: TimeLimit,
    pub applicant: Applicant,
    /// Account that applied online (the owner), if any.
    pub owner_account: Option<i64>,
    pub channel: Channel,
    pub desk_org: OrgCode,
    pub processing_org: OrgCode,
    pub status: Status,
    /// Current step; `None` once closed.
    pub step: Option<String>,
    pub assignee: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// The due time before an apology moved it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub original_due_at: Option<Timestamp>,
    /// End of processing by the 766 formula: done, returned, stopped or refused.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    pub supplement_requests: u16,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub waiting_since: Option<Timestamp>,
    /// Working minutes spent waiting on the applicant.
    pub waiting_minutes: i64,
    /// Status to go back to after a supplement or a payment.
    pub resume_status: Option<Status>,
    pub apologised: bool,
    /// Fees owed, fixed at submission (absent when the procedure has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<crate::payment::FeeQuote>,
    /// Some papers came from the applicant's data store instead of being uploaded again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reused_data: bool,
    /// How the fees were paid, once they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_via: Option<PaidVia>,
    /// The declaration filled in online, as checked against its form (part of the state
    /// every event of the dossier's chain commits to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<crate::eform::Declaration>,
    /// A linked application (its workflow forks into branches): the branches started so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    /// A branch of a linked application: which one, and whether it is held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_of: Option<BranchOf>,
}

/// How a dossier's fees were paid: by a transfer confirmed by the bank (cashless) or at the
/// desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaidVia {
    Transfer,
    Desk,
}

/// Who acts.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The applicant: their account if they have one.
    Applicant {
        account_id: Option<i64>,
    },
    Staff(&'a Account),
    /// A bank or payment gateway confirming a transfer (authenticated by its signature).
    PaymentGateway,
    /// The linked-procedures coordinator, following the application's workflow
    /// ([`linked::plan`]).
    Coordinator,
}

/// What the actor asks for, with what the action needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: Option<ActionKind>,
    /// Why (refusal, supplement, stop, apology, send back).
    #[serde(default)]
    pub reason: Option<String>,
    /// Numbered items to supplement.
    #[serde(default)]
    pub items: Vec<String>,
    /// New return date (apology).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub new_due_at: Option<Timestamp>,
    /// Target organisation (transfer).
    #[serde(default)]
    pub to_org: Option<OrgCode>,
    /// Account to assign.
    #[serde(default)]
    pub assignee: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("Hồ sơ đã kết thúc ({status}), không thể thực hiện thêm thao tác")]
    Closed { status: &'static str },
    #[error("Không thể «{action}» khi hồ sơ đang ở trạng thái «{status}»{at}")]
    NotNow { action: &'static str, status: &'static str, at: String },
    #[error("Bạn không có vai trò hoặc không thuộc cơ quan được «{action}» ở bước này")]
    Forbidden { action: &'static str },
    #[error("{0}")]
    Invalid(String),
    /// A branch of a linked application waits for the others (held for a supplement, or its
    /// result is returned with theirs).
    #[error("{0}")]
    Linked(String),
}

impl ActionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Closed { .. } => "dossier_closed",
            Self::NotNow { .. } => "action_not_allowed",
            Self::Forbidden { .. } => "forbidden",
            Self::Invalid(_) => "invalid_action",
            Self::Linked(_) => "linked_branch_waits",
        }
    }
}

/// Early, on time or late by the 766 formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    Early,
    OnTime,
    Late,
    /// Still open and not yet past due.
    Pending,
    /// Still open and past due.
    Overdue,
}

impl Dossier {
    fn org(&self, sel: OrgSelector) -> &OrgCode {
        sel.pick(&self.desk_org, &self.processing_org)
    }

    /// Where the dossier sits now: the organisation and role of its current step.
    pub fn placement(&self, wf: &Workflow) -> Option<(OrgCode, Role)> {
        let step = wf.step(self.step.as_deref()?)?;
        Some((self.org(step.org).clone(), step.role))
    }

    /// 766: end of processing ≤ due; supplement waiting excluded (already in `due_at`: a
    /// restart moves it, a pause extends it); more than one supplement request is late.
    pub fn timeliness(&self, now: Timestamp) -> Timeliness {
        let Some(due) = self.due_at else { return Timeliness::Pending };
        match self.finished_at {
            Some(_) if self.supplement_requests > 1 => Timeliness::Late,
            Some(end) if end > due => Timeliness::Late,
            Some(end) => {
                let tz = crate::calendar::vietnam();
                if end.to_zoned(tz.clone()).date() < due.to_zoned(tz).date() {
                    Timeliness::Early
                } else {
                    Timeliness::OnTime
                }
            }
            None if now > due => Timeliness::Overdue,
            None => Timeliness::Pending,
        }
    }

    /// Actions this actor may take now (for showing only the buttons that work).
    pub fn allowed_actions(&self, wf: &Workflow, actor: Actor<'_>, now: Timestamp) -> Vec<ActionKind> {
        ActionKind::ALL.into_iter().filter(|a| self.authorise(wf, actor, *a, now).is_ok()).collect()
    }

    /// Whether `actor` may take `action` now, regardless of the action's own inputs.
    fn authorise(
        &self,
        wf: &Workflow,
        actor: Actor<'_>,
        action: ActionKind,
        now: Timestamp,
    ) -> Result<(), ActionError> {
        if self.status.is_closed() {
            return Err(ActionError::Closed { status: self.status.label_vi() });
        }
        let not_now =
            |at: String| ActionError::NotNow { action: action.label_vi(), status: self.status.label_vi(), at };
        if let Actor::Coordinator = actor {
            return linked::authorise(self, action).map_err(|()| ActionError::Forbidden { action: action.label_vi() });
        }
        if action.is_coordinators() {
            return Err(ActionError::Forbidden { action: action.label_vi() });
        }
        if let Actor::PaymentGateway = actor {
            return match action {
                ActionKind::ConfirmPayment if self.status == Status::PaymentRequested => Ok(()),
                ActionKind::ConfirmPayment => Err(not_now(String::new())),
                _ => Err(ActionError::Forbidden { action: action.label_vi() }),
            };
        }
        let step = self.step.as_deref().and_then(|k| wf.step(k));
        let at_step = || step.map(|s| format!(" (bước «{}»)", s.name)).unwrap_or_default();
        if action.is_applicants() {
            let Actor::Applicant { account_id } = actor else {
                return Err(ActionError::Forbidden { action: action.label_vi() });
            };
            if self.owner_account.is_some() && account_id != self.owner_account {
                return Err(ActionError::Forbidden { action: action.label_vi() });
            }
            return match action {
                ActionKind::Supplement if self.status == Status::SupplementRequested => Ok(()),
                ActionKind::Withdraw if self.branch_of.is_some() => Err(ActionError::Invalid(
                    "Đây là một nhánh của hồ sơ liên thông; hãy rút hồ sơ liên thông (hồ sơ chung)".into(),
                )),
                ActionKind::Withdraw if !matches!(self.status, Status::Done) => Ok(()),
                _ => Err(not_now(at_step())),
            };
        }
        let Actor::Staff(account) = actor else { return Err(ActionError::Forbidden { action: action.label_vi() }) };
        if let Some(why) = linked::staff_blocked(self, action) {
            return Err(ActionError::Linked(why));
        }
        // Actions allowed at any step.
        if let Some(any) = wf.anytime.iter().find(|a| a.action == action) {
            if !account.can_act(self.org(any.org), any.role) {
                return Err(ActionError::Forbidden { action: action.label_vi() });
            }
            if action == ActionKind::Apologise {
                if self.apologised {
                    return Err(ActionError::Invalid(
                        "Hồ sơ đã được xin lỗi và hẹn lại một lần; không được hẹn lại lần nữa".into(),
                    ));
                }
                match self.due_at {
                    Some(due) if now < due && self.finished_at.is_none() => {}
                    _ => return Err(ActionError::Invalid("Chỉ xin lỗi, hẹn lại trước thời hạn trả kết quả".into())),
                }
            }
            return Ok(());
        }
        let step = step.ok_or_else(|| not_now(String::new()))?;
        if !step.actions.contains(&action) {
            return Err(not_now(at_step()));
        }
        if !account.can_act(self.org(step.org), step.role) {
            return Err(ActionError::Forbidden { action: action.label_vi() });
        }
        // Waiting on the applicant: only the applicant can move the dossier on (or staff stop it).
        let ok = match self.status {
            Status::SupplementRequested => false,
            Status::PaymentRequested => action == ActionKind::ConfirmPayment,
            Status::New => matches!(action, ActionKind::Receive | ActionKind::RequestSupplement | ActionKind::Refuse),
            Status::Done => matches!(action, ActionKind::ReturnResult),
            _ => !matches!(action, ActionKind::ConfirmPayment | ActionKind::Receive),
        };
        if ok { Ok(()) } else { Err(not_now(at_step())) }
    }
}

/// The workflows motcua ships: Quảng Ninh's "5 steps" and the inter-agency one.
pub const DEFAULT_WORKFLOWS: &str = include_str!("../../../data/workflows.json");

pub fn default_workflows() -> Result<Vec<Workflow>, WorkflowError> {
    let list: Vec<Workflow> = serde_json::from_str(DEFAULT_WORKFLOWS)
        .map_err(|e| WorkflowError { workflow: "(tệp)".into(), reason: e.to_string() })?;
    list.into_iter().map(Workflow::check).collect()
}

mod apply;
pub use apply::*;
mod escalation;
pub use escalation::{EscalateAt, Escalation, Notify};
pub mod linked;
pub use linked::{Branch, BranchLink, BranchOf, Delivery, Group, Held, Others};

#[cfg(test)]
mod linked_tests;
#[cfg(test)]
mod tests;

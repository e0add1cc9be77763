//! What an action does to a dossier: the checks, the transition and its event, and a new
//! dossier's first state.

use super::*;

type Details = serde_json::Map<String, serde_json::Value>;

/// What an action did: the new dossier and what its event records.
#[derive(Debug, Clone)]
pub struct Transition {
    pub dossier: Dossier,
    pub action: ActionKind,
    pub from_status: Status,
    pub from_step: Option<String>,
    /// Details worth keeping (reason, items, dates, target).
    pub details: serde_json::Value,
}

impl Transition {
    /// The event that records this transition, at `at`, by `actor` (its account, if any),
    /// with `details` (the transition's own, or those plus what the caller adds).
    pub fn event(
        &self,
        at: Timestamp,
        actor_account: Option<i64>,
        actor: String,
        details: &serde_json::Value,
    ) -> crate::audit::EventDraft {
        crate::audit::EventDraft {
            at_us: at.as_microsecond(),
            actor_account,
            actor,
            action: serde_json::to_value(self.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            from_status: Some(self.from_status.code()),
            to_status: self.dossier.status.code(),
            from_step: self.from_step.clone(),
            to_step: self.dossier.step.clone(),
            details: details.to_string(),
        }
    }
}

/// Context the engine needs besides the dossier.
pub struct Context<'a> {
    pub workflow: &'a Workflow,
    pub calendar: &'a WorkCalendar,
    pub supplement_mode: SupplementMode,
    pub now: Timestamp,
}

fn required_text(value: &Option<String>, what: &str) -> Result<String, ActionError> {
    match value.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= 2000 => Ok(crate::text::nfc(s)),
        Some(s) if !s.is_empty() => Err(ActionError::Invalid(format!("{what} quá dài (tối đa 2000 ký tự)"))),
        _ => Err(ActionError::Invalid(format!("Cần nêu {what}"))),
    }
}

/// Applies one action. Nothing is changed unless it returns `Ok`.
pub fn apply(
    ctx: &Context<'_>,
    dossier: &Dossier,
    actor: Actor<'_>,
    req: &ActionRequest,
) -> Result<Transition, ActionError> {
    let action = req.action.ok_or_else(|| ActionError::Invalid("Thiếu thao tác (action)".into()))?;
    let now = ctx.now;
    dossier.authorise(ctx.workflow, actor, action, now)?;
    let wf = ctx.workflow;
    let mut d = dossier.clone();
    let mut details = serde_json::Map::new();
    let due_from = |at: Timestamp| {
        ctx.calendar.due(at, d.time_limit).map(|x| x.due_at).map_err(|e| ActionError::Invalid(e.to_string()))
    };
    let next_step = |d: &Dossier| -> Result<Option<String>, ActionError> {
        let cur = d
            .step
            .as_deref()
            .and_then(|k| wf.step(k))
            .ok_or_else(|| ActionError::Invalid("Hồ sơ không ở bước nào".into()))?;
        Ok(cur.next.clone())
    };
    match action {
        ActionKind::Submit => return Err(ActionError::Invalid("Hồ sơ đã được nộp".into())),
        ActionKind::Receive => {
            d.status = Status::Accepted;
            d.received_at = Some(now);
            d.due_at = Some(due_from(now)?);
            d.step = next_step(&d)?;
        }
        ActionKind::RequestSupplement => request_supplement(req, &mut d, &mut details, now)?,
        ActionKind::Supplement => supplement(ctx, req, &mut d, &mut details)?,
        ActionKind::Refuse => {
            details.insert("reason".into(), required_text(&req.reason, "lý do từ chối")?.into());
            d.status = Status::NotAccepted;
            d.finished_at = Some(now);
            d.step = None;
        }
        ActionKind::Assign => {
            let who = req.assignee.ok_or_else(|| ActionError::Invalid("Cần chọn cán bộ được phân công".into()))?;
            details.insert("assignee".into(), who.into());
            d.assignee = Some(who);
            d.status = Status::InProcess;
        }
        ActionKind::Forward | ActionKind::Approve => {
            d.step = next_step(&d)?;
            d.assignee = None;
            d.status = Status::InProcess;
            if d.step.is_none() {
                return Err(ActionError::Invalid("Đây là bước cuối; hãy trả kết quả".into()));
            }
        }
        ActionKind::SendBack => send_back(wf, req, &mut d, &mut details)?,
        ActionKind::Transfer => transfer(wf, req, &mut d, &mut details)?,
        ActionKind::RequestPayment => {
            if let Some(r) = &req.reason {
                details.insert("reason".into(), crate::text::nfc(r.trim()).into());
            }
            d.resume_status = Some(d.status);
            d.status = Status::PaymentRequested;
        }
        ActionKind::ConfirmPayment => {
            d.status = d.resume_status.take().unwrap_or(Status::InProcess);
            d.paid_via = Some(match actor {
                Actor::PaymentGateway => PaidVia::Transfer,
                _ => PaidVia::Desk,
            });
        }
        ActionKind::Sign | ActionKind::MarkDone => {
            d.status = Status::Done;
            d.finished_at = Some(now);
            if action == ActionKind::Sign {
                d.step = next_step(&d)?;
            }
            d.assignee = None;
        }
        ActionKind::ReturnResult => {
            if d.status != Status::Done {
                d.finished_at = Some(now);
            }
            d.status = Status::Returned;
            d.step = None;
        }
        ActionKind::Withdraw => {
            details.insert("reason".into(), required_text(&req.reason, "lý do rút hồ sơ")?.into());
            d.status = Status::Withdrawn;
            d.step = None;
        }
        ActionKind::Stop => {
            details.insert("reason".into(), required_text(&req.reason, "lý do dừng xử lý")?.into());
            d.status = Status::Stopped;
            d.finished_at = Some(now);
            d.step = None;
        }
        ActionKind::Apologise => apologise(req, &mut d, &mut details, now)?,
        ActionKind::StartBranch | ActionKind::HoldBranch | ActionKind::ResumeBranch | ActionKind::Join => {
            return Err(ActionError::Invalid("Thao tác liên thông đi qua workflow::linked".into()));
        }
    }
    Ok(Transition {
        dossier: d,
        action,
        from_status: dossier.status,
        from_step: dossier.step.clone(),
        details: serde_json::Value::Object(details),
    })
}

/// The due time of a dossier's time limit counted from `at`.
fn due_from(ctx: &Context<'_>, d: &Dossier, at: Timestamp) -> Result<Timestamp, ActionError> {
    ctx.calendar.due(at, d.time_limit).map(|x| x.due_at).map_err(|e| ActionError::Invalid(e.to_string()))
}

/// The dossier waits for the applicant: the reason and the list of what to add are kept.
fn request_supplement(
    req: &ActionRequest,
    d: &mut Dossier,
    details: &mut Details,
    now: Timestamp,
) -> Result<(), ActionError> {
    let reason = required_text(&req.reason, "lý do yêu cầu bổ sung")?;
    if req.items.is_empty() || req.items.iter().any(|i| i.trim().is_empty()) {
        return Err(ActionError::Invalid("Cần liệt kê các nội dung phải bổ sung".into()));
    }
    details.insert("reason".into(), reason.into());
    details.insert("items".into(), req.items.iter().map(|i| crate::text::nfc(i.trim())).collect::<Vec<_>>().into());
    d.resume_status = Some(d.status);
    d.status = Status::SupplementRequested;
    d.waiting_since = Some(now);
    if d.received_at.is_some() {
        d.supplement_requests += 1;
    }
    Ok(())
}

/// The applicant added what was asked: the waiting time is counted, and the deadline restarts
/// or resumes ([`SupplementMode`]).
fn supplement(
    ctx: &Context<'_>,
    req: &ActionRequest,
    d: &mut Dossier,
    details: &mut Details,
) -> Result<(), ActionError> {
    let now = ctx.now;
    let since = d.waiting_since.take().unwrap_or(now);
    let waited = ctx.calendar.working_minutes_between(since, now).map_err(|e| ActionError::Invalid(e.to_string()))?;
    d.waiting_minutes += waited;
    d.status = d.resume_status.take().unwrap_or(Status::InProcess);
    if d.received_at.is_some() {
        let due = match ctx.supplement_mode {
            SupplementMode::Restart => due_from(ctx, d, now)?,
            SupplementMode::Pause => {
                let left = d.due_at.map_or(0, |due| ctx.calendar.working_minutes_between(since, due).unwrap_or(0));
                ctx.calendar.add_working_minutes_from(now, left).map_err(|e| ActionError::Invalid(e.to_string()))?
            }
        };
        details.insert("new_due_at".into(), due.to_string().into());
        d.due_at = Some(due);
    }
    if let Some(n) = &req.note {
        details.insert("note".into(), crate::text::nfc(n.trim()).into());
    }
    Ok(())
}

/// Back to the previous step (never to reception).
fn send_back(wf: &Workflow, req: &ActionRequest, d: &mut Dossier, details: &mut Details) -> Result<(), ActionError> {
    details.insert("reason".into(), required_text(&req.reason, "lý do trả lại")?.into());
    let cur = d.step.clone().unwrap_or_default();
    let prev = wf.previous(&cur).ok_or_else(|| ActionError::Invalid("Không có bước trước để trả lại".into()))?;
    if prev.actions.contains(&ActionKind::Receive) {
        return Err(ActionError::Invalid("Không trả lại bước tiếp nhận; hãy yêu cầu bổ sung hoặc từ chối".into()));
    }
    d.step = Some(prev.key.clone());
    d.assignee = None;
    d.status = Status::InProcess;
    Ok(())
}

/// To another organisation, which starts at the step after reception.
fn transfer(wf: &Workflow, req: &ActionRequest, d: &mut Dossier, details: &mut Details) -> Result<(), ActionError> {
    let to = req.to_org.clone().ok_or_else(|| ActionError::Invalid("Cần chọn cơ quan nhận chuyển".into()))?;
    if to == d.processing_org {
        return Err(ActionError::Invalid("Hồ sơ đang ở chính cơ quan này".into()));
    }
    details.insert("from_org".into(), d.processing_org.as_str().into());
    details.insert("to_org".into(), to.as_str().into());
    details.insert("reason".into(), required_text(&req.reason, "lý do chuyển")?.into());
    d.processing_org = to;
    d.assignee = None;
    // The new organisation starts where processing starts: the step after reception.
    d.step = wf.steps.first().and_then(|s| s.next.clone());
    d.status = Status::InProcess;
    Ok(())
}

/// A late dossier's apology: a new due time after the current one, the old one kept.
fn apologise(req: &ActionRequest, d: &mut Dossier, details: &mut Details, now: Timestamp) -> Result<(), ActionError> {
    let reason = required_text(&req.reason, "lý do chậm trễ")?;
    let new_due = req.new_due_at.ok_or_else(|| ActionError::Invalid("Cần ngày hẹn trả kết quả mới".into()))?;
    let old = d.due_at.unwrap_or(now);
    if new_due <= old {
        return Err(ActionError::Invalid("Ngày hẹn mới phải sau thời hạn hiện tại".into()));
    }
    details.insert("reason".into(), reason.into());
    details.insert("old_due_at".into(), old.to_string().into());
    details.insert("new_due_at".into(), new_due.to_string().into());
    d.original_due_at = Some(old);
    d.due_at = Some(new_due);
    d.apologised = true;
    Ok(())
}

/// A new dossier as submitted online (status 1, first step) or entered at the desk on the
/// applicant's behalf (status 2, received, due time set, at the step after reception).
#[allow(clippy::too_many_arguments)]
pub fn new_dossier(
    wf: &Workflow,
    calendar: &WorkCalendar,
    code: DossierCode,
    procedure: ProcedureCode,
    time_limit: TimeLimit,
    applicant: Applicant,
    owner_account: Option<i64>,
    channel: Channel,
    desk_org: OrgCode,
    processing_org: OrgCode,
    received_by_desk: bool,
    now: Timestamp,
) -> Result<Dossier, ActionError> {
    let first = wf.steps.first().ok_or_else(|| ActionError::Invalid("quy trình rỗng".into()))?;
    let mut d = Dossier {
        code,
        procedure,
        workflow: wf.code.clone(),
        workflow_version: wf.version,
        time_limit,
        applicant,
        owner_account,
        channel,
        desk_org,
        processing_org,
        status: Status::New,
        step: Some(first.key.clone()),
        assignee: None,
        submitted_at: now,
        received_at: None,
        due_at: None,
        original_due_at: None,
        finished_at: None,
        supplement_requests: 0,
        waiting_since: None,
        waiting_minutes: 0,
        resume_status: None,
        apologised: false,
        fee: None,
        reused_data: false,
        paid_via: None,
        declaration: None,
        group: (!wf.branches.is_empty()).then(Group::default),
        branch_of: None,
    };
    if received_by_desk {
        d.status = Status::Accepted;
        d.received_at = Some(now);
        d.due_at = Some(calendar.due(now, time_limit).map_err(|e| ActionError::Invalid(e.to_string()))?.due_at);
        d.step = first.next.clone();
    }
    Ok(d)
}

//! Linked procedures (liên thông, Decree 63/2024/NĐ-CP): one application that forks into
//! branches, each a procedure of its own handled by its own organisation with its own steps,
//! time limit and result, and joins again when every branch has finished.
//!
//! The application is a dossier of its own (the *group*): the applicant submits it once, the
//! desk receives it once, and it keeps the branches it started. Each branch is an ordinary
//! dossier that knows its group ([`BranchOf`]); it runs under its own procedure's workflow
//! and counts in the statistics as that procedure at its organisation. What the group's
//! workflow asks for next — start a branch whose inputs are ready, hold the others while one
//! waits for a supplement, stop them after a refusal, return the results together, close the
//! application — is [`plan`]: a pure function of the group and its branches, so running it
//! again after a crash finds what is still to do and nothing twice.

use std::collections::{HashMap, HashSet};

use super::*;

/// One procedure of a linked application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Short key, e.g. `khai-sinh`.
    pub key: String,
    pub name: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub name_en: Option<Name>,
    /// The procedure this branch is: its organisation, workflow, time limit and fees.
    #[schema(value_type = String)]
    pub procedure: ProcedureCode,
    /// The branch's time limit inside the linked group, when the group's rules set a shorter
    /// one than the procedure alone (residence: 2 working days instead of 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub time_limit: Option<TimeLimit>,
    /// Branches whose result this one needs first (residence needs the birth registration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// The application's papers this branch takes (component numbers of the linked
    /// procedure, from 0); all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub papers: Option<Vec<u16>>,
    /// What the other branches do while this one waits for a supplement: `continue` or `wait`.
    #[serde(default)]
    pub on_supplement: Others,
    /// What the other branches do when this one is refused or stopped: `continue` or `stop`.
    #[serde(default)]
    pub on_refusal: Others,
}

/// What happens to the other branches when one waits for a supplement or is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Others {
    /// They go on.
    #[default]
    Continue,
    /// They are held (their officers cannot act, their clocks stop) until the supplement comes.
    Wait,
    /// They are stopped, and branches not started yet never start.
    Stop,
}

/// How a linked application's results reach the applicant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// All at once when the last branch is done (no branch returns its result alone).
    #[default]
    Together,
    /// Each branch returns its own result when it is ready.
    AsReady,
}

impl Delivery {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The branches a linked application has started, in the order they started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    pub branches: Vec<BranchLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BranchLink {
    pub key: String,
    #[schema(value_type = String)]
    pub dossier: DossierCode,
}

/// What a branch's dossier knows of its application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BranchOf {
    #[schema(value_type = String)]
    pub group: DossierCode,
    pub branch: String,
    /// Its result is returned with the others' (so not alone by its officers).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub together: bool,
    /// The dossiers of the branches whose results it started from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub inputs: Vec<DossierCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

/// The branch waits while another branch waits for the applicant's supplement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Held {
    /// The branch it waits for.
    pub by: String,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
}

/// The structural rules of a linked workflow (called by [`Workflow::check`]).
pub(super) fn check_branches(wf: &Workflow) -> Result<(), String> {
    let reception = [ActionKind::Receive, ActionKind::RequestSupplement, ActionKind::Refuse];
    match wf.steps.as_slice() {
        [only] if only.next.is_none() && only.actions.iter().all(|a| reception.contains(a)) => {}
        _ => return Err("quy trình liên thông chỉ có một bước tiếp nhận rồi chia nhánh".into()),
    }
    if wf.branches.len() < 2 {
        return Err("quy trình liên thông cần ít nhất hai nhánh".into());
    }
    let keys: HashSet<&str> = wf.branches.iter().map(|b| b.key.as_str()).collect();
    let procedures: HashSet<&ProcedureCode> = wf.branches.iter().map(|b| &b.procedure).collect();
    if keys.len() != wf.branches.len() || procedures.len() != wf.branches.len() {
        return Err("các nhánh phải có khóa khác nhau và là các thủ tục khác nhau".into());
    }
    for b in &wf.branches {
        if b.key.is_empty() || crate::text::slug(&b.key) != b.key {
            return Err(format!("khóa nhánh «{}» phải là chữ thường không dấu, số và gạch ngang", b.key));
        }
        if let Some(dep) = b.after.iter().find(|d| !keys.contains(d.as_str()) || **d == b.key) {
            return Err(format!("nhánh {} chờ nhánh không hợp lệ {dep}", b.key));
        }
        if b.on_supplement == Others::Stop {
            return Err(format!("nhánh {}: khi một nhánh chờ bổ sung, các nhánh khác tiếp tục hoặc chờ", b.key));
        }
        if b.on_refusal == Others::Wait {
            return Err(format!("nhánh {}: nhánh bị từ chối thì không còn gì để chờ; chọn tiếp tục hoặc dừng", b.key));
        }
    }
    // Every branch must be reachable: no cycle among the `after` lists.
    let mut done: HashSet<&str> = HashSet::new();
    while done.len() < wf.branches.len() {
        let ready: Vec<&str> = wf
            .branches
            .iter()
            .filter(|b| !done.contains(b.key.as_str()) && b.after.iter().all(|d| done.contains(d.as_str())))
            .map(|b| b.key.as_str())
            .collect();
        if ready.is_empty() {
            return Err("các nhánh chờ nhau thành vòng".into());
        }
        done.extend(ready);
    }
    Ok(())
}

/// Whether the coordinator may take `action` on this dossier now (it is not closed).
pub(super) fn authorise(d: &Dossier, action: ActionKind) -> Result<(), ()> {
    let branch = d.branch_of.as_ref();
    let ok = match action {
        ActionKind::StartBranch => d.group.is_some() && matches!(d.status, Status::Accepted | Status::InProcess),
        ActionKind::Join => d.group.is_some(),
        ActionKind::HoldBranch => branch.is_some_and(|b| b.held.is_none()) && d.status != Status::Done,
        ActionKind::ResumeBranch => branch.is_some_and(|b| b.held.is_some()),
        ActionKind::ReturnResult => branch.is_some() && d.status == Status::Done,
        ActionKind::Stop => branch.is_some(),
        _ => false,
    };
    if ok { Ok(()) } else { Err(()) }
}

/// Why an officer may not take `action` on this branch now, if they may not.
pub(super) fn staff_blocked(d: &Dossier, action: ActionKind) -> Option<String> {
    let b = d.branch_of.as_ref()?;
    if let Some(h) = &b.held {
        return Some(format!(
            "Nhánh này đang tạm dừng chờ nhánh liên thông «{}» bổ sung hồ sơ; thời hạn được cộng thêm thời gian chờ",
            h.by
        ));
    }
    (b.together && action == ActionKind::ReturnResult)
        .then(|| "Kết quả nhánh này được trả cùng kết quả các nhánh liên thông khác khi tất cả đã xong".to_owned())
}

/// One thing the group's workflow asks for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Create the branch's dossier (from the results of `inputs`).
    Start {
        branch: String,
        inputs: Vec<DossierCode>,
    },
    Hold {
        dossier: DossierCode,
        by: String,
    },
    Resume {
        dossier: DossierCode,
    },
    Stop {
        dossier: DossierCode,
        reason: String,
    },
    /// Return a done branch's result with the others'.
    Return {
        dossier: DossierCode,
    },
    /// Close the application.
    Join {
        status: Status,
    },
}

fn failed(d: &Dossier) -> bool {
    matches!(d.status, Status::NotAccepted | Status::Stopped | Status::Withdrawn)
}

fn succeeded(d: &Dossier) -> bool {
    matches!(d.status, Status::Done | Status::Returned)
}

/// What the group's workflow asks for, given the group and the dossiers of the branches it
/// started. Empty when nothing is to be done: applying the moves and asking again reaches
/// that point (each move changes what the next call sees).
pub fn plan(wf: &Workflow, group: &Dossier, started: &[Dossier]) -> Vec<Move> {
    if group.group.is_none() {
        return Vec::new();
    }
    let by_key = by_key(started);
    let open = || started.iter().filter(|d| !d.status.is_closed());
    match group.status {
        Status::Withdrawn | Status::Stopped => {
            let reason = format!("Hồ sơ liên thông {} đã {}", group.code, group.status.label_vi().to_lowercase());
            return open().map(|d| Move::Stop { dossier: d.code.clone(), reason: reason.clone() }).collect();
        }
        Status::Accepted | Status::InProcess => {}
        _ => return Vec::new(),
    }
    let stopper = stopper(wf, &by_key);
    let mut moves = Vec::new();
    if let Some(s) = stopper {
        let reason = format!("Nhánh liên thông «{}» không được giải quyết; các nhánh khác dừng theo quy trình", s.name);
        moves.extend(
            open()
                .filter(|d| d.branch_of.as_ref().is_some_and(|b| b.branch != s.key))
                .map(|d| Move::Stop { dossier: d.code.clone(), reason: reason.clone() }),
        );
    } else {
        for b in wf.branches.iter().filter(|b| !by_key.contains_key(b.key.as_str())) {
            let inputs: Option<Vec<DossierCode>> = b
                .after
                .iter()
                .map(|dep| by_key.get(dep.as_str()).filter(|d| succeeded(d)).map(|d| d.code.clone()))
                .collect();
            if let Some(inputs) = inputs {
                moves.push(Move::Start { branch: b.key.clone(), inputs });
            }
        }
        let waiting: Vec<&Branch> = wf
            .branches
            .iter()
            .filter(|b| b.on_supplement == Others::Wait)
            .filter(|b| by_key.get(b.key.as_str()).is_some_and(|d| d.status == Status::SupplementRequested))
            .collect();
        for d in open().filter(|d| d.status != Status::Done) {
            let Some(mine) = &d.branch_of else { continue };
            let by = waiting.iter().find(|w| w.key != mine.branch);
            match (by, &mine.held) {
                (Some(w), None) => moves.push(Move::Hold { dossier: d.code.clone(), by: w.key.clone() }),
                (None, Some(_)) => moves.push(Move::Resume { dossier: d.code.clone() }),
                _ => {}
            }
        }
    }
    if !moves.is_empty() {
        return moves;
    }
    // Joined when every branch has finished: done or closed, or never to start.
    let finished = wf.branches.iter().all(|b| match by_key.get(b.key.as_str()) {
        Some(d) => d.status.is_closed() || d.status == Status::Done,
        None => never_starts(wf, &by_key, b, stopper.is_some()),
    });
    if !finished {
        return moves;
    }
    let status = if started.iter().any(succeeded) { Status::Returned } else { Status::Stopped };
    match wf.delivery {
        Delivery::Together => {
            moves.extend(
                started.iter().filter(|d| d.status == Status::Done).map(|d| Move::Return { dossier: d.code.clone() }),
            );
            if moves.is_empty() {
                moves.push(Move::Join { status });
            }
        }
        Delivery::AsReady if started.iter().all(|d| d.status.is_closed()) => moves.push(Move::Join { status }),
        Delivery::AsReady => {}
    }
    moves
}

fn by_key(started: &[Dossier]) -> HashMap<&str, &Dossier> {
    started.iter().filter_map(|d| d.branch_of.as_ref().map(|b| (b.branch.as_str(), d))).collect()
}

/// The failed branch whose policy stops the others, if any.
fn stopper<'w>(wf: &'w Workflow, by_key: &HashMap<&str, &Dossier>) -> Option<&'w Branch> {
    wf.branches.iter().find(|b| b.on_refusal == Others::Stop && by_key.get(b.key.as_str()).is_some_and(|d| failed(d)))
}

/// Whether the branch `key`, not started, never will (given the dossiers of those started).
pub fn never_starts_in(wf: &Workflow, started: &[Dossier], key: &str) -> bool {
    let by_key = by_key(started);
    let stopped = stopper(wf, &by_key).is_some();
    wf.branch(key).is_some_and(|b| never_starts(wf, &by_key, b, stopped))
}

/// A branch not started that never will: the group stopped its branches, or a branch it
/// needs failed or never starts itself.
fn never_starts(wf: &Workflow, by_key: &HashMap<&str, &Dossier>, b: &Branch, stopped: bool) -> bool {
    stopped
        || b.after.iter().any(|dep| match by_key.get(dep.as_str()) {
            Some(d) => failed(d),
            None => wf.branch(dep).is_some_and(|x| never_starts(wf, by_key, x, stopped)),
        })
}

impl Workflow {
    pub fn branch(&self, key: &str) -> Option<&Branch> {
        self.branches.iter().find(|b| b.key == key)
    }

    /// A branch's name in English when asked and known, else in Vietnamese.
    pub fn branch_name(&self, key: &str, english: bool) -> Option<&str> {
        self.branch(key).map(|b| match (&b.name_en, english) {
            (Some(en), true) => en.as_str(),
            _ => b.name.as_str(),
        })
    }
}

/// What a new branch's dossier is built from besides its group.
pub struct NewBranch<'a> {
    /// The workflow of the branch's procedure.
    pub workflow: &'a Workflow,
    pub calendar: &'a WorkCalendar,
    pub procedure: &'a crate::Procedure,
    /// The organisation that handles the branch.
    pub org: OrgCode,
    /// Its time limit (the branch's own in the group, else the procedure's).
    pub time_limit: TimeLimit,
    pub inputs: Vec<DossierCode>,
    pub together: bool,
    pub now: Timestamp,
}

/// A branch's dossier: received already (the application was), waiting at the step after
/// reception at its organisation, with its own time limit and fees, the applicant, the
/// declaration and the group's channel.
pub fn new_branch(nb: NewBranch<'_>, group: &Dossier, key: &str, code: DossierCode) -> Result<Dossier, ActionError> {
    let p = nb.procedure;
    let mut d = new_dossier(
        nb.workflow,
        nb.calendar,
        code,
        p.code.clone(),
        nb.time_limit,
        group.applicant.clone(),
        group.owner_account,
        group.channel,
        group.desk_org.clone(),
        nb.org,
        true,
        nb.now,
    )?;
    d.declaration = group.declaration.clone();
    d.reused_data = group.reused_data;
    if !p.fees.is_empty() {
        d.fee = Some(
            crate::payment::quote(p, 1, &[], group.channel.rate()).map_err(|e| ActionError::Invalid(e.to_string()))?,
        );
    }
    d.branch_of = Some(BranchOf {
        group: group.code.clone(),
        branch: key.to_owned(),
        together: nb.together,
        inputs: nb.inputs,
        held: None,
    });
    Ok(d)
}

/// The group records a started branch.
pub fn start(group: &Dossier, key: &str, child: &DossierCode) -> Result<Transition, ActionError> {
    if group.status.is_closed() {
        return Err(ActionError::Closed { status: group.status.label_vi() });
    }
    authorise(group, ActionKind::StartBranch).map_err(|()| forbidden(ActionKind::StartBranch))?;
    let mut d = group.clone();
    let g = d.group.get_or_insert_with(Group::default);
    if g.branches.iter().any(|b| b.key == key) {
        return Err(ActionError::Invalid(format!("Nhánh {key} đã bắt đầu")));
    }
    g.branches.push(BranchLink { key: key.to_owned(), dossier: child.clone() });
    d.status = Status::InProcess;
    Ok(transition(group, d, ActionKind::StartBranch, serde_json::json!({ "branch": key, "dossier": child })))
}

/// Any other move on the group or one of its branches (`ctx.workflow`: that dossier's).
pub fn step(ctx: &Context<'_>, d: &Dossier, mv: &Move) -> Result<Transition, ActionError> {
    let req = |action, reason: Option<String>| ActionRequest { action: Some(action), reason, ..Default::default() };
    let now = ctx.now;
    let checked = |action| {
        if d.status.is_closed() {
            return Err(ActionError::Closed { status: d.status.label_vi() });
        }
        authorise(d, action).map_err(|()| forbidden(action))
    };
    match mv {
        Move::Start { .. } => Err(ActionError::Invalid("Nhánh mới cần mã hồ sơ (start)".into())),
        Move::Stop { reason, .. } => apply(ctx, d, Actor::Coordinator, &req(ActionKind::Stop, Some(reason.clone()))),
        Move::Return { .. } => apply(ctx, d, Actor::Coordinator, &req(ActionKind::ReturnResult, None)),
        Move::Hold { by, .. } => {
            checked(ActionKind::HoldBranch)?;
            let mut next = d.clone();
            if let Some(b) = next.branch_of.as_mut() {
                b.held = Some(Held { by: by.clone(), since: now });
            }
            Ok(transition(d, next, ActionKind::HoldBranch, serde_json::json!({ "by": by })))
        }
        Move::Resume { .. } => {
            checked(ActionKind::ResumeBranch)?;
            let mut next = d.clone();
            let since = next.branch_of.as_mut().and_then(|b| b.held.take()).map_or(now, |h| h.since);
            let waited =
                ctx.calendar.working_minutes_between(since, now).map_err(|e| ActionError::Invalid(e.to_string()))?;
            next.waiting_minutes += waited;
            let mut details = serde_json::json!({ "held_minutes": waited });
            if let Some(due) = next.due_at {
                let moved = ctx
                    .calendar
                    .add_working_minutes_from(due, waited)
                    .map_err(|e| ActionError::Invalid(e.to_string()))?;
                next.due_at = Some(moved);
                details["new_due_at"] = moved.to_string().into();
            }
            Ok(transition(d, next, ActionKind::ResumeBranch, details))
        }
        Move::Join { status } => {
            checked(ActionKind::Join)?;
            let mut next = d.clone();
            next.status = *status;
            next.step = None;
            next.assignee = None;
            next.finished_at = Some(now);
            Ok(transition(d, next, ActionKind::Join, serde_json::json!({ "status": status })))
        }
    }
}

fn forbidden(action: ActionKind) -> ActionError {
    ActionError::Forbidden { action: action.label_vi() }
}

fn transition(from: &Dossier, to: Dossier, action: ActionKind, details: serde_json::Value) -> Transition {
    Transition { action, from_status: from.status, from_step: from.step.clone(), dossier: to, details }
}

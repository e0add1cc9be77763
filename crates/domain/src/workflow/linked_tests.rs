//! Linked applications: the structural rules, the plan, and random action sequences over
//! forks and joins.

use std::collections::HashMap;

use jiff::civil::date;
use proptest::prelude::*;

use super::linked::{Move, NewBranch, new_branch, plan, start, step};
use super::tests::{at, staff};
use super::*;

const DESK: &str = "001.00.37.H22";
const ORGS: [&str; 3] = ["000.00.37.H22", "000.00.38.H22", "000.00.39.H22"];
const CATALOG: &str = include_str!("../../../../data/demo/catalog-quang-ninh.json");

/// Birth (no inputs), then residence (the others wait while it waits for a supplement) and
/// the health insurance card (its refusal stops the others).
fn group_workflow(delivery: Delivery) -> Workflow {
    let mut wf: Workflow = serde_json::from_value(serde_json::json!({
        "code": "lien-thong-thu",
        "name": "Liên thông thử",
        "steps": [{"key": "receive", "name": "Tiếp nhận", "org": "desk", "role": "desk_officer",
                   "actions": ["receive", "request_supplement", "refuse"]}],
        "branches": [
            {"key": "khai-sinh", "name": "Đăng ký khai sinh", "procedure": "1.001193"},
            {"key": "thuong-tru", "name": "Đăng ký thường trú", "procedure": "1.004194",
             "after": ["khai-sinh"], "on_supplement": "wait"},
            {"key": "bhyt", "name": "Cấp thẻ BHYT", "procedure": "1.004873",
             "after": ["khai-sinh"], "on_refusal": "stop"}
        ]
    }))
    .unwrap();
    wf.delivery = delivery;
    wf.check().unwrap()
}

struct World {
    group_wf: Workflow,
    branch_wf: Workflow,
    cal: WorkCalendar,
    procedures: HashMap<String, crate::Procedure>,
    desk: Account,
    /// Specialist, leader, clerk of each branch's organisation.
    officers: Vec<[Account; 3]>,
}

fn world(delivery: Delivery) -> World {
    let all: Vec<crate::Procedure> = serde_json::from_str(CATALOG).unwrap();
    let procedures = all.into_iter().map(|p| (p.code.as_str().to_owned(), p)).collect();
    let officers = ORGS
        .iter()
        .enumerate()
        .map(|(i, org)| {
            let id = 10 * (i as i64 + 1);
            [staff(id, org, Role::Specialist), staff(id + 1, org, Role::Leader), staff(id + 2, org, Role::Clerk)]
        })
        .collect();
    World {
        group_wf: group_workflow(delivery),
        branch_wf: default_workflows().unwrap().remove(0),
        cal: WorkCalendar::default(),
        procedures,
        desk: staff(1, DESK, Role::DeskOfficer),
        officers,
    }
}

fn ctx<'a>(w: &'a World, wf: &'a Workflow, now: Timestamp) -> Context<'a> {
    Context { workflow: wf, calendar: &w.cal, supplement_mode: SupplementMode::Restart, now }
}

fn submitted(w: &World, now: Timestamp) -> Dossier {
    let g = new_dossier(
        &w.group_wf,
        &w.cal,
        DossierCode::parse("001.00.37.H22-250303-0001").unwrap(),
        ProcedureCode::parse("1.001695").unwrap(),
        TimeLimit::working_days(3).unwrap(),
        Applicant {
            full_name: Name::parse("n", "Lê Thị Mai").unwrap(),
            cccd: None,
            phone: None,
            email: None,
            address: None,
        },
        Some(99),
        Channel::Online,
        OrgCode::parse(DESK).unwrap(),
        OrgCode::parse(DESK).unwrap(),
        false,
        now,
    )
    .unwrap();
    assert!(g.group.is_some());
    let req = ActionRequest { action: Some(ActionKind::Receive), ..Default::default() };
    apply(&ctx(w, &w.group_wf, now), &g, Actor::Staff(&w.desk), &req).unwrap().dossier
}

/// The group and its branches' dossiers, by key.
struct State {
    group: Dossier,
    branches: Vec<Dossier>,
    next_code: u32,
}

impl State {
    fn index(&self, key: &str) -> Option<usize> {
        self.branches.iter().position(|d| d.branch_of.as_ref().is_some_and(|b| b.branch == key))
    }
}

/// Applies the plan until it asks for nothing, checking each start; the number of rounds.
fn settle(w: &World, s: &mut State, now: Timestamp) -> Result<usize, TestCaseError> {
    for round in 0..10 {
        let moves = plan(&w.group_wf, &s.group, &s.branches);
        if moves.is_empty() {
            return Ok(round);
        }
        for mv in moves {
            match &mv {
                Move::Start { branch, inputs } => {
                    let b = w.group_wf.branch(branch).unwrap();
                    prop_assert!(s.index(branch).is_none(), "branch {} started twice", branch);
                    for dep in &b.after {
                        let d = &s.branches[s.index(dep).expect("a dependency started first")];
                        prop_assert!(matches!(d.status, Status::Done | Status::Returned), "{} before {}", branch, dep);
                        prop_assert!(inputs.contains(&d.code));
                    }
                    s.next_code += 1;
                    let code = DossierCode::parse(&format!("001.00.37.H22-250303-{:04}", s.next_code)).unwrap();
                    let org = ORGS[w.group_wf.branches.iter().position(|x| x.key == *branch).unwrap()];
                    let nb = NewBranch {
                        workflow: &w.branch_wf,
                        calendar: &w.cal,
                        procedure: &w.procedures[b.procedure.as_str()],
                        org: OrgCode::parse(org).unwrap(),
                        time_limit: b.time_limit.unwrap_or(w.procedures[b.procedure.as_str()].time_limit),
                        inputs: inputs.clone(),
                        together: w.group_wf.delivery == Delivery::Together,
                        now,
                    };
                    let child = new_branch(nb, &s.group, branch, code.clone()).unwrap();
                    s.group = start(&s.group, branch, &code).unwrap().dossier;
                    s.branches.push(child);
                }
                Move::Join { .. } => s.group = step(&ctx(w, &w.group_wf, now), &s.group, &mv).unwrap().dossier,
                Move::Hold { dossier, .. }
                | Move::Resume { dossier }
                | Move::Stop { dossier, .. }
                | Move::Return { dossier } => {
                    let i = s.branches.iter().position(|d| d.code == *dossier).unwrap();
                    s.branches[i] = step(&ctx(w, &w.branch_wf, now), &s.branches[i], &mv).unwrap().dossier;
                }
            }
        }
    }
    Err(TestCaseError::fail("the plan did not settle in 10 rounds"))
}

fn officer_act(w: &World, s: &mut State, key: &str, who: usize, action: ActionKind, now: Timestamp) -> bool {
    let i = s.index(key).unwrap();
    let org = w.group_wf.branches.iter().position(|b| b.key == key).unwrap();
    let req = ActionRequest {
        action: Some(action),
        reason: Some("Lý do".into()),
        items: vec!["Giấy tờ".into()],
        assignee: Some(w.officers[org][0].id),
        ..Default::default()
    };
    let officer = if who < 3 { &w.officers[org][who] } else { &w.desk };
    match apply(&ctx(w, &w.branch_wf, now), &s.branches[i], Actor::Staff(officer), &req) {
        Ok(t) => {
            s.branches[i] = t.dossier;
            true
        }
        Err(_) => false,
    }
}

/// Runs a branch through appraisal, approval and signing.
fn finish(w: &World, s: &mut State, key: &str, now: Timestamp) {
    for (who, action) in [(0, ActionKind::Forward), (1, ActionKind::Approve), (2, ActionKind::Sign)] {
        assert!(officer_act(w, s, key, who, action, now), "{key}: {action:?}");
    }
}

#[test]
fn birth_first_then_two_in_parallel_then_joined_together() {
    let w = world(Delivery::Together);
    let now = at(date(2025, 3, 3), 9, 0);
    let mut s = State { group: submitted(&w, now), branches: vec![], next_code: 1 };
    settle(&w, &mut s, now).unwrap();
    assert_eq!(s.branches.len(), 1, "only the birth registration starts");
    assert_eq!(s.group.status, Status::InProcess);
    finish(&w, &mut s, "khai-sinh", now);
    assert_eq!(s.branches[0].status, Status::Done);
    // Its officers cannot return it alone.
    assert!(!officer_act(&w, &mut s, "khai-sinh", 4, ActionKind::ReturnResult, now));
    settle(&w, &mut s, now).unwrap();
    assert_eq!(s.branches.len(), 3, "residence and the card start from the birth registration");
    assert_eq!(s.branches[1].branch_of.as_ref().unwrap().inputs, vec![s.branches[0].code.clone()]);
    // Residence asks for a supplement: the card's branch waits, its officers cannot act.
    assert!(officer_act(&w, &mut s, "thuong-tru", 0, ActionKind::RequestSupplement, now));
    settle(&w, &mut s, now).unwrap();
    let card = s.index("bhyt").unwrap();
    assert_eq!(s.branches[card].branch_of.as_ref().unwrap().held.as_ref().unwrap().by, "thuong-tru");
    assert!(!officer_act(&w, &mut s, "bhyt", 0, ActionKind::Forward, now));
    let due_before = s.branches[card].due_at.unwrap();
    let later = at(date(2025, 3, 4), 9, 0);
    let i = s.index("thuong-tru").unwrap();
    let req = ActionRequest { action: Some(ActionKind::Supplement), ..Default::default() };
    s.branches[i] =
        apply(&ctx(&w, &w.branch_wf, later), &s.branches[i], Actor::Applicant { account_id: Some(99) }, &req)
            .unwrap()
            .dossier;
    settle(&w, &mut s, later).unwrap();
    assert!(s.branches[card].branch_of.as_ref().unwrap().held.is_none());
    let held = w.cal.working_minutes_between(now, later).unwrap();
    assert!(held > 0);
    assert_eq!(s.branches[card].due_at.unwrap(), w.cal.add_working_minutes_from(due_before, held).unwrap());
    assert_eq!(s.branches[card].waiting_minutes, held);
    finish(&w, &mut s, "thuong-tru", later);
    settle(&w, &mut s, later).unwrap();
    assert_eq!(s.group.status, Status::InProcess, "the card is not done yet");
    finish(&w, &mut s, "bhyt", later);
    settle(&w, &mut s, later).unwrap();
    assert_eq!(s.group.status, Status::Returned);
    assert!(s.branches.iter().all(|d| d.status == Status::Returned));
}

#[test]
fn a_refusal_that_stops_the_others_and_one_that_does_not() {
    let w = world(Delivery::AsReady);
    let now = at(date(2025, 3, 3), 9, 0);
    let mut s = State { group: submitted(&w, now), branches: vec![], next_code: 1 };
    settle(&w, &mut s, now).unwrap();
    finish(&w, &mut s, "khai-sinh", now);
    // As ready: its officers return it at once.
    assert!(officer_act(&w, &mut s, "khai-sinh", 4, ActionKind::ReturnResult, now));
    settle(&w, &mut s, now).unwrap();
    assert!(officer_act(&w, &mut s, "bhyt", 0, ActionKind::Refuse, now));
    settle(&w, &mut s, now).unwrap();
    let residence = &s.branches[s.index("thuong-tru").unwrap()];
    assert_eq!(residence.status, Status::Stopped);
    assert_eq!(s.group.status, Status::Returned, "the birth registration was returned");

    // Refused at birth: nothing else ever starts, the application ends stopped.
    let mut s = State { group: submitted(&w, now), branches: vec![], next_code: 1 };
    settle(&w, &mut s, now).unwrap();
    assert!(officer_act(&w, &mut s, "khai-sinh", 0, ActionKind::Refuse, now));
    settle(&w, &mut s, now).unwrap();
    assert_eq!(s.branches.len(), 1);
    assert_eq!(s.group.status, Status::Stopped);
}

#[test]
fn linked_workflows_are_checked() {
    let mut wf = group_workflow(Delivery::Together);
    wf.branches[0].after = vec!["bhyt".into()];
    assert!(wf.clone().check().unwrap_err().reason.contains("vòng"));
    wf.branches[0].after = vec!["khong-co".into()];
    assert!(wf.clone().check().is_err());
    let mut wf = group_workflow(Delivery::Together);
    wf.branches[1].on_refusal = Others::Wait;
    assert!(wf.clone().check().is_err());
    wf.branches[1].on_refusal = Others::Stop;
    wf.branches[2].procedure = wf.branches[1].procedure.clone();
    assert!(wf.clone().check().is_err());
    let mut wf = group_workflow(Delivery::Together);
    wf.steps[0].actions.push(ActionKind::Approve);
    assert!(wf.clone().check().is_err());
    wf.steps[0].actions.pop();
    wf.branches.truncate(1);
    assert!(wf.check().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random officers' and applicant's actions on random branches, with the plan applied
    /// after each: branches start only from finished inputs and once, holds match the
    /// waiting supplements, no officer moves a held branch, and the join closes everything.
    #[test]
    fn random_branch_actions_keep_the_group_consistent(
        together in any::<bool>(),
        actions in proptest::collection::vec((0usize..4, 0usize..ActionKind::ALL.len(), 0usize..5, 0i64..600), 1..80),
    ) {
        let w = world(if together { Delivery::Together } else { Delivery::AsReady });
        let mut now = at(date(2025, 3, 3), 8, 0);
        let mut s = State { group: submitted(&w, now), branches: vec![], next_code: 1 };
        settle(&w, &mut s, now)?;
        let keys = ["khai-sinh", "thuong-tru", "bhyt"];
        for (target, a, who, minutes) in actions {
            now += jiff::SignedDuration::from_mins(minutes);
            let action = ActionKind::ALL[a];
            if target == 3 {
                // The applicant on the application itself (withdrawing it, say).
                let req = ActionRequest { action: Some(action), reason: Some("Lý do".into()), ..Default::default() };
                if let Ok(t) = apply(&ctx(&w, &w.group_wf, now), &s.group, Actor::Applicant { account_id: Some(99) }, &req) {
                    s.group = t.dossier;
                }
            } else if let Some(i) = s.index(keys[target]) {
                let held = s.branches[i].branch_of.as_ref().is_some_and(|b| b.held.is_some());
                let due = s.branches[i].due_at;
                let acted = if who == 3 {
                    let req = ActionRequest { action: Some(action), ..Default::default() };
                    match apply(&ctx(&w, &w.branch_wf, now), &s.branches[i], Actor::Applicant { account_id: Some(99) }, &req) {
                        Ok(t) => { s.branches[i] = t.dossier; true }
                        Err(_) => false,
                    }
                } else {
                    officer_act(&w, &mut s, keys[target], who, action, now)
                };
                prop_assert!(!(held && acted && who != 3), "an officer moved a held branch: {:?}", action);
                if acted && action != ActionKind::Supplement {
                    prop_assert!(s.branches[i].due_at >= due || due.is_none());
                }
            }
            settle(&w, &mut s, now)?;
            // Holds match the supplements waited for.
            let waiting: Vec<&str> = s.branches.iter()
                .filter(|d| d.status == Status::SupplementRequested)
                .filter_map(|d| d.branch_of.as_ref().map(|b| b.branch.as_str()))
                .filter(|k| w.group_wf.branch(k).is_some_and(|b| b.on_supplement == Others::Wait))
                .collect();
            for d in &s.branches {
                let b = d.branch_of.as_ref().unwrap();
                if let Some(h) = &b.held {
                    prop_assert!(waiting.contains(&h.by.as_str()) && h.by != b.branch);
                    prop_assert!(!d.status.is_closed() || s.group.status.is_closed() || d.status == Status::Stopped);
                }
                if together && d.status == Status::Returned {
                    prop_assert_eq!(s.group.status, Status::Returned, "a branch returned alone");
                }
            }
            prop_assert_eq!(s.group.group.as_ref().unwrap().branches.len(), s.branches.len());
            if s.group.status.is_closed() {
                prop_assert!(s.branches.iter().all(|d| d.status.is_closed()), "{:?} closed with open branches", s.group.status);
            }
            if s.group.status == Status::Returned {
                prop_assert!(s.branches.iter().any(|d| d.status == Status::Returned));
            }
        }
    }
}

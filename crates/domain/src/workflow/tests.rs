use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::calendar::vietnam;
use crate::{AccountKind, RoleAssignment, Username};

const DESK: &str = "001.00.37.H22";
const PROC: &str = "000.00.37.H22";
const OTHER: &str = "000.00.56.H22";

pub(super) fn staff(id: i64, org: &str, role: Role) -> Account {
    Account {
        id,
        username: Username::parse(&format!("user{id}")).unwrap(),
        full_name: Name::parse("n", "Cán bộ").unwrap(),
        kind: AccountKind::Staff,
        cccd: None,
        email: None,
        phone: None,
        roles: vec![RoleAssignment { org: OrgCode::parse(org).unwrap(), role }],
        created_at: Timestamp::UNIX_EPOCH,
        disabled: false,
    }
}

struct World {
    wf: Workflow,
    cal: WorkCalendar,
    desk: Account,
    specialist: Account,
    leader: Account,
    clerk: Account,
    outsider: Account,
}

fn world() -> World {
    World {
        wf: default_workflows().unwrap().remove(0),
        cal: WorkCalendar::default(),
        desk: staff(1, DESK, Role::DeskOfficer),
        specialist: staff(2, PROC, Role::Specialist),
        leader: staff(3, PROC, Role::Leader),
        clerk: staff(4, PROC, Role::Clerk),
        outsider: staff(5, OTHER, Role::Leader),
    }
}

pub(super) fn at(d: jiff::civil::Date, h: i8, m: i8) -> Timestamp {
    vietnam().to_timestamp(d.at(h, m, 0, 0)).unwrap()
}

fn online(w: &World, now: Timestamp, days: u16) -> Dossier {
    new_dossier(
        &w.wf,
        &w.cal,
        DossierCode::parse("001.00.37.H22-250303-0001").unwrap(),
        ProcedureCode::parse("1.004873").unwrap(),
        TimeLimit::working_days(days).unwrap(),
        Applicant {
            full_name: Name::parse("n", "Nguyễn Văn An").unwrap(),
            cccd: None,
            phone: None,
            email: None,
            address: None,
        },
        Some(99),
        Channel::Online,
        OrgCode::parse(DESK).unwrap(),
        OrgCode::parse(PROC).unwrap(),
        false,
        now,
    )
    .unwrap()
}

fn act(w: &World, d: &Dossier, actor: Actor<'_>, action: ActionKind, now: Timestamp) -> Result<Dossier, ActionError> {
    let req = ActionRequest {
        action: Some(action),
        reason: Some("Lý do".into()),
        items: vec!["Bản sao giấy khai sinh".into()],
        new_due_at: d.due_at.map(|t| t + jiff::SignedDuration::from_hours(48)),
        to_org: Some(OrgCode::parse(OTHER).unwrap()),
        assignee: Some(2),
        note: None,
    };
    let ctx = Context { workflow: &w.wf, calendar: &w.cal, supplement_mode: SupplementMode::Restart, now };
    apply(&ctx, d, actor, &req).map(|t| t.dossier)
}

#[test]
fn shipped_workflows_are_valid() {
    let all = default_workflows().unwrap();
    assert_eq!(
        all.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(),
        vec!["5-buoc", "lien-thong", "lien-thong-khai-sinh", "lien-thong-khai-tu"]
    );
    // The linked ones fork after their one reception step.
    assert!(all[2..].iter().all(|w| w.steps.len() == 1 && w.branches.len() == 3));
    assert_eq!(
        all[0].steps.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
        vec!["receive", "appraise", "approve", "sign", "return"]
    );
}

#[test]
fn bad_workflows_are_refused() {
    let base = || default_workflows().unwrap().remove(0);
    let mut w = base();
    w.steps[4].next = Some("receive".into());
    assert!(w.check().unwrap_err().reason.contains("vòng lặp"));
    let mut w = base();
    w.steps[1].next = Some("nowhere".into());
    assert!(w.check().is_err());
    let mut w = base();
    w.steps[1].actions.push(ActionKind::Withdraw);
    assert!(w.check().is_err());
    let mut w = base();
    w.steps[0].actions.retain(|a| *a != ActionKind::Receive);
    assert!(w.check().is_err());
    let mut w = base();
    w.steps[1].budget_percent = 90;
    assert!(w.check().is_err());
    let mut w = base();
    w.code = "Quy Trình".into();
    assert!(w.check().is_err());
}

#[test]
fn five_steps_from_submission_to_return() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = online(&w, t0, 3);
    assert_eq!((d.status, d.step.as_deref(), d.due_at), (Status::New, Some("receive"), None));
    let d = act(&w, &d, Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    assert_eq!((d.status.code(), d.step.as_deref()), (2, Some("appraise")));
    assert_eq!(d.due_at, Some(at(date(2025, 3, 6), 9, 0)));
    let d = act(&w, &d, Actor::Staff(&w.specialist), ActionKind::Forward, t0).unwrap();
    assert_eq!((d.status.code(), d.step.as_deref()), (4, Some("approve")));
    let d = act(&w, &d, Actor::Staff(&w.leader), ActionKind::Approve, t0).unwrap();
    let d = act(&w, &d, Actor::Staff(&w.clerk), ActionKind::Sign, t0).unwrap();
    assert_eq!((d.status.code(), d.step.as_deref()), (9, Some("return")));
    let t1 = at(date(2025, 3, 4), 10, 0);
    let d = act(&w, &d, Actor::Staff(&w.desk), ActionKind::ReturnResult, t1).unwrap();
    assert_eq!((d.status.code(), d.step.as_deref()), (10, None));
    assert_eq!(d.timeliness(t1), Timeliness::Early);
    assert!(matches!(
        act(&w, &d, Actor::Staff(&w.desk), ActionKind::ReturnResult, t1),
        Err(ActionError::Closed { .. })
    ));
}

#[test]
fn only_the_right_role_in_the_right_organisation() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = online(&w, t0, 3);
    // The leader of the processing organisation cannot receive at the desk.
    assert!(matches!(
        act(&w, &d, Actor::Staff(&w.leader), ActionKind::Receive, t0),
        Err(ActionError::Forbidden { .. })
    ));
    // A desk officer of another organisation cannot either.
    let other_desk = staff(6, OTHER, Role::DeskOfficer);
    assert!(matches!(
        act(&w, &d, Actor::Staff(&other_desk), ActionKind::Receive, t0),
        Err(ActionError::Forbidden { .. })
    ));
    // Not the action of this step.
    let e = act(&w, &d, Actor::Staff(&w.desk), ActionKind::Sign, t0).unwrap_err();
    assert_eq!(e.code(), "action_not_allowed");
    assert!(e.to_string().contains("Tiếp nhận"), "{e}");
    let d = act(&w, &d, Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    // Someone else's leader cannot stop it; the applicant cannot forward it.
    assert!(matches!(act(&w, &d, Actor::Staff(&w.outsider), ActionKind::Stop, t0), Err(ActionError::Forbidden { .. })));
    assert!(matches!(
        act(&w, &d, Actor::Applicant { account_id: Some(99) }, ActionKind::Forward, t0),
        Err(ActionError::Forbidden { .. })
    ));
    // Only the owner withdraws.
    assert!(matches!(
        act(&w, &d, Actor::Applicant { account_id: Some(7) }, ActionKind::Withdraw, t0),
        Err(ActionError::Forbidden { .. })
    ));
    let d = act(&w, &d, Actor::Applicant { account_id: Some(99) }, ActionKind::Withdraw, t0).unwrap();
    assert_eq!(d.status, Status::Withdrawn);
    assert_eq!(d.allowed_actions(&w.wf, Actor::Staff(&w.leader), t0), vec![]);
}

#[test]
fn allowed_actions_are_what_apply_accepts() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = online(&w, t0, 3);
    assert_eq!(
        d.allowed_actions(&w.wf, Actor::Staff(&w.desk), t0),
        vec![ActionKind::Receive, ActionKind::RequestSupplement, ActionKind::Refuse]
    );
    assert_eq!(d.allowed_actions(&w.wf, Actor::Applicant { account_id: Some(99) }, t0), vec![ActionKind::Withdraw]);
}

#[test]
fn supplement_restarts_the_clock_and_twice_is_late() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = act(&w, &online(&w, t0, 3), Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    let t1 = at(date(2025, 3, 4), 9, 0);
    let d = act(&w, &d, Actor::Staff(&w.specialist), ActionKind::RequestSupplement, t1).unwrap();
    assert_eq!((d.status.code(), d.supplement_requests), (5, 1));
    // Nothing moves while waiting on the applicant.
    assert!(act(&w, &d, Actor::Staff(&w.specialist), ActionKind::Forward, t1).is_err());
    let t2 = at(date(2025, 3, 10), 9, 0);
    let d = act(&w, &d, Actor::Applicant { account_id: Some(99) }, ActionKind::Supplement, t2).unwrap();
    assert_eq!((d.status.code(), d.due_at), (2, Some(at(date(2025, 3, 13), 9, 0))), "restarted from resubmission");
    assert_eq!(d.waiting_minutes, 4 * 450);
    // A second request makes it late whatever the dates.
    let d = act(&w, &d, Actor::Staff(&w.specialist), ActionKind::RequestSupplement, t2).unwrap();
    let d = act(&w, &d, Actor::Applicant { account_id: Some(99) }, ActionKind::Supplement, t2).unwrap();
    let d = act(&w, &d, Actor::Staff(&w.specialist), ActionKind::Forward, t2).unwrap();
    let d = act(&w, &d, Actor::Staff(&w.leader), ActionKind::Approve, t2).unwrap();
    let d = act(&w, &d, Actor::Staff(&w.clerk), ActionKind::Sign, t2).unwrap();
    assert_eq!(d.timeliness(t2), Timeliness::Late);
}

#[test]
fn pause_mode_keeps_the_time_left() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let ctx = |now| Context { workflow: &w.wf, calendar: &w.cal, supplement_mode: SupplementMode::Pause, now };
    let d = act(&w, &online(&w, t0, 3), Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    let req =
        |a| ActionRequest { action: Some(a), reason: Some("x".into()), items: vec!["y".into()], ..Default::default() };
    // Asked after one day (2 left), answered a week later: due two working days after that.
    let t1 = at(date(2025, 3, 4), 9, 0);
    let d = apply(&ctx(t1), &d, Actor::Staff(&w.specialist), &req(ActionKind::RequestSupplement)).unwrap().dossier;
    let t2 = at(date(2025, 3, 11), 9, 0);
    let d =
        apply(&ctx(t2), &d, Actor::Applicant { account_id: Some(99) }, &req(ActionKind::Supplement)).unwrap().dossier;
    assert_eq!(d.due_at, Some(at(date(2025, 3, 13), 9, 0)));
}

#[test]
fn apology_once_and_only_before_due() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = act(&w, &online(&w, t0, 3), Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    let due = d.due_at.unwrap();
    let d2 = act(&w, &d, Actor::Staff(&w.leader), ActionKind::Apologise, t0).unwrap();
    assert_eq!((d2.original_due_at, d2.apologised), (Some(due), true));
    assert!(d2.due_at.unwrap() > due);
    let again = act(&w, &d2, Actor::Staff(&w.leader), ActionKind::Apologise, t0).unwrap_err();
    assert!(again.to_string().contains("một lần"), "{again}");
    let late = act(&w, &d, Actor::Staff(&w.leader), ActionKind::Apologise, due + jiff::SignedDuration::from_mins(1))
        .unwrap_err();
    assert!(late.to_string().contains("trước thời hạn"), "{late}");
    assert!(matches!(
        act(&w, &d, Actor::Staff(&w.specialist), ActionKind::Apologise, t0),
        Err(ActionError::Forbidden { .. })
    ));
}

#[test]
fn reasons_are_required() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let d = online(&w, t0, 3);
    let ctx = Context { workflow: &w.wf, calendar: &w.cal, supplement_mode: SupplementMode::Restart, now: t0 };
    let e = apply(
        &ctx,
        &d,
        Actor::Staff(&w.desk),
        &ActionRequest { action: Some(ActionKind::Refuse), ..Default::default() },
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_action");
    let e = apply(
        &ctx,
        &d,
        Actor::Staff(&w.desk),
        &ActionRequest { action: Some(ActionKind::RequestSupplement), reason: Some("x".into()), ..Default::default() },
    )
    .unwrap_err();
    assert!(e.to_string().contains("liệt kê"));
}

#[test]
fn timeliness_by_the_766_formula() {
    let w = world();
    let t0 = at(date(2025, 3, 3), 9, 0);
    let mut d = act(&w, &online(&w, t0, 3), Actor::Staff(&w.desk), ActionKind::Receive, t0).unwrap();
    let due = d.due_at.unwrap();
    assert_eq!(d.timeliness(t0), Timeliness::Pending);
    assert_eq!(d.timeliness(due + jiff::SignedDuration::from_secs(1)), Timeliness::Overdue);
    d.finished_at = Some(due);
    assert_eq!(d.timeliness(due), Timeliness::OnTime);
    d.finished_at = Some(due + jiff::SignedDuration::from_secs(1));
    assert_eq!(d.timeliness(due), Timeliness::Late);
}

const ACTIONS: [ActionKind; 22] = ActionKind::ALL;

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random sequences of actions by random actors never break the invariants.
    #[test]
    fn random_action_sequences_keep_invariants(
        steps in proptest::collection::vec((0usize..ACTIONS.len(), 0usize..8, 0i64..(3 * 24 * 60)), 1..60),
        days in 1u16..10,
    ) {
        let w = world();
        let applicant = |id| Actor::Applicant { account_id: Some(id) };
        let stranger_desk = staff(8, OTHER, Role::DeskOfficer);
        let mut now = at(date(2025, 1, 20), 8, 0);
        let mut d = online(&w, now, days);
        for (a, who, minutes) in steps {
            now += jiff::SignedDuration::from_mins(minutes);
            let actor = match who {
                0 => Actor::Staff(&w.desk),
                1 => Actor::Staff(&w.specialist),
                2 => Actor::Staff(&w.leader),
                3 => Actor::Staff(&w.clerk),
                4 => Actor::Staff(&w.outsider),
                5 => Actor::Staff(&stranger_desk),
                6 => applicant(99),
                _ => applicant(7),
            };
            let was_closed = d.status.is_closed();
            match act(&w, &d, actor, ACTIONS[a], now) {
                Ok(next) => {
                    prop_assert!(!was_closed, "a closed dossier accepted {:?}", ACTIONS[a]);
                    prop_assert!(d.allowed_actions(&w.wf, actor, now).contains(&ACTIONS[a]));
                    d = next;
                }
                Err(e) => {
                    if was_closed {
                        prop_assert!(matches!(e, ActionError::Closed { .. }), "closed dossier gave another error");
                    }
                }
            }
            // Exactly one current step while open, none once closed, and it exists.
            prop_assert_eq!(d.status.is_closed(), d.step.is_none());
            if let Some(k) = &d.step {
                prop_assert!(w.wf.step(k).is_some());
            }
            if let (Some(r), Some(due)) = (d.received_at, d.due_at) {
                prop_assert!(due > r, "due {} before received {}", due, r);
            }
            prop_assert!(d.received_at.is_some() == d.due_at.is_some());
            if matches!(d.status, Status::Done | Status::Returned | Status::Stopped | Status::NotAccepted) {
                prop_assert!(d.finished_at.is_some());
            }
            prop_assert!(d.processing_org.as_str() == PROC || d.processing_org.as_str() == OTHER);
        }
    }
}

#[test]
fn every_status_and_action_has_both_labels() {
    for st in Status::ALL {
        assert!(!st.label_vi().is_empty() && !st.label_en().is_empty() && st.label_vi() != st.label_en());
    }
    for a in ActionKind::ALL {
        assert!(!a.label_vi().is_empty() && !a.label_en().is_empty() && a.label_vi() != a.label_en());
    }
}

use jiff::civil::date;

use super::*;
use crate::calendar::{CalendarRules, WorkCalendar as Calendar, vietnam};

fn cal() -> Calendar {
    Calendar::new(CalendarRules::default(), vec![]).unwrap()
}

fn at(y: i16, m: i8, d: i8, h: i8) -> Timestamp {
    vietnam().to_timestamp(date(y, m, d).at(h, 0, 0, 0)).unwrap()
}

fn user(u: &str) -> Username {
    Username::parse(u).unwrap()
}

fn note(s: &str) -> Note {
    Note::parse("ghi chú", s).unwrap()
}

fn leader() -> Actor {
    Actor { username: user("halong.lanhdao"), leader: true }
}

fn staff(u: &str) -> Actor {
    Actor { username: user(u), leader: false }
}

fn assignment(direction: Direction) -> Assignment {
    Assignment {
        document: 41,
        org: OrgCode::parse("000.00.37.H22").unwrap(),
        direction,
        handler: user("halong.chuyenvien"),
        co_handlers: vec![user("halong.motcua"), user("halong.vanthu")],
        days: 5,
        note: Some(note("Chủ trì tham mưu trả lời Sở Tư pháp.")),
    }
}

fn assigned(direction: Direction) -> WorkItem {
    WorkItem::assign(assignment(direction), &leader(), &cal(), at(2026, 3, 2, 9)).unwrap()
}

#[test]
fn a_document_is_assigned_handled_with_a_co_handler_approved_and_replied() {
    // Assigned on Monday 2 March 2026 at 09:00 for 5 working days: due the next Monday 09:00.
    let mut w = assigned(Direction::Handle);
    assert_eq!((w.status, w.due_at), (WorkStatus::Assigned, at(2026, 3, 9, 9)));
    let handler = staff("halong.chuyenvien");
    let co = staff("halong.motcua");
    w.progress(&handler, note("Đã đối chiếu với quy định."), at(2026, 3, 2, 10)).unwrap();
    assert_eq!(w.status, WorkStatus::InProgress);
    w.ask(&handler, &co.username, note("Số hồ sơ tồn quý I?"), at(2026, 3, 2, 11)).unwrap();
    assert_eq!(w.waiting_for(), vec![&co.username]);
    w.give_input(&co, note("12 hồ sơ."), at(2026, 3, 3, 9)).unwrap();
    assert!(w.waiting_for().is_empty(), "answered");
    w.submit_draft(&handler, note("Dự thảo công văn trả lời."), at(2026, 3, 4, 9)).unwrap();
    assert_eq!(w.status, WorkStatus::AwaitingApproval);
    // Sent back once, then approved.
    w.send_back(&leader(), note("Bổ sung số liệu tháng 2."), at(2026, 3, 4, 10)).unwrap();
    assert_eq!(w.status, WorkStatus::InProgress);
    w.submit_draft(&handler, note("Dự thảo đã bổ sung."), at(2026, 3, 5, 9)).unwrap();
    w.approve(&leader(), at(2026, 3, 5, 10)).unwrap();
    assert_eq!((w.status, w.draft.as_ref().map(|d| d.as_str())), (WorkStatus::Approved, Some("Dự thảo đã bổ sung.")));
    w.replied(&handler, 77, at(2026, 3, 5, 11)).unwrap();
    assert_eq!((w.status, w.reply, w.on_time()), (WorkStatus::Done, Some(77), Some(true)));
    let kinds: Vec<&str> = w
        .entries
        .iter()
        .map(|e| match e.kind {
            EntryKind::Assigned => "assigned",
            EntryKind::Progress => "progress",
            EntryKind::Question { .. } => "question",
            EntryKind::Input => "input",
            EntryKind::Draft => "draft",
            EntryKind::SentBack => "sent_back",
            EntryKind::Approved => "approved",
            EntryKind::Replied { .. } => "replied",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["assigned", "progress", "question", "input", "draft", "sent_back", "draft", "approved", "replied"],
        "every step recorded in order"
    );
    // Done is done.
    assert!(matches!(w.progress(&handler, note("x"), at(2026, 3, 6, 9)), Err(WorkError::NotNow { .. })));
    // Kept as JSON, it comes back whole.
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(serde_json::from_str::<WorkItem>(&json).unwrap(), w);
}

#[test]
fn each_does_only_their_part() {
    let mut w = assigned(Direction::Handle);
    let handler = staff("halong.chuyenvien");
    let co = staff("halong.motcua");
    let stranger = staff("halong.quantri");
    let yours = |r: Result<(), WorkError>| matches!(r, Err(WorkError::NotYours { .. }));
    // Only a leader assigns.
    assert!(matches!(
        WorkItem::assign(assignment(Direction::Handle), &handler, &cal(), at(2026, 3, 2, 9)),
        Err(WorkError::NotYours { .. })
    ));
    // A co-handler gives input but neither records progress, drafts, approves nor replies.
    assert!(yours(w.progress(&co, note("x"), at(2026, 3, 2, 10))));
    assert!(yours(w.submit_draft(&co, note("x"), at(2026, 3, 2, 10))));
    assert!(yours(w.give_input(&stranger, note("x"), at(2026, 3, 2, 10))));
    assert!(yours(w.give_input(&handler, note("x"), at(2026, 3, 2, 10))), "the handler is not a co-handler");
    w.give_input(&co, note("Góp ý trước."), at(2026, 3, 2, 10)).unwrap();
    // Questions go to co-handlers only.
    assert_eq!(
        w.ask(&handler, &stranger.username, note("?"), at(2026, 3, 2, 11)),
        Err(WorkError::NotCoHandler("halong.quantri".into()))
    );
    w.submit_draft(&handler, note("Dự thảo."), at(2026, 3, 3, 9)).unwrap();
    assert!(yours(w.approve(&co, at(2026, 3, 3, 10))), "a co-handler cannot approve");
    assert!(yours(w.approve(&handler, at(2026, 3, 3, 10))), "nor the handler their own draft");
    assert!(yours(w.send_back(&co, note("x"), at(2026, 3, 3, 10))));
    // Nothing goes out before approval.
    assert!(matches!(w.replied(&handler, 1, at(2026, 3, 3, 10)), Err(WorkError::NotNow { .. })));
    w.approve(&leader(), at(2026, 3, 3, 10)).unwrap();
    assert!(yours(w.replied(&co, 1, at(2026, 3, 3, 11))));
    assert!(matches!(w.give_input(&co, note("muộn"), at(2026, 3, 3, 11)), Err(WorkError::NotNow { .. })));
}

#[test]
fn a_document_for_information_closes_once_read() {
    let mut w = assigned(Direction::Information);
    let handler = staff("halong.chuyenvien");
    assert!(matches!(w.submit_draft(&handler, note("x"), at(2026, 3, 2, 10)), Err(WorkError::NotNow { .. })));
    assert!(matches!(w.read(&staff("halong.motcua"), at(2026, 3, 2, 10)), Err(WorkError::NotYours { .. })));
    w.read(&handler, at(2026, 3, 2, 10)).unwrap();
    assert_eq!((w.status, w.on_time()), (WorkStatus::Done, Some(true)));
    assert!(w.read(&handler, at(2026, 3, 2, 11)).is_err(), "once");
    // A document to handle is not closed by reading it.
    let mut h = assigned(Direction::Handle);
    assert!(h.read(&handler, at(2026, 3, 2, 10)).is_err());
}

#[test]
fn deadlines_count_working_days_and_lateness_shows() {
    // Assigned on Wednesday 29 April 2026 (before the 30 April and 1 May holidays) for 3
    // working days: Monday 4, Tuesday 5, Wednesday 6 May.
    let mut w = WorkItem::assign(
        Assignment { days: 3, ..assignment(Direction::Report) },
        &leader(),
        &cal(),
        at(2026, 4, 29, 9),
    )
    .unwrap();
    assert_eq!(w.due_at, at(2026, 5, 6, 9));
    assert!(!w.overdue(at(2026, 5, 6, 9)) && w.overdue(at(2026, 5, 6, 10)));
    // Done late: not on time, and no longer overdue.
    let handler = staff("halong.chuyenvien");
    w.submit_draft(&handler, note("Báo cáo."), at(2026, 5, 7, 9)).unwrap();
    w.approve(&leader(), at(2026, 5, 7, 10)).unwrap();
    w.replied(&leader(), 5, at(2026, 5, 7, 11)).unwrap();
    assert_eq!((w.on_time(), w.overdue(at(2026, 5, 8, 9))), (Some(false), false));
}

#[test]
fn bad_assignments_are_refused_and_reassigning_keeps_the_deadline() {
    let bad = |change: fn(&mut Assignment)| {
        let mut a = assignment(Direction::Handle);
        change(&mut a);
        WorkItem::assign(a, &leader(), &cal(), at(2026, 3, 2, 9)).unwrap_err()
    };
    assert_eq!(bad(|a| a.days = 0), WorkError::Days);
    assert_eq!(bad(|a| a.days = 91), WorkError::Days);
    assert_eq!(bad(|a| a.co_handlers.push(user("halong.chuyenvien"))), WorkError::Handlers);
    assert_eq!(bad(|a| a.co_handlers.push(user("halong.motcua"))), WorkError::Handlers);
    assert_eq!(bad(|a| a.co_handlers = (0..11).map(|i| user(&format!("phoihop{i}"))).collect()), WorkError::Handlers);

    let mut w = assigned(Direction::Handle);
    let due = w.due_at;
    assert!(matches!(
        w.reassign(&staff("halong.chuyenvien"), user("halong.motcua"), vec![], None, at(2026, 3, 3, 9)),
        Err(WorkError::NotYours { .. })
    ));
    w.reassign(
        &leader(),
        user("halong.motcua"),
        vec![user("halong.chuyenvien")],
        Some(note("Đổi người chủ trì.")),
        at(2026, 3, 3, 9),
    )
    .unwrap();
    assert_eq!((w.handler.as_str(), w.due_at), ("halong.motcua", due));
    // The former handler is now a co-handler: input yes, drafts no.
    let former = staff("halong.chuyenvien");
    assert!(matches!(w.submit_draft(&former, note("x"), at(2026, 3, 3, 10)), Err(WorkError::NotYours { .. })));
    w.give_input(&former, note("Bàn giao hồ sơ."), at(2026, 3, 3, 10)).unwrap();
}

use super::*;

fn user(u: &str) -> Username {
    Username::parse(u).unwrap()
}
fn org(o: &str) -> OrgCode {
    OrgCode::parse(o).unwrap()
}
fn title(s: &str) -> Title {
    Title::parse("tiêu đề", s).unwrap()
}
fn remark(s: &str) -> Remark {
    Remark::parse("ý kiến", s).unwrap()
}
fn who(u: &str) -> Actor {
    Actor { username: user(u), leader: u.ends_with("lanhdao") }
}

const NOW: i64 = 1_780_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

/// Organised by the committee's clerk, chaired by its leader; one officer of the committee
/// and one of the department invited.
fn meeting() -> Meeting {
    let plan = Plan {
        org: org("000.00.37.H22"),
        org_name: "UBND phường Hạ Long".into(),
        chair: user("halong.lanhdao"),
        chair_name: "Bùi Minh Tuấn".into(),
        title: title("Họp giao ban tháng 12"),
        starts_at: Timestamp::from_second(NOW + 3600).unwrap(),
        place: title("Phòng họp số 1"),
        invitees: vec![
            (user("halong.chuyenvien"), org("000.00.37.H22"), "UBND phường Hạ Long".into(), "Chuyên viên".into()),
            (user("stp.lanhdao"), org("000.00.12.H22"), "Sở Tư pháp".into(), "Lãnh đạo Sở".into()),
        ],
        items: vec![
            (title("Tình hình giải quyết hồ sơ"), user("halong.chuyenvien"), vec![]),
            (title("Kế hoạch năm 2027"), user("halong.lanhdao"), vec![]),
        ],
    };
    Meeting::call(plan, (&user("halong.vanthu"), "Văn thư"), now()).unwrap()
}

#[test]
fn a_meeting_needs_invitees_items_a_future_time_and_known_presenters() {
    let base = meeting();
    let mut plan = Plan {
        org: base.org.clone(),
        org_name: String::new(),
        chair: base.chair.clone(),
        chair_name: String::new(),
        title: base.title.clone(),
        starts_at: base.starts_at,
        place: base.place.clone(),
        invitees: vec![(user("a.b"), base.org.clone(), String::new(), "A".into())],
        items: vec![(title("Một"), user("a.b"), vec![])],
    };
    assert!(Meeting::call(plan.clone(), (&user("halong.vanthu"), ""), now()).is_ok());
    plan.items[0].1 = user("nobody.here");
    assert!(matches!(Meeting::call(plan.clone(), (&user("halong.vanthu"), ""), now()), Err(MeetingError::Invalid(_))));
    plan.items[0].1 = user("a.b");
    plan.invitees.push((user("a.b"), base.org.clone(), String::new(), "A".into()));
    assert!(Meeting::call(plan.clone(), (&user("halong.vanthu"), ""), now()).is_err(), "invited twice");
    plan.invitees.pop();
    plan.starts_at = Timestamp::from_second(NOW - 1).unwrap();
    assert!(Meeting::call(plan.clone(), (&user("halong.vanthu"), ""), now()).is_err(), "in the past");
    plan.starts_at = base.starts_at;
    plan.items.clear();
    assert!(Meeting::call(plan, (&user("halong.vanthu"), ""), now()).is_err(), "no agenda");
}

#[test]
fn invitees_confirm_decline_or_send_a_delegate_who_takes_their_place() {
    let mut m = meeting();
    m.apply(&who("halong.chuyenvien"), Act::Confirm, now()).unwrap();
    m.apply(&who("stp.lanhdao"), Act::Delegate { to: user("stp.chuyenvien"), name: "CV Sở".into() }, now()).unwrap();
    let d = m.invitee(&user("stp.chuyenvien")).unwrap();
    assert_eq!((d.org.as_str(), d.delegate_of.as_ref().map(Username::as_str)), ("000.00.12.H22", Some("stp.lanhdao")));
    assert!(!m.takes_part(&user("stp.lanhdao")) && m.involves(&user("stp.lanhdao")));
    assert!(m.takes_part(&user("stp.chuyenvien")));
    // A delegate cannot be sent twice, nor someone already there.
    assert!(m.apply(&who("stp.lanhdao"), Act::Confirm, now()).is_err());
    let again = Act::Delegate { to: user("halong.chuyenvien"), name: "x".into() };
    assert!(m.apply(&who("halong.chuyenvien"), again, now()).is_err());
    assert!(matches!(m.apply(&who("outsider.x"), Act::Confirm, now()), Err(MeetingError::NotYours { .. })));
    m.apply(&who("halong.chuyenvien"), Act::Decline { reason: Some(remark("Đi công tác")) }, now()).unwrap();
    assert_eq!(m.invitee(&user("halong.chuyenvien")).unwrap().response, Response::Declined);
    assert_eq!(m.recipients(), vec![org("000.00.12.H22")], "the other organisation, once");
}

#[test]
fn the_chair_leads_items_and_opinions_are_counted_from_those_present() {
    let mut m = meeting();
    m.apply(&who("halong.chuyenvien"), Act::Comment { item: 1, text: remark("Đề nghị bổ sung số liệu") }, now())
        .unwrap();
    assert!(m.apply(&who("halong.chuyenvien"), Act::Start, now()).is_err(), "only the chair opens");
    m.apply(&who("halong.lanhdao"), Act::Start, now()).unwrap();
    assert_eq!((m.status, m.current), (MeetingStatus::InProgress, Some(0)));
    m.apply(&who("halong.lanhdao"), Act::Open { item: 1 }, now()).unwrap();
    assert_eq!(m.current, Some(1));
    assert!(matches!(m.apply(&who("halong.lanhdao"), Act::Open { item: 7 }, now()), Err(MeetingError::NoItem(8))));
    let agree = |text: Option<Remark>| Act::Opinion { item: 1, choice: Choice::Agree, text };
    assert!(m.apply(&who("halong.chuyenvien"), agree(None), now()).is_err(), "not checked in");
    m.apply(&who("halong.chuyenvien"), Act::CheckIn, now()).unwrap();
    assert!(m.apply(&who("halong.chuyenvien"), agree(None), now()).is_err(), "opinions not asked for");
    m.apply(&who("halong.lanhdao"), Act::Ask { item: 1 }, now()).unwrap();
    m.apply(&who("halong.chuyenvien"), agree(None), now()).unwrap();
    let other = Act::Opinion { item: 1, choice: Choice::Other, text: Some(remark("Lùi sang quý II")) };
    m.apply(&who("halong.chuyenvien"), other, now()).unwrap();
    m.apply(&who("halong.lanhdao"), agree(None), now()).unwrap();
    assert_eq!(m.items[1].tally(), Tally { agree: 1, disagree: 0, other: 1 }, "one opinion each, the last kept");
    m.apply(&who("halong.lanhdao"), Act::Open { item: 0 }, now()).unwrap();
    assert!(!m.items[1].open, "moving on stops the opinions");
    assert!(m.apply(&who("halong.chuyenvien"), agree(None), now()).is_err());
    m.apply(&who("halong.lanhdao"), Act::End, now()).unwrap();
    assert_eq!((m.status, m.current), (MeetingStatus::Ended, None));
}

#[test]
fn signed_minutes_make_the_record_final() {
    let mut m = meeting();
    let chair = who("halong.lanhdao");
    m.apply(&chair, Act::Start, now()).unwrap();
    m.apply(&chair, Act::End, now()).unwrap();
    assert!(matches!(m.check_sign(&chair), Err(MeetingError::Invalid(_))), "no minutes yet");
    let text = MinutesText::parse("biên bản", "Nội dung").unwrap();
    let minutes = Act::Minutes { text: text.clone(), conclusion: text.clone() };
    assert!(m.apply(&who("halong.chuyenvien"), minutes.clone(), now()).is_err(), "not the organiser");
    m.apply(&who("halong.vanthu"), minutes.clone(), now()).unwrap();
    assert!(m.sign(&who("halong.vanthu"), 5, now()).is_err(), "not a leader");
    m.sign(&chair, 5, now()).unwrap();
    assert_eq!(m.signature.as_ref().map(|s| s.document), Some(5));
    for act in [minutes, Act::Comment { item: 0, text: remark("muộn") }, Act::Start, Act::Cancel, Act::Confirm] {
        let who = if matches!(act, Act::Comment { .. } | Act::Confirm) { "halong.chuyenvien" } else { "halong.vanthu" };
        assert!(m.apply(&self::who(who), act, now()).is_err());
    }
    assert!(m.sign(&chair, 6, now()).is_err(), "signed once");
}

#[test]
fn only_a_planned_meeting_is_cancelled() {
    let mut m = meeting();
    assert!(m.apply(&who("halong.chuyenvien"), Act::Cancel, now()).is_err());
    m.apply(&who("halong.vanthu"), Act::Cancel, now()).unwrap();
    assert_eq!(m.status, MeetingStatus::Cancelled);
    assert!(m.apply(&who("halong.lanhdao"), Act::Start, now()).is_err());
}

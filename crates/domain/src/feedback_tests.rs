use jiff::civil::date;

use super::*;
use crate::calendar::{CalendarRules, WorkCalendar as Calendar, vietnam};

fn cal() -> Calendar {
    Calendar::new(CalendarRules::default(), vec![]).unwrap()
}

fn at(y: i16, m: i8, d: i8, h: i8) -> Timestamp {
    vietnam().to_timestamp(date(y, m, d).at(h, 0, 0, 0)).unwrap()
}

fn submission(phone: Option<&str>) -> Submission {
    Submission {
        topic: Topic::Procedure,
        about: Some(BoundedText::parse("về", "1.001193").unwrap()),
        title: BoundedText::parse("tiêu đề", "Thành phần hồ sơ khai sinh còn yêu cầu bản sao").unwrap(),
        content: BoundedText::parse("nội dung", "Đề nghị bỏ yêu cầu bản sao giấy chứng sinh khi đã có bản điện tử.")
            .unwrap(),
        sender: Sender {
            account: None,
            name: Name::parse("họ tên", "Trần Thị Bình").unwrap(),
            phone: phone.map(|p| Phone::parse(p).unwrap()),
            email: None,
            address: None,
        },
        publish: true,
        org: OrgCode::parse("000.00.37.H22").unwrap(),
        files: vec![],
    }
}

fn file(name: &str, size: i64) -> Attachment {
    Attachment {
        index: 0,
        component: Some(3),
        filename: name.into(),
        content_type: "image/png".into(),
        size,
        sha256: "ab".repeat(32),
        kind: AttachmentKind::Result,
    }
}

#[test]
fn files_come_numbered_within_limits_and_the_answer_adds_its_own_once() {
    let cal = cal();
    let d = Deadlines::default();
    let mut s = submission(Some("0912345678"));
    s.files = vec![file("a.png", 1000), file("b.png", 2000)];
    let mut f = Feedback::receive(code(), s, &cal, d, at(2026, 3, 2, 9)).unwrap();
    // The sender's, whatever the caller said of their kind or component.
    let sent: Vec<_> =
        f.files_of(AttachmentKind::Applicant).map(|a| (a.index, a.component, a.filename.as_str())).collect();
    assert_eq!(sent, [(1, None, "a.png"), (2, None, "b.png")]);
    // Nothing with the answer before there is one.
    assert!(matches!(f.attach_to_answer(vec![file("c.pdf", 10)]), Err(FeedbackError::NotNow { .. })));
    f.answer(BoundedText::parse("trả lời", "Đã sửa.").unwrap(), "staff:b", at(2026, 3, 3, 9)).unwrap();
    f.attach_to_answer(vec![]).unwrap();
    f.attach_to_answer(vec![file("c.pdf", 10)]).unwrap();
    let answer: Vec<_> = f.files_of(AttachmentKind::Result).map(|a| (a.index, a.filename.as_str())).collect();
    assert_eq!(answer, [(3, "c.pdf")]);
    assert!(f.attach_to_answer(vec![file("d.pdf", 10)]).is_err(), "once");
    // Six files, or 20 MB and one byte, are too many.
    let mut s = submission(Some("0912345678"));
    s.files = (0..6).map(|i| file(&format!("{i}.png"), 1)).collect();
    assert_eq!(Feedback::receive(code(), s, &cal, d, at(2026, 3, 2, 9)).unwrap_err(), FeedbackError::TooManyFiles);
    let mut s = submission(Some("0912345678"));
    s.files = vec![file("a.png", MAX_TOTAL_BYTES as i64 - 1), file("b.png", 2)];
    assert_eq!(Feedback::receive(code(), s, &cal, d, at(2026, 3, 2, 9)).unwrap_err(), FeedbackError::TooManyFiles);
    // Files kept as JSON come back; a record written before files existed reads as none.
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(serde_json::from_value::<Feedback>(json.clone()).unwrap(), f);
    let mut old = json;
    old.as_object_mut().unwrap().remove("files");
    assert!(serde_json::from_value::<Feedback>(old).unwrap().files.is_empty());
}

fn code() -> FeedbackCode {
    FeedbackCode::from_random([7; 10])
}

#[test]
fn codes_are_parsed_not_trusted() {
    let c = FeedbackCode::from_random([0, 1, 2, 3, 4, 5, 6, 7, 8, 255]);
    assert_eq!(FeedbackCode::parse(c.as_str()).unwrap(), c);
    assert_eq!(FeedbackCode::parse(&c.as_str().to_lowercase()).unwrap(), c, "typed in lower case");
    for bad in ["", "PA", "PA0000000000", "XX2346799ACD", "PA2346799ACDE", "PA234679ACD'"] {
        assert!(FeedbackCode::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_way_to_answer_is_required() {
    let e = Feedback::receive(code(), submission(None), &cal(), Deadlines::default(), at(2026, 3, 2, 9));
    assert_eq!(e.unwrap_err(), FeedbackError::NoContact);
}

#[test]
fn deadlines_count_working_days_from_receipt_then_from_classification() {
    let cal = cal();
    let d = Deadlines::default();
    // Received on Monday 2 March 2026 at 09:00: to be classified by Thursday 09:00.
    let mut f = Feedback::receive(code(), submission(Some("0912345678")), &cal, d, at(2026, 3, 2, 9)).unwrap();
    assert_eq!(f.classify_due, at(2026, 3, 5, 9));
    assert_eq!(f.due_at(), f.classify_due);
    assert!(!f.overdue(at(2026, 3, 5, 9)) && f.overdue(at(2026, 3, 5, 10)));
    // Classified on Wednesday at 10:00 and sent to the competent department: ten working
    // days, over two weekends, to Wednesday 18 March 10:00.
    let to = OrgCode::parse("000.00.22.H22").unwrap();
    f.classify(Topic::Regulation, Some(to.clone()), "staff:a", &cal, d, at(2026, 3, 4, 10)).unwrap();
    assert_eq!((f.status, &f.org, f.topic), (FeedbackStatus::Processing, &to, Topic::Regulation));
    assert_eq!(f.answer_due, Some(at(2026, 3, 18, 10)));
    assert!(!f.overdue(at(2026, 3, 10, 9)), "the classification deadline no longer applies");
    assert!(f.overdue(at(2026, 3, 18, 11)));
    // Answered in time.
    f.answer(BoundedText::parse("trả lời", "Đã sửa quy định.").unwrap(), "staff:b", at(2026, 3, 17, 15)).unwrap();
    assert_eq!((f.status, f.on_time(), f.published()), (FeedbackStatus::Answered, Some(true), true));
    assert!(!f.overdue(at(2026, 4, 1, 9)), "closed");
}

#[test]
fn holidays_are_not_working_days() {
    // Received on Wednesday 29 April 2026: 30 April and 1 May are holidays, then a weekend.
    let f = Feedback::receive(code(), submission(Some("0912345678")), &cal(), Deadlines::default(), at(2026, 4, 29, 9))
        .unwrap();
    assert_eq!(f.classify_due, at(2026, 5, 6, 9));
}

#[test]
fn late_answers_and_refusals_are_late() {
    let cal = cal();
    let d = Deadlines::default();
    let mut f = Feedback::receive(code(), submission(Some("0912345678")), &cal, d, at(2026, 3, 2, 9)).unwrap();
    // Never classified, answered a week later: late against the classification deadline.
    f.answer(BoundedText::parse("trả lời", "Trả lời muộn.").unwrap(), "staff:b", at(2026, 3, 9, 9)).unwrap();
    assert_eq!(f.on_time(), Some(false));
    let mut g = Feedback::receive(code(), submission(Some("0912345678")), &cal, d, at(2026, 3, 2, 9)).unwrap();
    g.refuse(
        BoundedText::parse("lý do", "Nội dung đang được giải quyết theo thủ tục khiếu nại.").unwrap(),
        "staff:a",
        at(2026, 3, 3, 9),
    )
    .unwrap();
    assert_eq!((g.status, g.on_time(), g.published()), (FeedbackStatus::Refused, Some(true), false));
}

#[test]
fn each_step_only_once_and_in_order() {
    let cal = cal();
    let d = Deadlines::default();
    let mut f = Feedback::receive(code(), submission(Some("0912345678")), &cal, d, at(2026, 3, 2, 9)).unwrap();
    let stars = Stars::new(4).unwrap();
    assert!(matches!(f.rate(stars), Err(FeedbackError::NotNow { .. })), "nothing to rate yet");
    f.classify(Topic::Procedure, None, "staff:a", &cal, d, at(2026, 3, 2, 10)).unwrap();
    assert!(f.classify(Topic::Procedure, None, "staff:a", &cal, d, at(2026, 3, 2, 11)).is_err(), "twice");
    f.answer(BoundedText::parse("trả lời", "Đã trả lời.").unwrap(), "staff:b", at(2026, 3, 3, 9)).unwrap();
    let again = f.answer(BoundedText::parse("trả lời", "Lần nữa.").unwrap(), "staff:b", at(2026, 3, 3, 10));
    assert!(matches!(again, Err(FeedbackError::NotNow { .. })));
    assert!(f.refuse(BoundedText::parse("lý do", "x").unwrap(), "staff:b", at(2026, 3, 3, 10)).is_err());
    f.rate(stars).unwrap();
    assert_eq!(f.rate(stars), Err(FeedbackError::AlreadyRated));
    assert_eq!(f.rating, Some(stars));
}

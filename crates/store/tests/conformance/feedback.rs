//! Citizens' feedback (`FeedbackStore`), on both engines: a code is taken once; a change made
//! at a version someone else has moved past is refused whole; lists filter by organisation,
//! status, sender and the public page, whose text search works with or without diacritics.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::calendar::{CalendarRules, WorkCalendar};
use motcua_domain::feedback::{Deadlines, Feedback, FeedbackCode, FeedbackStatus, Sender, Submission, Topic};
use motcua_domain::{BoundedText, Name, OrgCode, Phone};
use motcua_store::feedback::FeedbackFilter;
use motcua_store::{Page, Store, StoreError};

use super::seed_units_and_orgs;

fn received(n: u8, org: &str, account: Option<i64>, title: &str, at: Timestamp) -> Feedback {
    let cal = WorkCalendar::new(CalendarRules::default(), vec![]).unwrap();
    let s = Submission {
        topic: Topic::Procedure,
        about: None,
        title: BoundedText::parse("t", title).unwrap(),
        content: BoundedText::parse("c", "Đề nghị bỏ yêu cầu bản sao chứng thực.").unwrap(),
        sender: Sender {
            account,
            name: Name::parse("n", "Lê Văn Cường").unwrap(),
            phone: Some(Phone::parse("0987654321").unwrap()),
            email: None,
            address: None,
        },
        publish: true,
        org: OrgCode::parse(org).unwrap(),
        files: vec![],
    };
    Feedback::receive(FeedbackCode::from_random([n; 10]), s, &cal, Deadlines::default(), at).unwrap()
}

pub async fn feedback_is_kept_changed_once_and_listed(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let t0 = Timestamp::now() - SignedDuration::from_hours(5);
    let a = received(1, "000.00.31.H22", None, "Thủ tục khai sinh còn đòi bản sao", t0);
    let b = received(2, "000.00.31.H22", Some(42), "Cán bộ hẹn nhiều lần", t0 + SignedDuration::from_mins(1));
    let c = received(3, "000.00.32.H22", None, "Phí chứng thực cao", t0 + SignedDuration::from_mins(2));
    for f in [&a, &b, &c] {
        s.add_feedback(f).await.unwrap();
    }
    assert!(matches!(s.add_feedback(&a).await, Err(StoreError::Conflict(_))), "a code is taken once");
    let stored = s.feedback(&a.code).await.unwrap().unwrap();
    assert_eq!((&stored.feedback, stored.version), (&a, 1));
    assert_eq!(s.feedback(&FeedbackCode::from_random([9; 10])).await.unwrap(), None);

    // Two officers read it at version 1; the first to write wins, the second is refused.
    let mut answered = a.clone();
    answered
        .answer(BoundedText::parse("a", "Đã bãi bỏ yêu cầu bản sao.").unwrap(), "staff:x", Timestamp::now())
        .unwrap();
    let mut refused = a.clone();
    refused.refuse(BoundedText::parse("a", "Không thuộc phạm vi.").unwrap(), "staff:y", Timestamp::now()).unwrap();
    s.save_feedback(&answered, 1).await.unwrap();
    assert!(matches!(s.save_feedback(&refused, 1).await, Err(StoreError::Conflict(_))));
    let now = s.feedback(&a.code).await.unwrap().unwrap();
    assert_eq!((now.feedback.status, now.version), (FeedbackStatus::Answered, 2));

    let list = |f: FeedbackFilter| {
        let s = s.clone();
        async move {
            let p = s.list_feedback(&f, Page::default()).await.unwrap();
            (p.total, p.items.into_iter().map(|x| x.code).collect::<Vec<_>>())
        }
    };
    let hl = Some(OrgCode::parse("000.00.31.H22").unwrap());
    assert_eq!(
        list(FeedbackFilter { org: hl.clone(), ..Default::default() }).await,
        (2, vec![b.code.clone(), a.code.clone()])
    );
    let open = FeedbackFilter { org: hl, status: Some(FeedbackStatus::Received), ..Default::default() };
    assert_eq!(list(open).await, (1, vec![b.code.clone()]));
    assert_eq!(list(FeedbackFilter { account: Some(42), ..Default::default() }).await, (1, vec![b.code.clone()]));
    // The public page: only the answered one its sender agreed to publish; found by the
    // answer's words, with or without diacritics, not by the sender's name.
    let public =
        |text: Option<&str>| FeedbackFilter { published: true, text: text.map(str::to_owned), ..Default::default() };
    assert_eq!(list(public(None)).await, (1, vec![a.code.clone()]));
    assert_eq!(list(public(Some("bai bo BẢN SAO"))).await, (1, vec![a.code.clone()]));
    assert_eq!(list(public(Some("Cường"))).await.0, 0, "the sender is not searchable");
    assert_eq!(list(public(Some("50%_"))).await.0, 0, "LIKE's wildcards are text");

    // Counted by organisation and topic over the days received: a is answered in time, b
    // and c open; with the clock a month on, they are overdue.
    let counts =
        s.feedback_counts(t0 - SignedDuration::from_hours(1), Timestamp::now(), Timestamp::now()).await.unwrap();
    let hl = counts.iter().find(|c| c.org.as_str() == "000.00.31.H22").expect("Hạ Long's");
    assert_eq!(
        (hl.topic.as_str(), hl.received, hl.answered, hl.refused, hl.closed_on_time, hl.overdue),
        ("procedure", 2, 1, 0, 1, 0)
    );
    let later = Timestamp::now() + SignedDuration::from_hours(24 * 30);
    let counts = s.feedback_counts(t0 - SignedDuration::from_hours(1), Timestamp::now(), later).await.unwrap();
    let overdue: i64 = counts.iter().map(|c| c.overdue).sum();
    assert_eq!(overdue, 2, "{counts:?}");
    let none = s
        .feedback_counts(t0 - SignedDuration::from_hours(10), t0 - SignedDuration::from_hours(9), later)
        .await
        .unwrap();
    assert!(none.is_empty(), "outside the period");
}

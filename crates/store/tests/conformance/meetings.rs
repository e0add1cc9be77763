//! Paperless meetings: kept whole with their invitations, changed once at the version read,
//! never again once signed, listed for whoever is involved.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::meeting::{Act, Actor, Meeting, Plan, Title};
use motcua_domain::{OrgCode, Username};
use motcua_store::payments::NewNotification;
use motcua_store::{Page, Store, StoreError};

use super::seed_units_and_orgs;

fn user(u: &str) -> Username {
    Username::parse(u).unwrap()
}

fn plan(invitees: &[&str]) -> Plan {
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    Plan {
        org: org.clone(),
        org_name: "UBND".into(),
        chair: user("chutri"),
        chair_name: "Chủ trì".into(),
        title: Title::parse("t", "Họp giao ban").unwrap(),
        starts_at: Timestamp::now() + SignedDuration::from_hours(2),
        place: Title::parse("p", "Phòng 1").unwrap(),
        invitees: invitees.iter().map(|u| (user(u), org.clone(), "UBND".to_owned(), u.to_string())).collect(),
        items: vec![(Title::parse("t", "Nội dung 1").unwrap(), user("chutri"), vec![])],
    }
}

fn invitation(to: &str) -> NewNotification {
    NewNotification {
        dossier: None,
        event_seq: 0,
        topic: Some(format!("meeting:test:{to}")),
        channel: "email".into(),
        recipient: format!("{to}@example.org"),
        subject: "Giấy mời họp".into(),
        body: "Mời dự họp".into(),
    }
}

pub async fn meetings_are_kept_changed_once_and_final_when_signed(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let now = Timestamp::now();
    let a = Meeting::call(plan(&["anh", "binh"]), (&user("vanthu"), "Văn thư"), now).unwrap();
    let id = s.add_meeting(&a, &[invitation("anh"), invitation("binh")]).await.unwrap();
    let other =
        s.add_meeting(&Meeting::call(plan(&["cuong"]), (&user("vanthu"), "Văn thư"), now).unwrap(), &[]).await.unwrap();
    assert_ne!(id, other);
    let queued = s.due_notifications(now + SignedDuration::from_secs(5), 50).await.unwrap();
    assert_eq!(queued.iter().filter(|n| n.note.subject == "Giấy mời họp").count(), 2, "invitations with the meeting");

    let stored = s.meeting(id).await.unwrap().unwrap();
    assert_eq!((stored.meeting.id, stored.version), (id, 1));
    assert_eq!(stored.meeting.invitees, a.invitees);
    assert!(s.meeting(999_999).await.unwrap().is_none());

    // Listed for whoever is involved: organiser, chair, invitees, a delegate once sent.
    let ids = |p: &str| {
        let s = s.clone();
        let p = user(p);
        async move {
            s.list_meetings(&p, Page::new(None, None))
                .await
                .unwrap()
                .items
                .iter()
                .map(|m| m.meeting.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("vanthu").await, vec![other, id], "the latest first (same time: the newest)");
    assert_eq!(ids("anh").await, vec![id]);
    assert!(ids("dung").await.is_empty());
    let mut m = stored.meeting.clone();
    m.apply(&Actor { username: user("anh"), leader: false }, Act::Delegate { to: user("dung"), name: "D".into() }, now)
        .unwrap();
    s.save_meeting(&m, 1, &[invitation("dung")]).await.unwrap();
    assert_eq!(ids("dung").await, vec![id]);
    assert!(matches!(s.save_meeting(&m, 1, &[]).await, Err(StoreError::Conflict(_))), "stale version");

    // Signed: never written again, whatever version is named.
    let chair = Actor { username: user("chutri"), leader: true };
    m.apply(&chair, Act::Start, now).unwrap();
    m.apply(&chair, Act::End, now).unwrap();
    let text = motcua_domain::meeting::MinutesText::parse("b", "Biên bản").unwrap();
    m.apply(&chair, Act::Minutes { text: text.clone(), conclusion: text }, now).unwrap();
    m.sign(&chair, 1, now).unwrap();
    s.save_meeting(&m, 2, &[]).await.unwrap();
    let signed = s.meeting(id).await.unwrap().unwrap();
    assert_eq!((signed.version, signed.meeting.signature.is_some()), (3, true));
    let mut changed = signed.meeting.clone();
    changed.title = Title::parse("t", "Sửa sau khi ký").unwrap();
    assert!(matches!(s.save_meeting(&changed, 3, &[]).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.meeting(id).await.unwrap().unwrap().meeting.title.as_str(), "Họp giao ban");
}

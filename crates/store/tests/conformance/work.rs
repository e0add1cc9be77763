//! Work files for incoming documents: kept whole, changed once at the version read, listed
//! by organisation and by officer (main handler or co-handler), open and earliest due first.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::calendar::{CalendarRules, WorkCalendar};
use motcua_domain::work::{Actor, Assignment, Direction, Note, WorkItem, WorkStatus};
use motcua_domain::{OrgCode, Username};
use motcua_store::documents::{Dedup, Direction as Register};
use motcua_store::work::WorkFilter;
use motcua_store::{Page, Store, StoreError};

use super::{documents, seed_units_and_orgs};

fn user(u: &str) -> Username {
    Username::parse(u).unwrap()
}

/// An incoming document at the Hạ Long committee: its register entry's id.
async fn incoming(s: &Arc<dyn Store>, n: i64) -> i64 {
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    let id = format!("000.00.01.H22,2026/12/05,{n}/STP");
    let d = documents::created(
        s.create_document(&org, Register::Incoming, 2026, Dedup::ByDocumentId(&id), &|_| {
            Ok(documents::write(&id, "000.00.01.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    d.id
}

fn assign(document: i64, handler: &str, co: &[&str], days: u16, now: Timestamp) -> WorkItem {
    let leader = Actor { username: user("lanhdao"), leader: true };
    let cal = WorkCalendar::new(CalendarRules::default(), vec![]).unwrap();
    let a = Assignment {
        document,
        org: OrgCode::parse("000.00.31.H22").unwrap(),
        direction: Direction::Handle,
        handler: user(handler),
        co_handlers: co.iter().map(|c| user(c)).collect(),
        days,
        note: None,
    };
    WorkItem::assign(a, &leader, &cal, now).unwrap()
}

pub async fn work_is_kept_changed_once_and_listed_by_whoever_works_on_it(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let now = Timestamp::now();
    let (d1, d2, d3) = (incoming(&s, 1).await, incoming(&s, 2).await, incoming(&s, 3).await);
    let a = assign(d1, "anh", &["binh"], 10, now);
    let b = assign(d2, "binh", &[], 2, now);
    let c = assign(d3, "cuong", &["anh"], 5, now);
    for w in [&a, &b, &c] {
        s.add_work(w).await.unwrap();
    }
    assert!(matches!(s.add_work(&a).await, Err(StoreError::Conflict(_))), "one item per document");
    assert!(matches!(s.add_work(&assign(999_999, "anh", &[], 1, now)).await, Err(StoreError::MissingReference(_))));
    let stored = s.work(d1).await.unwrap().unwrap();
    assert_eq!((stored.item.clone(), stored.version), (a.clone(), 1));
    assert!(s.work(999_999).await.unwrap().is_none());

    let list = |f: WorkFilter| {
        let s = s.clone();
        async move {
            let p = s.list_work(&f, Page::new(None, Some(50))).await.unwrap();
            (p.items.iter().map(|w| w.document).collect::<Vec<_>>(), p.total)
        }
    };
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    // The earliest due first.
    assert_eq!(list(WorkFilter { org: Some(org.clone()), ..Default::default() }).await, (vec![d2, d3, d1], 3));
    // Whoever works on it, main or co-handler.
    assert_eq!(list(WorkFilter { person: Some(user("anh")), ..Default::default() }).await, (vec![d3, d1], 2));
    assert_eq!(list(WorkFilter { person: Some(user("binh")), ..Default::default() }).await, (vec![d2, d1], 2));
    // Overdue: past the two-day item's deadline only.
    let later = b.due_at + SignedDuration::from_secs(1);
    assert_eq!(list(WorkFilter { overdue_at: Some(later), ..Default::default() }).await, (vec![d2], 1));

    // Changed at the version read; the second change at that version conflicts.
    let mut changed = stored.item.clone();
    let leader = Actor { username: user("lanhdao"), leader: true };
    changed.reassign(&leader, user("cuong"), vec![], Some(Note::parse("n", "Đổi người.").unwrap()), now).unwrap();
    s.save_work(&changed, 1).await.unwrap();
    assert!(matches!(s.save_work(&changed, 1).await, Err(StoreError::Conflict(_))));
    assert_eq!(
        s.work(d1).await.unwrap().unwrap(),
        motcua_store::work::StoredWork { item: changed.clone(), version: 2 }
    );
    // Who works on it moved with it: anh and binh no longer, cuong now.
    assert_eq!(list(WorkFilter { person: Some(user("binh")), ..Default::default() }).await, (vec![d2], 1));
    assert_eq!(list(WorkFilter { person: Some(user("cuong")), ..Default::default() }).await, (vec![d3, d1], 2));

    // Done: after the open ones, and out of the open list.
    let mut done = s.work(d2).await.unwrap().unwrap().item;
    let binh = Actor { username: user("binh"), leader: false };
    done.submit_draft(&binh, Note::parse("d", "Dự thảo.").unwrap(), now).unwrap();
    done.approve(&leader, now).unwrap();
    done.replied(&binh, d3, now).unwrap();
    s.save_work(&done, 1).await.unwrap();
    assert_eq!(s.work(d2).await.unwrap().unwrap().item.status, WorkStatus::Done);
    assert_eq!(list(WorkFilter { org: Some(org.clone()), ..Default::default() }).await, (vec![d3, d1, d2], 3));
    assert_eq!(list(WorkFilter { org: Some(org), open: true, ..Default::default() }).await, (vec![d3, d1], 2));
    assert_eq!(list(WorkFilter { overdue_at: Some(later), ..Default::default() }).await, (vec![], 0));
}

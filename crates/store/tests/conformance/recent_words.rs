//! SQLite's new dossiers' words (issue 20): written to `dossier_terms_recent` with the
//! dossier, moved into `dossier_terms` a moment later and when a store opens, and found by a
//! unit's search all the while, once each, in order, page after page.

use std::collections::HashSet;
use std::time::Duration;

use motcua_domain::OrgCode;
use motcua_store::testing::TestDb;
use motcua_store::{DossierFilter, DossierPage, ListTotal};

use super::dossiers;

fn unit(q: &str) -> DossierFilter {
    DossierFilter {
        involving: Some(vec![OrgCode::parse(dossiers::DESK).unwrap()]),
        search: Some(q.into()),
        ..Default::default()
    }
}

/// Waits (up to 5 s) until no word is left in `dossier_terms_recent`.
pub async fn moved(db: &TestDb) {
    for _ in 0..100 {
        if db.scalar("SELECT COUNT(*) FROM dossier_terms_recent").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the recent words were not moved in 5 s");
}

/// The codes of the unit's search for `q`, page after page of 7.
async fn pages(db: &TestDb, q: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut page = DossierPage::first(7);
    loop {
        let list = db.store.list_dossiers(&unit(q), &page).await.unwrap();
        codes.extend(list.items.iter().map(|d| d.code.as_str().to_owned()));
        match list.next {
            Some(next) => page = DossierPage::after(Some(next), 7),
            None => return codes,
        }
    }
}

pub async fn new_words_are_moved_and_found_once(db: &TestDb) {
    let s = db.store.clone();
    let wf = dossiers::seed(&s).await;
    let n = 30;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (s, wf) = (s.clone(), wf.clone());
        tasks.spawn(async move { dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 4), None).await });
    }
    assert_eq!(tasks.join_all().await.len(), n);
    // Moved a moment after their commits, with nobody writing since.
    moved(db).await;
    let words = db.scalar("SELECT COUNT(*) FROM dossier_terms").await;
    assert_eq!(db.scalar("SELECT COUNT(DISTINCT dossier_code) FROM dossier_terms").await, n as i64);
    assert!(words >= 5 * n as i64, "every dossier's words moved: {words}");
    let all = pages(db, "van an").await;
    assert_eq!(all.len(), n, "each once: {all:?}");
    // Let a move still due pass before the words are laid out by hand.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dossier_terms_recent").await, 0);

    // A third of them only in the recent words (as just written), one of them in both (a
    // transfer back writes `dossier_terms` straight away).
    let recent: Vec<&String> = all.iter().step_by(3).collect();
    let list = recent.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
    // A row a dossier: its organisations and its words, each list between unit separators.
    let copied = db
        .execute_raw(&format!(
            "INSERT INTO dossier_terms_recent (dossier_code, submitted_at, orgs, terms)
             SELECT t.dossier_code, t.submitted_at,
               char(31) || (SELECT group_concat(o, char(31)) FROM
                 (SELECT DISTINCT org_code AS o FROM dossier_terms y WHERE y.dossier_code = t.dossier_code)) || char(31),
               char(31) || (SELECT group_concat(w, char(31)) FROM
                 (SELECT DISTINCT term AS w FROM dossier_terms y WHERE y.dossier_code = t.dossier_code)) || char(31)
             FROM dossier_terms t WHERE t.dossier_code IN ({list}) GROUP BY t.dossier_code, t.submitted_at"
        ))
        .await;
    assert_eq!(copied, recent.len() as u64);
    let only_recent = &recent[1..];
    let list = only_recent.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
    assert!(db.execute_raw(&format!("DELETE FROM dossier_terms WHERE dossier_code IN ({list})")).await > 0);
    for code in &recent {
        let q = code.to_lowercase();
        assert_eq!(s.count_dossiers(&unit(&q)).await.unwrap(), ListTotal::Exact(1), "{code} found once");
    }
    assert_eq!(s.count_dossiers(&unit("van an")).await.unwrap(), ListTotal::Exact(n as i64));
    assert_eq!(pages(db, "van an").await, all, "the same pages in the same order");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), n);

    // A store that opens moves what a stop left.
    let reopened = motcua_store::connect(&db.url, &Default::default()).await.unwrap();
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dossier_terms_recent").await, 0, "moved on open");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM dossier_terms").await, words, "every word back, none twice");
    assert_eq!(reopened.count_dossiers(&unit("van an")).await.unwrap(), ListTotal::Exact(n as i64));
}

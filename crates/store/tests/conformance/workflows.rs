//! Versioned workflows and who can receive dossiers (`SettingsStore`, `AccountStore`), on
//! both engines: a changed workflow becomes its next version and the earlier ones stay for
//! the dossiers started under them; an unchanged one is no new version; a role counts as
//! held only while an active staff account holds it.

use std::sync::Arc;

use motcua_domain::workflow::default_workflows;
use motcua_domain::{Name, OrgCode, Role, Username};
use motcua_store::Store;

use super::{new_staff, seed_units_and_orgs};

pub async fn workflows_keep_every_version(s: Arc<dyn Store>) {
    let shipped = default_workflows().unwrap();
    assert_eq!(s.upsert_workflows(&shipped).await.unwrap(), shipped.len() as u64);
    assert_eq!(s.upsert_workflows(&shipped).await.unwrap(), 0, "the same text: no new version");
    let current = s.workflows().await.unwrap();
    assert!(current.iter().all(|w| w.version == 1));
    let before = s.meta(motcua_store::REFERENCE_VERSION_KEY).await.unwrap();

    let mut edited = current.iter().find(|w| w.code == "5-buoc").unwrap().clone();
    edited.steps[0].name = Name::parse("n", "Tiếp nhận (sửa)").unwrap();
    // The version sent is not the store's to take: it counts on from the one stored.
    edited.version = 9;
    assert_eq!(s.upsert_workflows(std::slice::from_ref(&edited)).await.unwrap(), 1);
    let now = s.workflows().await.unwrap().into_iter().find(|w| w.code == "5-buoc").unwrap();
    assert_eq!((now.version, now.steps[0].name.as_str()), (2, "Tiếp nhận (sửa)"));
    assert_ne!(s.meta(motcua_store::REFERENCE_VERSION_KEY).await.unwrap(), before, "servers re-read it");

    let first = s.workflow_version("5-buoc", 1).await.unwrap().unwrap();
    assert_eq!((first.version, first.steps[0].name.as_str()), (1, "Tiếp nhận"));
    assert_eq!(s.workflow_version("5-buoc", 2).await.unwrap(), Some(now.clone()));
    assert_eq!(s.workflow_version("5-buoc", 3).await.unwrap(), None);
    assert_eq!(s.workflow_version("khong-co", 1).await.unwrap(), None);
    let all: Vec<(String, u32)> =
        s.workflow_versions().await.unwrap().into_iter().map(|w| (w.code, w.version)).collect();
    assert_eq!(all, vec![("5-buoc".into(), 1), ("5-buoc".into(), 2), ("lien-thong".into(), 1)]);

    // Going back to an earlier text is a change too: the next version.
    assert_eq!(s.upsert_workflows(std::slice::from_ref(&first)).await.unwrap(), 1, "going back is a change too");
    assert_eq!(
        s.workflow_version("5-buoc", 3).await.unwrap().map(|w| w.steps[0].name.to_string()),
        Some("Tiếp nhận".into())
    );
    assert_eq!(s.upsert_workflows(&[now]).await.unwrap(), 1);
    assert_eq!(s.upsert_workflows(&[first]).await.unwrap(), 1);
    let latest = s.workflows().await.unwrap().into_iter().find(|w| w.code == "5-buoc").unwrap();
    assert_eq!(s.upsert_workflows(std::slice::from_ref(&latest)).await.unwrap(), 0);
    assert_eq!(latest.version, 5);
}

pub async fn only_active_staff_receive(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    assert!(!s.staffed(&org, Role::DeskOfficer).await.unwrap(), "nobody yet");
    let a = s.create_account(&new_staff("motcua1", &[("000.00.31.H22", Role::DeskOfficer)])).await.unwrap();
    assert!(s.staffed(&org, Role::DeskOfficer).await.unwrap());
    assert!(!s.staffed(&org, Role::Leader).await.unwrap(), "another role is not held");
    assert!(s.staffed_roles().await.unwrap().contains(&(org.clone(), Role::DeskOfficer)));
    assert!(s.set_account_disabled(&a.username, true).await.unwrap());
    assert!(!s.staffed(&org, Role::DeskOfficer).await.unwrap(), "a locked account receives nothing");
    assert!(!s.staffed_roles().await.unwrap().contains(&(org.clone(), Role::DeskOfficer)));
    assert!(s.set_account_disabled(&Username::parse("motcua1").unwrap(), false).await.unwrap());
    assert!(s.staffed(&org, Role::DeskOfficer).await.unwrap());
}

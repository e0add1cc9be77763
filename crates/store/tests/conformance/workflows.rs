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
    let expected: Vec<(String, u32)> =
        [("5-buoc", 1), ("5-buoc", 2), ("lien-thong", 1), ("lien-thong-khai-sinh", 1), ("lien-thong-khai-tu", 1)]
            .into_iter()
            .map(|(c, v)| (c.to_owned(), v))
            .collect();
    assert_eq!(all, expected);

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

/// A dossier received at the desk (at the appraisal step, with its due time).
fn received(wf: &motcua_domain::workflow::Workflow, now: jiff::Timestamp) -> motcua_store::BuildDossier {
    use motcua_domain::audit::EventDraft;
    use motcua_domain::workflow::{Applicant, Channel, new_dossier};
    let wf = wf.clone();
    Arc::new(move |code| {
        let desk = OrgCode::parse(super::dossiers::DESK).unwrap();
        let applicant = Applicant {
            full_name: Name::parse("n", "Trần Thị Bình").unwrap(),
            cccd: None,
            phone: None,
            email: None,
            address: None,
        };
        let procedure = motcua_domain::ProcedureCode::parse("1.004194").unwrap();
        let limit = motcua_domain::TimeLimit::working_days(3).unwrap();
        let cal = motcua_domain::calendar::WorkCalendar::default();
        let d = new_dossier(
            &wf,
            &cal,
            code,
            procedure,
            limit,
            applicant,
            None,
            Channel::InPerson,
            desk.clone(),
            desk,
            true,
            now,
        )
        .map_err(|e| e.to_string())?;
        let draft = EventDraft {
            at_us: now.as_microsecond(),
            actor_account: None,
            actor: "staff:canbo".into(),
            action: "receive".into(),
            from_status: None,
            to_status: d.status.code(),
            from_step: None,
            to_step: d.step.clone(),
            details: "{}".into(),
        };
        let placement = d.placement(&wf);
        Ok((d, placement, draft))
    })
}

pub async fn escalations_fire_once(s: Arc<dyn Store>) {
    use motcua_store::escalations::NewEscalation;
    use motcua_store::payments::NewNotification;
    let wf = super::dossiers::seed(&s).await;
    let desk = OrgCode::parse(super::dossiers::DESK).unwrap();
    let now = jiff::Timestamp::now();
    let day = now.to_zoned(motcua_domain::calendar::vietnam()).date();
    let d = super::dossiers::created(s.create_dossier(&desk, day, None, &[], &[], received(&wf, now)).await.unwrap())
        .dossier;
    let due = d.due_at.unwrap();
    assert_eq!(d.step.as_deref(), Some("appraise"));
    let found = |step: &'static str, rule: &'static str, before: jiff::Timestamp| {
        let s = s.clone();
        async move { s.escalation_candidates(step, rule, before, 10).await.unwrap() }
    };
    assert!(
        found("appraise", "overdue:leader", due - jiff::SignedDuration::from_secs(1)).await.is_empty(),
        "not due yet"
    );
    assert!(found("approve", "overdue:leader", due).await.is_empty(), "another step");
    assert_eq!(
        found("appraise", "overdue:leader", due).await.iter().map(|d| d.code.clone()).collect::<Vec<_>>(),
        vec![d.code.clone()]
    );

    let e = NewEscalation {
        dossier: d.code.clone(),
        step: "appraise".into(),
        rule: "overdue:leader".into(),
        due_at: due,
        org: desk.clone(),
        notify: "leader".into(),
    };
    let note = NewNotification {
        dossier: None,
        event_seq: 0,
        topic: Some(format!("escalation:{}:test", d.code)),
        channel: "email".into(),
        recipient: "lanhdao@example.vn".into(),
        subject: "Hồ sơ quá hạn".into(),
        body: "…".into(),
    };
    // Two servers at once: one records it and queues its message.
    let (a, b) = tokio::join!(
        s.record_escalation(&e, std::slice::from_ref(&note), now),
        s.record_escalation(&e, std::slice::from_ref(&note), now)
    );
    assert!(a.unwrap() ^ b.unwrap(), "exactly one records it");
    assert!(!s.record_escalation(&e, &[note], now).await.unwrap());
    assert_eq!(s.messages_about(&format!("escalation:{}:", d.code)).await.unwrap().len(), 1, "queued once");
    assert!(found("appraise", "overdue:leader", due).await.is_empty(), "fired: not offered again");
    assert_eq!(found("appraise", "due_within_1:assignee", due).await.len(), 1, "another rule still may");

    let standing = s.open_escalations(&desk, 10).await.unwrap();
    assert_eq!(standing.iter().map(|r| r.escalation.clone()).collect::<Vec<_>>(), vec![e.clone()]);
    assert_eq!(s.open_escalation_counts().await.unwrap(), [(desk.clone(), 1)]);
    // A rule that does not apply is remembered too, but tells nobody.
    let none = NewEscalation { rule: "due_within_2:leader".into(), notify: "none".into(), ..e.clone() };
    assert!(s.record_escalation(&none, &[], now).await.unwrap());
    assert_eq!(s.open_escalation_counts().await.unwrap(), [(desk.clone(), 1)]);
    assert!(s.open_escalations(&OrgCode::parse("000.00.32.H22").unwrap(), 10).await.unwrap().is_empty());
    // Once the dossier has finished none stands, and each rule still counts as fired.
    let mut done = d.clone();
    done.status = motcua_domain::workflow::Status::Returned;
    done.step = None;
    done.finished_at = Some(now);
    // The event of a move from `from` to `to` (which leaves every step).
    let moved = |action: &str, from: &motcua_domain::workflow::Dossier, to: &motcua_domain::workflow::Dossier| {
        motcua_domain::audit::EventDraft {
            at_us: now.as_microsecond(),
            actor_account: None,
            actor: "staff:canbo".into(),
            action: action.into(),
            from_status: Some(from.status.code()),
            to_status: to.status.code(),
            from_step: from.step.clone(),
            to_step: None,
            details: "{}".into(),
        }
    };
    s.record_action(&d.code, 1, &done, done.placement(&wf), moved("return_result", &d, &done), &[]).await.unwrap();
    assert!(s.open_escalation_counts().await.unwrap().is_empty(), "finished: no longer standing");
    assert!(s.open_escalations(&desk, 10).await.unwrap().is_empty());
    assert!(!s.record_escalation(&e, &[], now).await.unwrap(), "fired once, standing or not");
    // A rule recorded as its dossier finishes is remembered as fired, but does not stand.
    let late = NewEscalation { rule: "due_within_1:leader".into(), ..e.clone() };
    assert!(s.record_escalation(&late, &[], now).await.unwrap());
    assert!(s.open_escalation_counts().await.unwrap().is_empty());
    // Withdrawn by the applicant: closed with no finish time, and settled all the same.
    let w = super::dossiers::created(s.create_dossier(&desk, day, None, &[], &[], received(&wf, now)).await.unwrap())
        .dossier;
    let ew = NewEscalation { dossier: w.code.clone(), due_at: w.due_at.unwrap(), ..e.clone() };
    assert!(s.record_escalation(&ew, &[], now).await.unwrap());
    assert_eq!(s.open_escalation_counts().await.unwrap(), [(desk.clone(), 1)]);
    let mut gone = w.clone();
    gone.status = motcua_domain::workflow::Status::Withdrawn;
    gone.step = None;
    s.record_action(&w.code, 1, &gone, gone.placement(&wf), moved("withdraw", &w, &gone), &[]).await.unwrap();
    assert!(gone.finished_at.is_none() && s.open_escalation_counts().await.unwrap().is_empty());
    let late = NewEscalation { rule: "due_within_1:leader".into(), ..ew };
    assert!(s.record_escalation(&late, &[], now).await.unwrap(), "recorded as fired, not standing");
}

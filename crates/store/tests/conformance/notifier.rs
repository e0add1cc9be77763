//! What the notifier's pass reads and writes: the pass's dossiers in one read, and its marks
//! keyed by (dossier, event), so a dossier's later event stays to be looked at.

use std::sync::Arc;

use jiff::Timestamp;
use motcua_domain::audit::EventDraft;
use motcua_store::Store;

use super::dossiers;

pub async fn a_pass_reads_its_dossiers_at_once_and_marks_events_by_key(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 3);
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(dossiers::created(dossiers::create(&s, &wf, day, None).await));
    }
    // A second event on the first dossier: two unnotified events share its code.
    let first = &made[0];
    let draft = EventDraft {
        at_us: Timestamp::now().as_microsecond(),
        actor_account: None,
        actor: "desk".into(),
        action: "note".into(),
        from_status: Some(1),
        to_status: 1,
        from_step: None,
        to_step: first.dossier.step.clone(),
        details: "{}".into(),
    };
    s.record_action(&first.dossier.code, 1, &first.dossier, None, draft, &[]).await.unwrap();

    // Several dossiers in one read: each as a read of its own gives it; an unknown code,
    // and a code asked for twice, add nothing.
    let unknown = motcua_domain::DossierCode::parse("000.00.31.H22-250303-0099").unwrap();
    let asked = [made[2].dossier.code.clone(), first.dossier.code.clone(), unknown, made[2].dossier.code.clone()];
    let mut got = s.dossiers_of(&asked).await.unwrap();
    got.sort_by(|a, b| a.dossier.code.as_str().cmp(b.dossier.code.as_str()));
    assert_eq!(got.len(), 2, "two known dossiers, each once");
    for g in &got {
        let one = s.dossier(&g.dossier.code).await.unwrap().unwrap();
        assert_eq!(
            (&g.dossier, &g.body, g.last_seq, &g.last_hash),
            (&one.dossier, &one.body, one.last_seq, &one.last_hash)
        );
    }
    assert_eq!(got[0].last_seq, 2, "the first dossier as it stands after its second event");
    assert!(s.dossiers_of(&[]).await.unwrap().is_empty());

    // Marking (first, 1) and (second, 1) leaves (first, 2) and (third, 1).
    let looked = [(first.dossier.code.clone(), 1), (made[1].dossier.code.clone(), 1)];
    s.queue_notifications(&looked, &[], Timestamp::now()).await.unwrap();
    let mut left: Vec<_> =
        s.unnotified_events(10).await.unwrap().into_iter().map(|e| (e.dossier_code, e.seq)).collect();
    left.sort();
    let mut expected = vec![(first.dossier.code.as_str().to_owned(), 2), (made[2].dossier.code.as_str().to_owned(), 1)];
    expected.sort();
    assert_eq!(left, expected, "only the events named are marked");
}

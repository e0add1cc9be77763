//! Officers' second factor (`SecondFactorStore`), on both engines: each check that must hold
//! across servers sharing the database holds in the store itself — a time step is accepted
//! once and never an older one, a recovery code once, a waiting sign-in opens one session —
//! and many attempts at once get exactly one success.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::{OrgCode, Role};
use motcua_store::second_factor::Enrolment;
use motcua_store::{Store, StoreError};

use super::{new_staff, seed_units_and_orgs};

pub async fn second_factors_are_used_once(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let now = Timestamp::now();
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    assert!(s.second_factor_policies().await.unwrap().is_empty(), "no policy: the default");
    s.set_second_factor_policy(&org, &[Role::Leader, Role::DeskOfficer], now).await.unwrap();
    s.set_second_factor_policy(&org, &[Role::Clerk], now).await.unwrap();
    assert_eq!(s.second_factor_policies().await.unwrap().get(&org), Some(&vec![Role::Clerk]), "replaced");
    let unknown = OrgCode::parse("000.00.99.H22").unwrap();
    let e = s.set_second_factor_policy(&unknown, &[], now).await.unwrap_err();
    assert!(matches!(e, StoreError::MissingReference(_)), "{e:?}");

    let id = s.create_account(&new_staff("halong.lanhdao", &[("000.00.31.H22", Role::Leader)])).await.unwrap().id;
    assert_eq!(s.totp_secret(id).await.unwrap(), None);
    assert!(!s.use_totp_step(id, 1).await.unwrap(), "nothing enrolled");
    let hashes: Vec<String> = (0..10).map(|i| format!("hash-{i}")).collect();
    let enrol = Enrolment { account_id: id, secret: "JBSWY3DPEHPK3PXP", step: 100, recovery_hashes: &hashes };
    s.enrol_totp(&enrol, now).await.unwrap();
    assert_eq!(
        s.totp_secret(id).await.unwrap().map(|t| (t.secret, t.last_step)),
        Some(("JBSWY3DPEHPK3PXP".into(), 100))
    );
    assert!(!s.use_totp_step(id, 100).await.unwrap(), "the enrolling step is spent");
    assert!(!s.use_totp_step(id, 99).await.unwrap(), "an older step");
    // Many servers at once with the same next step: exactly one wins.
    let tries = (0..8).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.use_totp_step(id, 101).await.unwrap() })
    });
    let won = futures_wins(tries).await;
    assert_eq!(won, 1, "one of eight uses of step 101");
    assert!(s.use_totp_step(id, 103).await.unwrap(), "a later step");

    assert!(s.use_recovery_code(id, "hash-4", now).await.unwrap());
    assert!(!s.use_recovery_code(id, "hash-4", now).await.unwrap(), "once");
    assert!(!s.use_recovery_code(id, "hash-x", now).await.unwrap());
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 9);
    // Enrolling again replaces the secret and every recovery code.
    let fresh = vec!["new-1".to_owned()];
    s.enrol_totp(&Enrolment { account_id: id, secret: "KRSXG5A", step: 5, recovery_hashes: &fresh }, now)
        .await
        .unwrap();
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 1);
    assert!(!s.use_recovery_code(id, "hash-5", now).await.unwrap(), "the old codes are gone");
    assert_eq!(s.totp_secret(id).await.unwrap().map(|t| t.last_step), Some(5));

    // A waiting sign-in: read while it lives, its failures counted, taken once.
    let later = now + SignedDuration::from_mins(5);
    s.begin_sign_in("c1", id, Some("PENDING"), later, now).await.unwrap();
    let p = s.pending_sign_in("c1", now).await.unwrap().unwrap();
    assert_eq!((p.account_id, p.pending_secret.as_deref(), p.attempts), (id, Some("PENDING"), 0));
    s.count_sign_in_failure("c1").await.unwrap();
    s.count_sign_in_failure("c1").await.unwrap();
    assert_eq!(s.pending_sign_in("c1", now).await.unwrap().unwrap().attempts, 2);
    assert_eq!(s.pending_sign_in("c1", later).await.unwrap(), None, "expired");
    let takes = (0..8).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.take_sign_in("c1").await.unwrap() })
    });
    assert_eq!(futures_wins(takes).await, 1, "one session from one challenge");
    assert_eq!(s.pending_sign_in("c1", now).await.unwrap(), None);
    s.begin_sign_in("c2", id, None, now, now - SignedDuration::from_mins(5)).await.unwrap();
    s.begin_sign_in("c3", id, None, later, now).await.unwrap();
    assert_eq!(s.purge_sign_ins(now).await.unwrap(), 1, "the expired one");

    // Reset (a lost phone): secret, codes, waiting sign-ins and sessions all go.
    s.create_session("tok", id, later).await.unwrap();
    assert!(s.reset_second_factor(id).await.unwrap());
    assert_eq!(s.totp_secret(id).await.unwrap(), None);
    assert_eq!(s.recovery_codes_left(id).await.unwrap(), 0);
    assert_eq!(s.pending_sign_in("c3", now).await.unwrap(), None);
    assert!(s.session_account("tok", now).await.unwrap().is_none());
    assert!(!s.reset_second_factor(id).await.unwrap(), "nothing left to reset");
}

async fn futures_wins(tasks: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> usize {
    let mut won = 0;
    for t in tasks.collect::<Vec<_>>() {
        won += usize::from(t.await.unwrap());
    }
    won
}

//! Sign-in through an identity provider (`IdentityStore`), on both engines: a request to the
//! provider is spent once (so two servers given the same `state` open one session at most) and
//! never after it expires; an account made from an identity comes with its link or not at all;
//! an offer to link is ended once; sessions remember how they were opened.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::{AccountKind, Cccd, Name, NewAccount, Username};
use motcua_store::identity::{IdentityRequest, SessionOrigin, Subject};
use motcua_store::{Store, StoreError};

fn citizen(username: &str, cccd: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(username).unwrap(),
        full_name: Name::parse("n", "Nguyễn Thị Định Danh").unwrap(),
        kind: AccountKind::Citizen,
        cccd: Some(Cccd::parse(cccd).unwrap()),
        email: None,
        phone: None,
        roles: vec![],
        password_hash: "$argon2id$fake".into(),
    }
}

pub async fn identity_requests_and_links_hold_across_servers(s: Arc<dyn Store>) {
    let now = Timestamp::now();
    let req = IdentityRequest { nonce: "n1".into(), pkce_verifier: "v1".into(), next_path: "/ho-so".into() };
    s.save_identity_request("state-1", &req, now + SignedDuration::from_mins(10)).await.unwrap();
    // Many servers at once with the same state: exactly one gets the request.
    let tries = (0..8).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.take_identity_request("state-1", Timestamp::now()).await.unwrap() })
    });
    let got: Vec<_> = futures_util::future::join_all(tries).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(got.iter().filter(|r| r.is_some()).count(), 1, "spent once");
    assert_eq!(got.into_iter().flatten().next(), Some(req.clone()));
    // An expired one is not given (and is gone).
    s.save_identity_request("state-2", &req, now + SignedDuration::from_secs(1)).await.unwrap();
    assert_eq!(s.take_identity_request("state-2", now + SignedDuration::from_secs(2)).await.unwrap(), None);
    s.save_identity_request("state-3", &req, now + SignedDuration::from_secs(1)).await.unwrap();
    assert_eq!(s.purge_identity_requests(now + SignedDuration::from_secs(2)).await.unwrap(), 1);
    assert_eq!(s.take_identity_request("state-3", now).await.unwrap(), None, "purged");

    // An account made from an identity, with its link.
    let subject = Subject { issuer: "https://vneid.example", subject: "sub-1" };
    let made = s.create_identity_account(&citizen("vneid.aaaa", "001090012345"), subject, "{}", now).await.unwrap();
    assert_eq!(s.identity_account(subject).await.unwrap(), Some(made.id));
    assert_eq!(s.account_by_cccd(&Cccd::parse("001090012345").unwrap()).await.unwrap().map(|a| a.id), Some(made.id));
    // Its number taken: no account, and no link left behind.
    let other = Subject { issuer: "https://vneid.example", subject: "sub-2" };
    let e = s.create_identity_account(&citizen("vneid.bbbb", "001090012345"), other, "{}", now).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert_eq!(s.identity_account(other).await.unwrap(), None, "all or nothing");
    // Linking again refreshes what the provider said.
    s.link_identity(subject, made.id, r#"{"v":2}"#, now + SignedDuration::from_secs(5)).await.unwrap();
    assert_eq!(s.identity_profile(made.id).await.unwrap().as_deref(), Some(r#"{"v":2}"#));

    // An offer: seen until ended, ended once, not seen after it expires.
    s.save_link_offer("offer-1", made.id, "{}", now + SignedDuration::from_mins(10)).await.unwrap();
    assert_eq!(s.link_offer("offer-1", now).await.unwrap(), Some((made.id, "{}".to_owned())));
    assert_eq!(s.link_offer("offer-1", now + SignedDuration::from_mins(11)).await.unwrap(), None, "expired");
    let ends = (0..6).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.drop_link_offer("offer-1").await.unwrap() })
    });
    let ended: Vec<bool> = futures_util::future::join_all(ends).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(ended.iter().filter(|e| **e).count(), 1, "ended once");

    // A kiosk's device request: seen until ended, ended once, gone after it expires.
    s.save_device_request("ticket-1", "000.00.31.H22", "{}", now + SignedDuration::from_mins(10)).await.unwrap();
    assert_eq!(s.device_request("ticket-1", now).await.unwrap(), Some(("000.00.31.H22".into(), "{}".into())));
    assert_eq!(s.device_request("ticket-1", now + SignedDuration::from_mins(11)).await.unwrap(), None);
    assert!(s.drop_device_request("ticket-1").await.unwrap());
    assert!(!s.drop_device_request("ticket-1").await.unwrap(), "ended once");

    // Sessions remember how they were opened; a password one is level 0 with no token.
    let origin = SessionOrigin { assurance: 2, id_token: Some("eyJ.x.y".into()) };
    s.create_session_from("hash-1", made.id, now + SignedDuration::from_hours(1), &origin).await.unwrap();
    assert_eq!(s.session_origin("hash-1").await.unwrap(), Some(origin));
    assert_eq!(s.session_account("hash-1", now).await.unwrap().map(|a| a.id), Some(made.id), "a session like any");
    s.create_session("hash-2", made.id, now + SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(s.session_origin("hash-2").await.unwrap(), Some(SessionOrigin::default()));
    assert_eq!(s.session_origin("hash-3").await.unwrap(), None);
}

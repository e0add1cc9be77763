//! An outgoing document sent with an idempotency key is numbered once, however often and
//! however many at once the request comes again (a client retrying after a lost answer).

use std::sync::Arc;

use motcua_domain::OrgCode;
use motcua_store::documents::{Dedup, Direction, DocumentOutcome};
use motcua_store::{IdempotencyKey, Store, StoreError};

use super::{documents, seed_units_and_orgs};

fn key(account_id: i64, key: &str, request_hash: &str) -> IdempotencyKey {
    IdempotencyKey { account_id, key: key.into(), request_hash: request_hash.into() }
}

async fn send(s: &Arc<dyn Store>, k: Option<&IdempotencyKey>) -> Result<DocumentOutcome, StoreError> {
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    let dedup = k.map_or(Dedup::New, Dedup::ByKey);
    s.create_document(&org, Direction::Outgoing, 2026, dedup, &|n| {
        Ok(documents::write(&format!("000.00.31.H22,2026/12/04,{n}/UBND"), "000.00.31.H22", n, 1))
    })
    .await
}

pub async fn a_key_numbers_its_document_once(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let first = match send(&s, Some(&key(7, "gui-1", "h1"))).await.unwrap() {
        DocumentOutcome::Created(d) => d,
        other => panic!("expected a new document: {other:?}"),
    };
    assert_eq!(first.number, 1);
    // The retry: the same entry and the hash of the request the key was first used for,
    // whatever this request's hash (the caller compares).
    for hash in ["h1", "h2"] {
        match send(&s, Some(&key(7, "gui-1", hash))).await.unwrap() {
            DocumentOutcome::KeyUsed { document, request_hash } => {
                assert_eq!((document.id, document.number, request_hash.as_str()), (first.id, 1, "h1"));
                assert_eq!(document.package, first.package);
            }
            other => panic!("expected the first document: {other:?}"),
        }
    }
    // Keys are each account's own; a retry consumed no number.
    let DocumentOutcome::Created(other) = send(&s, Some(&key(8, "gui-1", "h1"))).await.unwrap() else {
        panic!("another account's key is another request")
    };
    assert_eq!(other.number, 2);
    let DocumentOutcome::Created(plain) = send(&s, None).await.unwrap() else { panic!("no key: always new") };
    assert_eq!(plain.number, 3);
    assert_eq!(s.outbox(None).await.unwrap().len(), 3, "one outbox item per document, none for a retry");

    // Many at once with one new key: one entry; the others answer with it or ask again.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let s = s.clone();
        set.spawn(async move {
            let k = key(9, "gui-cung-luc", "h9");
            match send(&s, Some(&k)).await {
                Err(StoreError::Conflict(_)) => send(&s, Some(&k)).await.unwrap(),
                other => other.unwrap(),
            }
        });
    }
    let mut ids = Vec::new();
    let mut created = 0;
    for outcome in set.join_all().await {
        match outcome {
            DocumentOutcome::Created(d) => {
                created += 1;
                ids.push(d.id);
            }
            DocumentOutcome::KeyUsed { document, .. } => ids.push(document.id),
            DocumentOutcome::Existing(_) => panic!("not keyed by DocumentId"),
        }
    }
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1), "one document for one key: {ids:?}");
    let DocumentOutcome::Created(next) = send(&s, None).await.unwrap() else { panic!("new") };
    assert_eq!(next.number, 5, "no number lost to the requests that lost the race");
}

//! The audit trail: every change to a dossier is an append-only event, hash-chained per
//! dossier, and each event commits to the dossier's full state after it. Changing a stored
//! event, deleting one, or editing a dossier outside the application breaks a hash.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// `prev_hash` of a dossier's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event, as stored. Field order is the hashing order: do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub dossier_code: String,
    /// 1, 2, 3, … per dossier.
    pub seq: i64,
    /// Microseconds since the Unix epoch.
    pub at_us: i64,
    pub actor_account: Option<i64>,
    /// `applicant`, `staff:<username>` or `system`.
    pub actor: String,
    pub action: String,
    pub from_status: Option<u8>,
    pub to_status: u8,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    /// JSON object with the action's details (reason, items, dates).
    pub details: String,
    /// SHA-256 of the dossier's stored state after this event.
    pub state_hash: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    dossier_code: &'a str,
    seq: i64,
    at_us: i64,
    actor_account: Option<i64>,
    actor: &'a str,
    action: &'a str,
    from_status: Option<u8>,
    to_status: u8,
    from_step: Option<&'a str>,
    to_step: Option<&'a str>,
    details: &'a str,
    state_hash: &'a str,
    prev_hash: &'a str,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Event {
    /// The hash this event must carry: SHA-256 of the canonical JSON of every other field.
    pub fn compute_hash(&self) -> String {
        let h = Hashed {
            dossier_code: &self.dossier_code,
            seq: self.seq,
            at_us: self.at_us,
            actor_account: self.actor_account,
            actor: &self.actor,
            action: &self.action,
            from_status: self.from_status,
            to_status: self.to_status,
            from_step: self.from_step.as_deref(),
            to_step: self.to_step.as_deref(),
            details: &self.details,
            state_hash: &self.state_hash,
            prev_hash: &self.prev_hash,
        };
        // Serialising plain strings and integers cannot fail.
        sha256_hex(serde_json::to_string(&h).unwrap_or_default().as_bytes())
    }

    /// Fills `hash`.
    pub fn seal(mut self) -> Self {
        self.hash = self.compute_hash();
        self
    }
}

/// What an action records; the store adds the dossier code, sequence and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    pub at_us: i64,
    pub actor_account: Option<i64>,
    pub actor: String,
    pub action: String,
    pub from_status: Option<u8>,
    pub to_status: u8,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    pub details: String,
}

impl EventDraft {
    /// The sealed event that follows `prev_hash` as number `seq`, committing to `state`.
    pub fn into_event(self, dossier_code: &str, seq: i64, state: &str, prev_hash: &str) -> Event {
        Event {
            dossier_code: dossier_code.to_owned(),
            seq,
            at_us: self.at_us,
            actor_account: self.actor_account,
            actor: self.actor,
            action: self.action,
            from_status: self.from_status,
            to_status: self.to_status,
            from_step: self.from_step,
            to_step: self.to_step,
            details: self.details,
            state_hash: sha256_hex(state.as_bytes()),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        }
        .seal()
    }
}

/// A break found while verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("hồ sơ {code}: sự kiện #{seq} bị sửa (mã băm không khớp)")]
    EventAltered { code: String, seq: i64 },
    #[error("hồ sơ {code}: chuỗi sự kiện đứt tại #{seq} (thiếu hoặc sai thứ tự)")]
    Broken { code: String, seq: i64 },
    #[error("hồ sơ {code}: dữ liệu hồ sơ bị sửa ngoài ứng dụng (không khớp sự kiện #{seq})")]
    StateAltered { code: String, seq: i64 },
    #[error("hồ sơ {code}: không có sự kiện nào")]
    Empty { code: String },
}

/// Verifies one dossier's chain against its stored state (`state` is the stored text whose
/// hash the last event carries; `last_hash` what the dossier row says its last event is).
pub fn verify_chain(code: &str, events: &[Event], state: &str, last_hash: &str) -> Result<(), ChainError> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in events.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if e.seq != expected_seq || e.prev_hash != prev || e.dossier_code != code {
            return Err(ChainError::Broken { code: code.to_owned(), seq: expected_seq });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainError::EventAltered { code: code.to_owned(), seq: e.seq });
        }
        prev = e.hash.clone();
    }
    let last = events.last().ok_or_else(|| ChainError::Empty { code: code.to_owned() })?;
    if last.hash != last_hash {
        return Err(ChainError::Broken { code: code.to_owned(), seq: last.seq + 1 });
    }
    if last.state_hash != sha256_hex(state.as_bytes()) {
        return Err(ChainError::StateAltered { code: code.to_owned(), seq: last.seq });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64, state: &str) -> Vec<Event> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let e = Event {
                    dossier_code: "X-250303-0001".into(),
                    seq,
                    at_us: seq * 1000,
                    actor_account: Some(1),
                    actor: "staff:a".into(),
                    action: "forward".into(),
                    from_status: Some(2),
                    to_status: 4,
                    from_step: Some("a".into()),
                    to_step: Some("b".into()),
                    details: "{}".into(),
                    state_hash: sha256_hex(format!("{state}{seq}").as_bytes()),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                }
                .seal();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_and_any_change_is_found() {
        let events = chain(3, "s");
        let last = events[2].hash.clone();
        assert_eq!(verify_chain("X-250303-0001", &events, "s3", &last), Ok(()));

        let mut altered = events.clone();
        altered[1].details = r#"{"reason":"khác"}"#.into();
        assert_eq!(
            verify_chain("X-250303-0001", &altered, "s3", &last),
            Err(ChainError::EventAltered { code: "X-250303-0001".into(), seq: 2 })
        );

        let mut removed = events.clone();
        removed.remove(1);
        assert!(matches!(verify_chain("X-250303-0001", &removed, "s3", &last), Err(ChainError::Broken { seq: 2, .. })));

        assert!(matches!(
            verify_chain("X-250303-0001", &events, "s3-edited", &last),
            Err(ChainError::StateAltered { seq: 3, .. })
        ));
        assert!(matches!(
            verify_chain("X-250303-0001", &events[..2], "s2", &last),
            Err(ChainError::Broken { seq: 3, .. })
        ));
        // Rehashing an edited event does not help: the next one points at the old hash.
        let mut forged = events.clone();
        forged[0].action = "refuse".into();
        forged[0] = forged[0].clone().seal();
        assert!(matches!(verify_chain("X-250303-0001", &forged, "s3", &last), Err(ChainError::Broken { seq: 2, .. })));
    }
}

//! Escalations of dossiers waiting at a workflow step (issue 23): which dossiers a rule calls
//! for, the record that it fired (once, with the messages it queues), and what the leaders
//! of an organisation have been told of.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::workflow::Dossier;
use motcua_domain::{DossierCode, OrgCode};

use crate::Result;
use crate::payments::NewNotification;

/// A rule fired for a dossier at a step and due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalation {
    pub dossier: DossierCode,
    pub step: String,
    /// The rule's key (`due_within_1:assignee`).
    pub rule: String,
    pub due_at: Timestamp,
    /// Where the dossier waits.
    pub org: OrgCode,
    /// `assignee`, `leader`, or `none` for a rule that does not apply to this dossier.
    pub notify: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRecord {
    pub escalation: NewEscalation,
    pub fired_at: Timestamp,
}

/// Where the leaders' standing escalations are read from: the leaders' escalations of
/// dossiers not finished (`escalations_standing`, never the archive of every escalation
/// fired; a dossier's rows leave it in the transaction that finishes or closes it), whose
/// dossier still waits at the same step with the same due time.
/// Public so that a test can check its query plan.
pub const STANDING: &str = "FROM escalations_standing e JOIN dossiers d ON d.code = e.dossier_code \
     AND d.step = e.step AND d.due_at = e.due_at WHERE d.finished_at IS NULL";

/// Whether a dossier's leaders' escalations stand no longer: it is no longer being processed
/// ([`motcua_domain::stats::is_open`]: finished, or withdrawn by the applicant, which keeps no
/// finish time). Neither reopens.
pub fn settles(d: &motcua_domain::workflow::Dossier) -> bool {
    !motcua_domain::stats::is_open(d)
}

/// The SQL condition on `dossiers` that is true while [`settles`] is false.
pub(crate) fn unsettled_sql() -> String {
    let withdrawn = motcua_domain::workflow::Status::Withdrawn.code();
    format!("finished_at IS NULL AND status <> {withdrawn}")
}

#[async_trait]
pub trait EscalationStore: Send + Sync {
    /// Open dossiers (received or in process, not finished) at a step keyed `step`, due at or
    /// before `due_before`, for which `rule` has not been recorded at that step and due
    /// time; the earliest due first.
    async fn escalation_candidates(
        &self,
        step: &str,
        rule: &str,
        due_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<Dossier>>;
    /// Records the rule for the dossier and queues `notes`, in one transaction: `false`, and
    /// nothing queued, when it was recorded already (by this server or another).
    async fn record_escalation(&self, e: &NewEscalation, notes: &[NewNotification], now: Timestamp) -> Result<bool>;
    /// What `org`'s leaders were told of and still stands (the dossier waits at the same step
    /// with the same due time), the earliest due first.
    async fn open_escalations(&self, org: &OrgCode, limit: i64) -> Result<Vec<EscalationRecord>>;
    /// Standing leaders' escalations by organisation.
    async fn open_escalation_counts(&self) -> Result<Vec<(OrgCode, i64)>>;
}

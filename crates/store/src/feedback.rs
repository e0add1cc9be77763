//! Citizens' feedback and petitions (phản ánh, kiến nghị; issue 24): each kept whole (as
//! JSON, like a dossier) with the columns its lists are filtered on, and a version that makes
//! two officers' changes at the same moment conflict instead of one undoing the other.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_domain::feedback::{Feedback, FeedbackCode, FeedbackStatus};

use crate::{Page, Paged, Result};

/// A feedback as stored, with the version a change must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedback {
    pub feedback: Feedback,
    pub version: i64,
}

/// Which feedback a list holds.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    /// Handled by this organisation now.
    pub org: Option<OrgCode>,
    pub status: Option<FeedbackStatus>,
    /// Sent by this account.
    pub account: Option<i64>,
    /// Only what the public page shows: answered, the sender agreeing.
    pub published: bool,
    /// Words of the title, content or answer (folded: with or without diacritics).
    pub text: Option<String>,
}

/// Counts of the feedback received in a period, for one organisation (the one holding it
/// now) and topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackCount {
    pub org: OrgCode,
    pub topic: String,
    pub received: i64,
    pub answered: i64,
    pub refused: i64,
    /// Answered or refused within the deadline.
    pub closed_on_time: i64,
    /// Still open, past the deadline it is held to.
    pub overdue: i64,
}

/// What a feedback's deadline calls for: reminding its handlers as it nears, telling the
/// leaders once it has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    DueSoon,
    Overdue,
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Stores a new feedback at version 1; `Conflict` when its code is taken.
    async fn add_feedback(&self, f: &Feedback) -> Result<()>;
    async fn feedback(&self, code: &FeedbackCode) -> Result<Option<StoredFeedback>>;
    /// Replaces the feedback if it is still at `version` (then at `version + 1`); `Conflict`
    /// when someone changed it since.
    async fn save_feedback(&self, f: &Feedback, version: i64) -> Result<()>;
    /// The newest first (answered ones by when they were answered, on the public list).
    async fn list_feedback(&self, filter: &FeedbackFilter, page: Page) -> Result<Paged<Feedback>>;
    /// Open feedback due at or before `before` for which `kind` was not recorded at its
    /// present deadline, the earliest due first.
    async fn feedback_to_remind(&self, kind: Reminder, before: Timestamp, limit: i64) -> Result<Vec<Feedback>>;
    /// Records `kind` for the feedback at deadline `due` and queues `notes`, in one
    /// transaction: `false`, and nothing queued, when it was recorded already (by this server
    /// or another) or the feedback moved on meanwhile.
    async fn record_feedback_reminder(
        &self,
        code: &FeedbackCode,
        kind: Reminder,
        due: Timestamp,
        notes: &[crate::payments::NewNotification],
        now: Timestamp,
    ) -> Result<bool>;
    /// Queues messages about a feedback (to its sender when it is answered), once per topic.
    async fn queue_feedback_messages(&self, notes: &[crate::payments::NewNotification], now: Timestamp) -> Result<()>;
    /// Feedback received in `[from, to)`, counted by organisation and topic; `now` decides
    /// which open ones are overdue.
    async fn feedback_counts(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Vec<FeedbackCount>>;
}

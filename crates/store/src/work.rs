//! Work files for incoming documents (e-Office; issue 25): each item kept whole (as JSON, like
//! a dossier) beside the columns its lists use, who works on it in a table of its own, and a
//! version that makes two changes at the same moment conflict instead of one undoing the other.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::work::WorkItem;
use motcua_domain::{OrgCode, Username};

pub use crate::feedback::Reminder;
use crate::payments::NewNotification;
use crate::{Page, Paged, Result};

/// An item as stored, with the version a change must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWork {
    pub item: WorkItem,
    pub version: i64,
}

/// Which items a list holds.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    /// Of this organisation.
    pub org: Option<OrgCode>,
    /// On which this officer works (main handler or co-handler).
    pub person: Option<Username>,
    /// Open ones only.
    pub open: bool,
    /// Open ones past their deadline at this moment only.
    pub overdue_at: Option<Timestamp>,
}

/// Counts of the work assigned in a period, for one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCount {
    pub org: OrgCode,
    pub assigned: i64,
    pub done: i64,
    /// Done within the deadline.
    pub done_on_time: i64,
    /// Still open, past the deadline.
    pub overdue: i64,
}

#[async_trait]
pub trait WorkStore: Send + Sync {
    /// Stores a new item at version 1; `Conflict` when the document has one already,
    /// `MissingReference` when there is no such document.
    async fn add_work(&self, item: &WorkItem) -> Result<()>;
    async fn work(&self, document: i64) -> Result<Option<StoredWork>>;
    /// Replaces the item (and who works on it) if it is still at `version`; `Conflict` when
    /// someone changed it since.
    async fn save_work(&self, item: &WorkItem, version: i64) -> Result<()>;
    /// Open items first, the earliest due first (so the overdue lead), then closed ones.
    async fn list_work(&self, filter: &WorkFilter, page: Page) -> Result<Paged<WorkItem>>;
    /// Work assigned in `[from, to)`, counted by organisation; `now` decides which open
    /// items are overdue.
    async fn work_counts(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Vec<WorkCount>>;
    /// Open items due at or before `before` for which `kind` was not recorded at their
    /// present deadline, the earliest due first.
    async fn work_to_remind(&self, kind: Reminder, before: Timestamp, limit: i64) -> Result<Vec<WorkItem>>;
    /// Records `kind` for the item at deadline `due` and queues `notes`, in one transaction:
    /// `false`, and nothing queued, when it was recorded already (by this server or another)
    /// or the item moved on meanwhile.
    async fn record_work_reminder(
        &self,
        document: i64,
        kind: Reminder,
        due: Timestamp,
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<bool>;
}

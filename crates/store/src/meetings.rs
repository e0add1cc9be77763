//! Paperless meetings (eCabinet; issue 25): each meeting kept whole (as JSON, like a dossier)
//! beside the columns its lists use, who is involved in a table of its own, a version that
//! makes two changes at the same moment conflict instead of one undoing the other, and the
//! invitations queued in the same transaction as the meeting they invite to.

use async_trait::async_trait;
use motcua_domain::Username;
use motcua_domain::meeting::Meeting;

use crate::payments::NewNotification;
use crate::{Page, Paged, Result};

/// A meeting as stored, with the version a change must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMeeting {
    pub meeting: Meeting,
    pub version: i64,
}

#[async_trait]
pub trait MeetingStore: Send + Sync {
    /// Stores a new meeting at version 1 and queues `notes` (the invitations) with it; its id.
    async fn add_meeting(&self, m: &Meeting, notes: &[NewNotification]) -> Result<i64>;
    async fn meeting(&self, id: i64) -> Result<Option<StoredMeeting>>;
    /// Replaces the meeting if it is still at `version` and not signed, queueing `notes` with
    /// it; `Conflict` when someone changed it since (or it was signed).
    async fn save_meeting(&self, m: &Meeting, version: i64, notes: &[NewNotification]) -> Result<()>;
    /// The meetings `person` is involved in, the latest start first.
    async fn list_meetings(&self, person: &Username, page: Page) -> Result<Paged<StoredMeeting>>;
}

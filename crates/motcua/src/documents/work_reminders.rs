//! Work deadlines through the notification outbox: the main handler is reminded when the
//! deadline is less than a working day away, the organisation's leaders told once it has
//! passed — each once per deadline, whichever server runs the half-minute pass.

use jiff::Timestamp;
use motcua_domain::work::WorkItem;
use motcua_domain::{Account, Role};
use motcua_store::payments::NewNotification;
use motcua_store::work::Reminder;

use super::work::Works;
use crate::app::{AppError, AppResult};
use crate::calendar::source::display_vn;
use crate::service::{Recipient, messages};

/// Items looked at per kind and pass.
const BATCH: i64 = 200;

impl Works<'_> {
    /// One pass at `now`: reminders for work due within a working day, word to the leaders of
    /// work past its deadline. How many were recorded.
    pub async fn remind(&self, now: Timestamp) -> AppResult<usize> {
        let cal = self.state().work_calendar().await.map_err(|_| AppError::internal())?;
        let soon =
            cal.working_time_after(now, cal.rules().hours.minutes_per_day()).map_err(|_| AppError::internal())?;
        let mut recorded = 0;
        for (kind, before) in [(Reminder::DueSoon, soon), (Reminder::Overdue, now)] {
            for w in self.store().work_to_remind(kind, before, BATCH).await? {
                // Past due is the leaders' business; a reminder that came too late is not sent.
                if kind == Reminder::DueSoon && w.due_at < now {
                    self.store().record_work_reminder(w.document, kind, w.due_at, &[], now).await?;
                    continue;
                }
                if kind == Reminder::Overdue && w.due_at >= now {
                    continue;
                }
                let notes = self.reminder_messages(&w, kind).await?;
                if self.store().record_work_reminder(w.document, kind, w.due_at, &notes, now).await? {
                    recorded += 1;
                }
            }
        }
        Ok(recorded)
    }

    async fn reminder_messages(&self, w: &WorkItem, kind: Reminder) -> AppResult<Vec<NewNotification>> {
        let staff = self.accounts().list_staff(&w.org).await?;
        let to: Vec<&Account> = staff
            .iter()
            .filter(|a| !a.disabled)
            .filter(|a| match kind {
                Reminder::DueSoon => a.username == w.handler,
                Reminder::Overdue => a.can_act(&w.org, Role::Leader),
            })
            .collect();
        let subject_line = self.subject_of(w.document).await?;
        let due = display_vn(w.due_at);
        let (subject, sms, key) = match kind {
            Reminder::DueSoon => (
                format!("Công việc sắp đến hạn ({due}): {subject_line}"),
                format!("Cong viec van ban {} sap den han {due}", w.document),
                "remind",
            ),
            Reminder::Overdue => (
                format!("Công việc đã quá hạn ({due}): {subject_line}"),
                format!("Cong viec van ban {} da qua han {due}, chu tri {}", w.document, w.handler),
                "overdue",
            ),
        };
        let body = format!(
            "{subject}\nNgười chủ trì: {}\nXem và xử lý: {}/van-ban/{}/cong-viec",
            w.handler,
            self.state().public_url(),
            w.document
        );
        let mut notes = Vec::new();
        for a in to {
            let topic = format!("work:{}:{key}:{}:{}", w.document, w.due_at.as_second(), a.id);
            let recipient =
                Recipient { phone: a.phone.as_ref().map(|p| p.as_str()), email: a.email.as_ref().map(|e| e.as_str()) };
            notes.extend(messages(&topic, &recipient, self.state().email_on(), &subject, &body, &sms));
        }
        Ok(notes)
    }
}

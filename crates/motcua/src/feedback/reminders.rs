//! Feedback's deadlines through the notification outbox: the handling organisation's officers
//! are reminded when a deadline is less than a working day away, its leaders told once it has
//! passed (each once per deadline, whichever server runs the half-minute pass), and the sender
//! gets the answer or the reason it was refused.

use jiff::Timestamp;
use motcua_domain::feedback::{Feedback, FeedbackStatus};
use motcua_domain::{Account, Role};
use motcua_store::AccountStore;
use motcua_store::feedback::Reminder;
use motcua_store::payments::NewNotification;

use super::{Feedbacks, HANDLERS};
use crate::app::{AppError, AppResult};
use crate::calendar::source::display_vn;
use crate::service::{Recipient, messages};

/// Feedback looked at per kind and pass.
const BATCH: i64 = 200;

impl Feedbacks<'_> {
    /// One pass at `now`: reminders for feedback due within a working day, word to the
    /// leaders of feedback past its deadline. How many were recorded.
    pub async fn remind(&self, now: Timestamp) -> AppResult<usize> {
        let cal = self.state.work_calendar().await.map_err(|_| AppError::internal())?;
        let soon =
            cal.working_time_after(now, cal.rules().hours.minutes_per_day()).map_err(|_| AppError::internal())?;
        let mut recorded = 0;
        for (kind, before) in [(Reminder::DueSoon, soon), (Reminder::Overdue, now)] {
            for f in self.store.feedback_to_remind(kind, before, BATCH).await? {
                // Past due is the leaders' business; a reminder that came too late is not sent.
                if kind == Reminder::DueSoon && f.due_at() < now {
                    self.store.record_feedback_reminder(&f.code, kind, f.due_at(), &[], now).await?;
                    continue;
                }
                if kind == Reminder::Overdue && f.due_at() >= now {
                    continue;
                }
                let notes = self.reminder_messages(&f, kind).await?;
                if self.store.record_feedback_reminder(&f.code, kind, f.due_at(), &notes, now).await? {
                    recorded += 1;
                }
            }
        }
        Ok(recorded)
    }

    async fn reminder_messages(&self, f: &Feedback, kind: Reminder) -> AppResult<Vec<NewNotification>> {
        let accounts: &dyn AccountStore = self.state.store.as_ref();
        let staff = accounts.list_staff(&f.org).await?;
        let to: Vec<&Account> = staff
            .iter()
            .filter(|a| match kind {
                Reminder::DueSoon => HANDLERS.iter().any(|r| a.can_act(&f.org, *r)),
                Reminder::Overdue => a.can_act(&f.org, Role::Leader),
            })
            .collect();
        let due = display_vn(f.due_at());
        let stage = if f.status == FeedbackStatus::Received { "phân loại" } else { "trả lời" };
        let (subject, sms) = match kind {
            Reminder::DueSoon => (
                format!("Phản ánh, kiến nghị {} sắp đến hạn {stage} ({due})", f.code),
                format!("Phan anh {} sap den han {} {due}", f.code, motcua_domain::text::fold(stage)),
            ),
            Reminder::Overdue => (
                format!("Phản ánh, kiến nghị {} đã quá hạn {stage} ({due})", f.code),
                format!("Phan anh {} da qua han {} {due}", f.code, motcua_domain::text::fold(stage)),
            ),
        };
        let body = format!(
            "{subject}\nTiêu đề: {}\nXem và xử lý: {}/phan-anh/{}",
            f.title.as_str(),
            self.state.public_url(),
            f.code
        );
        let key = match kind {
            Reminder::DueSoon => "remind",
            Reminder::Overdue => "overdue",
        };
        let mut notes = Vec::new();
        for a in to {
            let topic = format!("feedback:{}:{key}:{}:{}", f.code, f.due_at().as_second(), a.id);
            let recipient =
                Recipient { phone: a.phone.as_ref().map(|p| p.as_str()), email: a.email.as_ref().map(|e| e.as_str()) };
            notes.extend(messages(&topic, &recipient, self.state.email_on(), &subject, &body, &sms));
        }
        Ok(notes)
    }

    /// Tells the sender the feedback was answered or refused (by e-mail and SMS, as they gave);
    /// a failure is logged, the answer stands.
    pub(super) async fn tell_sender(&self, f: &Feedback) {
        let what = match f.status {
            FeedbackStatus::Answered => "đã được trả lời",
            FeedbackStatus::Refused => "không được thụ lý",
            _ => return,
        };
        let subject = format!("Phản ánh, kiến nghị {} {what}", f.code);
        let link = format!("{}/phan-anh/{}", self.state.public_url(), f.code);
        let answer = f.answer.as_ref().map_or("", |a| a.as_str());
        let body = format!("{subject}.\nTiêu đề: {}\n\n{answer}\n\nXem và đánh giá: {link}", f.title.as_str());
        let sms = format!("Phan anh {} {}. Xem: {link}", f.code, motcua_domain::text::fold(what));
        let recipient = Recipient {
            phone: f.sender.phone.as_ref().map(|p| p.as_str()),
            email: f.sender.email.as_ref().map(|e| e.as_str()),
        };
        let topic = format!("feedback:{}:closed", f.code);
        let notes = messages(&topic, &recipient, self.state.email_on(), &subject, &body, &sms);
        if let Err(e) = self.store.queue_feedback_messages(&notes, Timestamp::now()).await {
            tracing::warn!(code = %f.code, error = %e, "feedback: the sender was not told");
        }
    }
}

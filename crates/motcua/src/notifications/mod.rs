//! Notifications to applicants: on reception, supplement request, payment request, result
//! ready, apology with a new date, and return; and the messages that belong to no dossier
//! (kiosk one-time codes, appointment confirmations and reminders), queued by their features. The notifier reads dossier events it has
//! not looked at (every event is written with its action, so none is missed across a
//! crash), queues the messages they call for in a durable outbox, and sends them — e-mail
//! over SMTP, SMS through a provider — retrying with backoff until they are taken.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use motcua_domain::DossierCode;
use motcua_domain::audit::Event;
use motcua_domain::workflow::Dossier;
use motcua_store::payments::OutboxStore;
use motcua_store::payments::{NewNotification, Notification};
use motcua_store::service::{AppointmentStore, CodeStore};
use motcua_store::{CatalogStore, DossierStore, StoredDossier};

use crate::calendar::source::display_vn;

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `smtp://host:port` (plain, a local relay), `smtp://host?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host` (TLS); none: no e-mail is queued.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// How often the notifier looks for new events.
    pub poll: Duration,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Cổng dịch vụ công motcua <no-reply@motcua.local>".into(),
            poll: Duration::from_secs(1),
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// An SMS gateway. The default only writes the message to the log (with the number
/// masked); a province plugs in its operator's API here.
#[async_trait]
pub trait SmsProvider: Send + Sync {
    async fn send(&self, phone: &str, text: &str) -> Result<(), String>;
}

/// Writes SMS to the log instead of sending them.
pub struct LogSms;

/// `09******78`
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 5 {
        return "***".into();
    }
    let n = digits.len();
    digits.iter().enumerate().map(|(i, c)| if i < 2 || i >= n - 2 { *c } else { '*' }).collect()
}

#[async_trait]
impl SmsProvider for LogSms {
    async fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        tracing::info!(to = %mask_phone(phone), chars = text.chars().count(), "SMS (log provider)");
        Ok(())
    }
}

/// A message for the applicant about an event: subject, e-mail body, SMS text.
pub struct Message3 {
    pub subject: String,
    pub body: String,
    pub sms: String,
}

fn detail(event: &Event, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&event.details).ok()?;
    match &v[key] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => {
            Some(items.iter().filter_map(|i| i.as_str()).map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))
        }
        _ => None,
    }
}

/// The message an event calls for, in Vietnamese; None for events the applicant is not
/// told about.
pub fn message_for(event: &Event, d: &Dossier, procedure: &str, public_url: &str) -> Option<Message3> {
    let code = d.code.as_str();
    let track = format!("{public_url}/tra-cuu?ma={code}");
    let due = d.due_at.map(display_vn).unwrap_or_else(|| "—".into());
    let (subject, what, sms) = match event.action.as_str() {
        "receive" => (
            format!("Hồ sơ {code} đã được tiếp nhận"),
            format!("đã được tiếp nhận. Thời hạn trả kết quả: {due}."),
            format!("Ho so {code} da duoc tiep nhan, hen tra {due}."),
        ),
        "request_supplement" => (
            format!("Hồ sơ {code} cần bổ sung"),
            format!(
                "cần được bổ sung, hoàn thiện.\nLý do: {}\nNội dung cần bổ sung:\n{}\nÔng/Bà có thể bổ sung trực tuyến tại trang hồ sơ.",
                detail(event, "reason").unwrap_or_default(),
                detail(event, "items").unwrap_or_default()
            ),
            format!("Ho so {code} can bo sung. Xem chi tiet: {track}"),
        ),
        "request_payment" => {
            let amount = d.fee.as_ref().map(|f| f.total.to_string()).unwrap_or_default();
            (
                format!("Hồ sơ {code}: đề nghị nộp phí, lệ phí"),
                format!(
                    "cần nộp phí, lệ phí {amount}. Ông/Bà có thể quét mã VietQR trên trang hồ sơ để chuyển khoản, nội dung chuyển khoản: {code}."
                ),
                format!("Ho so {code}: de nghi nop phi {amount}. Quet ma VietQR tren trang ho so."),
            )
        }
        "sign" | "mark_done" => (
            format!("Hồ sơ {code} đã có kết quả"),
            "đã có kết quả giải quyết. Ông/Bà nhận kết quả theo hình thức đã đăng ký.".to_owned(),
            format!("Ho so {code} da co ket qua."),
        ),
        "apologise" => (
            format!("Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}"),
            format!(
                "chưa giải quyết xong đúng hạn. Cơ quan giải quyết xin lỗi Ông/Bà vì sự chậm trễ này.\nLý do: {}\nThời hạn trả kết quả mới: {due}.",
                detail(event, "reason").unwrap_or_default()
            ),
            format!("Xin loi: ho so {code} tre han, hen tra lai {due}."),
        ),
        // Returned together with the others: the application's message says it once.
        "return_result" if d.branch_of.as_ref().is_some_and(|b| b.together) => return None,
        "join" if d.status == motcua_domain::workflow::Status::Returned => (
            format!("Hồ sơ liên thông {code} đã có đủ kết quả"),
            "đã được các cơ quan liên thông giải quyết xong. Kết quả của từng thủ tục có trên trang hồ sơ; mời Ông/Bà đánh giá mức độ hài lòng."
                .to_owned(),
            format!("Ho so lien thong {code} da co du ket qua. Xem: {track}"),
        ),
        "join" => (
            format!("Hồ sơ liên thông {code} đã dừng xử lý"),
            "không được giải quyết ở các cơ quan liên thông. Lý do có trên trang hồ sơ của từng thủ tục.".to_owned(),
            format!("Ho so lien thong {code} da dung xu ly. Xem: {track}"),
        ),
        "return_result" => (
            format!("Hồ sơ {code} đã trả kết quả"),
            "đã được trả kết quả. Cảm ơn Ông/Bà đã sử dụng dịch vụ; mời Ông/Bà đánh giá mức độ hài lòng trên trang hồ sơ."
                .to_owned(),
            format!("Ho so {code} da tra ket qua. Moi danh gia: {track}"),
        ),
        _ => return None,
    };
    let body = format!(
        "Kính gửi Ông/Bà {},\n\nHồ sơ «{procedure}» mã {code} của Ông/Bà {what}\n\nTra cứu tình trạng hồ sơ: {track}\n\nTrân trọng,\nCổng dịch vụ công\n(Thư gửi tự động, vui lòng không trả lời.)\n",
        d.applicant.full_name
    );
    Some(Message3 { subject, body, sms })
}

/// The store roles the notifier uses: the outbox and the events not yet looked at, the
/// dossiers the events are about and their procedures' names, appointments to remind of, and
/// one-time codes to erase.
struct NotifierStores {
    outbox: Arc<dyn OutboxStore>,
    dossiers: Arc<dyn DossierStore>,
    appointments: Arc<dyn AppointmentStore>,
    codes: Arc<dyn CodeStore>,
    catalog: Arc<dyn CatalogStore>,
}

pub struct Notifier {
    store: NotifierStores,
    settings: NotifySettings,
    public_url: String,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    sms: Arc<dyn SmsProvider>,
}

impl Notifier {
    pub fn new(store: Arc<dyn motcua_store::Store>, settings: NotifySettings, public_url: Option<String>) -> Self {
        let mailer =
            settings.smtp_url.as_deref().and_then(|u| match AsyncSmtpTransport::<Tokio1Executor>::from_url(u) {
                Ok(b) => Some(b.timeout(Some(Duration::from_secs(20))).build()),
                Err(e) => {
                    tracing::error!(error = %e, "SMTP URL not usable: e-mail is off");
                    None
                }
            });
        let from =
            settings.mail_from.parse::<Mailbox>().map_err(|e| tracing::error!(error = %e, "MOTCUA_MAIL_FROM")).ok();
        let store = NotifierStores {
            outbox: store.clone(),
            dossiers: store.clone(),
            appointments: store.clone(),
            codes: store.clone(),
            catalog: store,
        };
        Self {
            store,
            settings,
            public_url: public_url.unwrap_or_default().trim_end_matches('/').to_owned(),
            mailer,
            from,
            sms: Arc::new(LogSms),
        }
    }

    /// Uses another SMS provider.
    pub fn with_sms(mut self, sms: Arc<dyn SmsProvider>) -> Self {
        self.sms = sms;
        self
    }

    /// Looks at new events and queues their messages; how many events were looked at.
    pub async fn queue_new(&self) -> Result<usize, motcua_store::StoreError> {
        let events = self.store.outbox.unnotified_events(200).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let mut seen = Vec::new();
        for e in &events {
            let Ok(code) = DossierCode::parse(&e.dossier_code) else { continue };
            seen.push((code, e.seq));
        }
        // The pass's dossiers in one read, not one read per event.
        let mut codes: Vec<DossierCode> = seen.iter().map(|(c, _)| c.clone()).collect();
        codes.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        codes.dedup();
        let dossiers: std::collections::HashMap<String, StoredDossier> = self
            .store
            .dossiers
            .dossiers_of(&codes)
            .await?
            .into_iter()
            .map(|s| (s.dossier.code.as_str().to_owned(), s))
            .collect();
        let mut notes = Vec::new();
        let mut names = std::collections::HashMap::new();
        for e in &events {
            let Some(stored) = dossiers.get(&e.dossier_code) else { continue };
            let code = &stored.dossier.code;
            let d = &stored.dossier;
            // A pass is mostly dossiers of a few procedures: each name is read once per pass.
            let procedure = match names.get(&d.procedure) {
                Some(n) => n,
                None => {
                    let name = self
                        .store
                        .catalog
                        .procedure(&d.procedure)
                        .await?
                        .map_or_else(|| d.procedure.to_string(), |p| p.name.to_string());
                    names.entry(d.procedure.clone()).or_insert(name)
                }
            };
            let Some(m) = message_for(e, d, procedure, &self.public_url) else { continue };
            if let (Some(email), true) = (&d.applicant.email, self.mailer.is_some()) {
                notes.push(NewNotification {
                    dossier: Some(code.clone()),
                    event_seq: e.seq,
                    topic: None,
                    channel: "email".into(),
                    recipient: email.as_str().to_owned(),
                    subject: m.subject.clone(),
                    body: m.body.clone(),
                });
            }
            if let Some(phone) = &d.applicant.phone {
                notes.push(NewNotification {
                    dossier: Some(code.clone()),
                    event_seq: e.seq,
                    topic: None,
                    channel: "sms".into(),
                    recipient: phone.as_str().to_owned(),
                    subject: m.subject.clone(),
                    body: m.sms.clone(),
                });
            }
        }
        self.store.outbox.queue_notifications(&seen, &notes, Timestamp::now()).await?;
        Ok(events.len())
    }

    async fn send(&self, n: &Notification) -> Result<(), String> {
        match n.note.channel.as_str() {
            "email" => {
                let (Some(mailer), Some(from)) = (&self.mailer, &self.from) else {
                    return Err("chưa cấu hình máy chủ thư (MOTCUA_SMTP_URL)".into());
                };
                let to: Mailbox = n.note.recipient.parse().map_err(|e| format!("địa chỉ nhận không hợp lệ: {e}"))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(n.note.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(n.note.body.clone())
                    .map_err(|e| e.to_string())?;
                mailer.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
            "sms" => self.sms.send(&n.note.recipient, &n.note.body).await,
            other => Err(format!("kênh không hỗ trợ: {other}")),
        }
    }

    fn backoff(&self, attempts: i64) -> SignedDuration {
        let base = u64::try_from(self.settings.first_backoff.as_millis()).unwrap_or(u64::MAX);
        let cap = u64::try_from(self.settings.max_backoff.as_millis()).unwrap_or(u64::MAX);
        let ms = base.saturating_mul(1u64 << attempts.clamp(0, 20)).min(cap);
        SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// Sends what is due; how many were tried.
    pub async fn send_due(&self) -> Result<usize, motcua_store::StoreError> {
        let due = self.store.outbox.due_notifications(Timestamp::now(), 50).await?;
        for n in &due {
            match self.send(n).await {
                Ok(()) => self.store.outbox.notification_sent(n.id, Timestamp::now()).await?,
                Err(e) => {
                    tracing::warn!(id = n.id, channel = %n.note.channel, attempts = n.attempts + 1, error = %e, "notification will be retried");
                    self.store.outbox.notification_retry(n.id, &e, Timestamp::now() + self.backoff(n.attempts)).await?;
                }
            }
        }
        Ok(due.len())
    }

    /// Queues reminders of appointments due within a day; how many.
    pub async fn queue_reminders(&self) -> Result<usize, motcua_store::StoreError> {
        crate::service::queue_reminders(
            self.store.appointments.as_ref(),
            self.mailer.is_some(),
            &self.public_url,
            Timestamp::now(),
        )
        .await
    }

    /// Runs until the process ends.
    pub async fn run(self: Arc<Self>) {
        let mut last_reminders: Option<std::time::Instant> = None;
        loop {
            if last_reminders.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
                last_reminders = Some(std::time::Instant::now());
                if let Err(e) = self.queue_reminders().await {
                    tracing::error!(error = %e, "appointment reminders");
                }
                if let Err(e) = crate::service::erase_spent_codes(self.store.codes.as_ref(), Timestamp::now()).await {
                    tracing::error!(error = %e, "erasing one-time codes");
                }
            }
            let queued = self.queue_new().await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "notifier");
                0
            });
            let sent = self.send_due().await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "notifier");
                0
            });
            if queued == 0 && sent == 0 {
                tokio::time::sleep(self.settings.poll).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("0912345678"), "09******78");
        assert_eq!(mask_phone("12"), "***");
    }
}

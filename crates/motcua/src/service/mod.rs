//! Kiosks, queues and appointments — what the API and the pages share: one-time codes that
//! sign a citizen in at a kiosk by ID number, appointment confirmation codes, the messages
//! sent about an appointment, and the reminder round the notifier runs.

pub mod api;
pub mod appointments;
pub mod kiosk;
pub mod pages;
pub mod queue;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::service::{ConfirmationCode, Otp};
use motcua_domain::{Account, AccountKind, Cccd};
use motcua_store::payments::NewNotification;
use motcua_store::service::{AppointmentStore, Booking, CodeStore, OtpCheck};
use motcua_store::{AccountStore, StoreError};

use crate::accounts::auth::{self, AuthError};
use crate::calendar::source::display_vn;

/// How long a one-time code works.
pub const OTP_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Wrong codes allowed before a code stops working.
pub const OTP_MAX_ATTEMPTS: i64 = 5;
/// Codes sent to one account per [`OTP_WINDOW`]; further requests send nothing.
pub const OTP_PER_WINDOW: i64 = 3;
pub const OTP_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Codes sent to one account per day, whoever asks: anyone who knows a CCCD can ask, so this
/// bounds the messages they can make its holder receive.
pub const OTP_PER_DAY: i64 = 10;
/// The topic of one-time code messages (`otp:<challenge hash prefix>`).
pub const OTP_TOPIC: &str = "otp:";

/// A session opened at a kiosk ends by itself after this.
pub const KIOSK_SESSION: SignedDuration = SignedDuration::from_mins(10);
/// Reminders go out this long before the appointment.
pub const REMIND_BEFORE: SignedDuration = SignedDuration::from_hours(24);

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("Mã xác thực không đúng, còn {0} lần thử")]
    WrongCode(i64),
    #[error("Mã xác thực đã hết hạn, đã được dùng hoặc không đúng; vui lòng lấy mã mới")]
    CodeSpent,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] AuthError),
}

/// What the kiosk keeps between asking for a code and typing it.
#[derive(Debug, Clone)]
pub struct OtpChallenge {
    /// 48 hex characters; the code is checked against it.
    pub challenge: String,
    pub expires_at: Timestamp,
}

pub(crate) fn code_hash(challenge: &str, otp: &str) -> String {
    auth::token_hash(&format!("{challenge}:{otp}"))
}

/// Where a message goes: SMS to the phone, e-mail too when the server sends e-mail.
pub struct Recipient<'a> {
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// One message per channel the recipient can be reached on.
pub fn messages(
    topic: &str,
    to: &Recipient<'_>,
    email_on: bool,
    subject: &str,
    body: &str,
    sms: &str,
) -> Vec<NewNotification> {
    let mut out = Vec::new();
    let note = |channel: &str, recipient: &str, text: &str| NewNotification {
        dossier: None,
        event_seq: 0,
        topic: Some(topic.to_owned()),
        channel: channel.to_owned(),
        recipient: recipient.to_owned(),
        subject: subject.to_owned(),
        body: text.to_owned(),
    };
    if let (Some(e), true) = (to.email, email_on) {
        out.push(note("email", e, body));
    }
    if let Some(p) = to.phone {
        out.push(note("sms", p, sms));
    }
    out
}

/// Sends a one-time code to the phone and e-mail registered with the ID number. The answer
/// is the same whether or not such an account exists (so the kiosk cannot be used to learn
/// who has one); nothing is sent for an unknown number, a locked or staff account, or past
/// [`OTP_PER_WINDOW`] codes in [`OTP_WINDOW`].
pub async fn request_otp(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    email_on: bool,
    cccd: &Cccd,
    now: Timestamp,
) -> Result<OtpChallenge, ServiceError> {
    let challenge = auth::hex(&auth::random_bytes::<24>()?);
    let expires_at = now + OTP_TTL;
    let account = match codes.account_id_by_cccd(cccd).await? {
        Some(id) => accounts.account(id).await?,
        None => None,
    };
    let Some(account) = account.filter(|a| !a.disabled && a.kind == AccountKind::Citizen) else {
        return Ok(OtpChallenge { challenge, expires_at });
    };
    let words = |otp: &Otp| CodeWords {
        subject: "Mã xác thực motcua",
        body: format!(
            "Mã xác thực để xem hồ sơ tại ki-ốt: {}\nMã có hiệu lực trong 5 phút. Không cung cấp mã này cho bất kỳ ai.\n",
            otp.as_str()
        ),
        sms: format!("Ma xac thuc motcua: {}. Co hieu luc 5 phut. Khong cung cap ma nay cho nguoi khac.", otp.as_str()),
    };
    let code = OneTimeCode { challenge: &challenge, challenge_hash: auth::token_hash(&challenge), expires_at };
    send_code(codes, email_on, &account, &code, words, now).await?;
    Ok(OtpChallenge { challenge, expires_at })
}

/// What a one-time code's messages say.
pub(crate) struct CodeWords {
    pub subject: &'static str,
    pub body: String,
    pub sms: String,
}

/// A one-time code about to be sent: the challenge its holder sends back, and the hash it is
/// kept under (which says what it is for).
pub(crate) struct OneTimeCode<'a> {
    pub challenge: &'a str,
    pub challenge_hash: String,
    pub expires_at: Timestamp,
}

/// Sends a new code to the account's phone (and e-mail, when the server sends e-mail) through
/// the outbox, unless it has had [`OTP_PER_WINDOW`] codes in [`OTP_WINDOW`] or [`OTP_PER_DAY`]
/// in a day: whether it was sent.
pub(crate) async fn send_code(
    codes: &dyn CodeStore,
    email_on: bool,
    account: &Account,
    code: &OneTimeCode<'_>,
    words: impl Fn(&Otp) -> CodeWords,
    now: Timestamp,
) -> Result<bool, ServiceError> {
    if codes.otps_since(account.id, now - OTP_WINDOW).await? >= OTP_PER_WINDOW
        || codes.otps_since(account.id, now - SignedDuration::from_hours(24)).await? >= OTP_PER_DAY
    {
        tracing::info!(account_id = account.id, "code not sent: too many in the window or the day");
        return Ok(false);
    }
    let otp = Otp::from_random(u32::from_le_bytes(auth::random_bytes::<4>()?));
    let w = words(&otp);
    let to = Recipient {
        phone: account.phone.as_ref().map(|p| p.as_str()),
        email: account.email.as_ref().map(|e| e.as_str()),
    };
    let topic = format!("{OTP_TOPIC}{}", &code.challenge_hash[..24]);
    let notes = messages(&topic, &to, email_on, w.subject, &w.body, &w.sms);
    let hash = code_hash(code.challenge, otp.as_str());
    codes.create_otp(account.id, &code.challenge_hash, &hash, code.expires_at, &notes, now).await?;
    tracing::info!(account_id = account.id, channels = notes.len(), "one-time code sent");
    Ok(true)
}

/// Erases the text of one-time code messages whose code can no longer be used: the outbox
/// keeps a code only while it is valid ([`OTP_TTL`]). How many were erased.
pub async fn erase_spent_codes(store: &dyn CodeStore, now: Timestamp) -> Result<u64, motcua_store::StoreError> {
    store.erase_spent_codes(now - OTP_TTL).await
}

/// Checks a typed code: the citizen's account when it is right.
pub async fn verify_otp(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    challenge: &str,
    otp: &Otp,
    now: Timestamp,
) -> Result<Account, ServiceError> {
    if challenge.len() != 48 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::CodeSpent);
    }
    let checked = codes
        .check_otp(&auth::token_hash(challenge), &code_hash(challenge, otp.as_str()), now, OTP_MAX_ATTEMPTS)
        .await?;
    match checked {
        OtpCheck::Valid(id) => match accounts.account(id).await? {
            Some(a) if !a.disabled => Ok(a),
            _ => Err(ServiceError::CodeSpent),
        },
        OtpCheck::Wrong(left) => Err(ServiceError::WrongCode(left)),
        OtpCheck::Spent => Err(ServiceError::CodeSpent),
    }
}

/// Opens a short session for the account (a kiosk's): its token and end.
pub async fn kiosk_session(
    accounts: &dyn AccountStore,
    account: &Account,
    now: Timestamp,
) -> Result<(String, Timestamp), ServiceError> {
    let (token, hash) = auth::new_session_token()?;
    let expires = now + KIOSK_SESSION;
    accounts.create_session(&hash, account.id, expires).await?;
    Ok((token, expires))
}

/// A new confirmation code.
pub fn new_confirmation_code() -> Result<ConfirmationCode, AuthError> {
    Ok(ConfirmationCode::from_random(auth::random_bytes::<8>()?))
}

/// What a message about an appointment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentNews {
    Booked,
    Moved,
    Cancelled,
    Reminder,
}

/// The messages about an appointment for `slot`'s time at `point`.
pub fn appointment_messages(
    news: AppointmentNews,
    b: &Booking,
    email_on: bool,
    public_url: &str,
) -> Vec<NewNotification> {
    let a = &b.appointment;
    let code = a.code.as_str();
    let when = display_vn(b.slot.starts_at);
    let place = &b.point.name;
    let link = format!("{}/lich-hen/tra-cuu?ma={code}", public_url.trim_end_matches('/'));
    let start = b.slot.starts_at.as_microsecond();
    let (topic, subject, what, sms) = match news {
        AppointmentNews::Booked | AppointmentNews::Moved => (
            format!("appointment:{code}:booked:{start}"),
            format!("Xác nhận lịch hẹn {code}"),
            format!(
                "đã được {} vào lúc {when} tại {place}.",
                if news == AppointmentNews::Moved { "đổi sang" } else { "đặt" }
            ),
            format!("Lich hen {code}: {when}. Doi/huy: {link}"),
        ),
        AppointmentNews::Cancelled => (
            format!("appointment:{code}:cancelled"),
            format!("Lịch hẹn {code} đã được hủy"),
            format!("lúc {when} tại {place} đã được hủy theo yêu cầu."),
            format!("Lich hen {code} luc {when} da huy."),
        ),
        AppointmentNews::Reminder => (
            format!("appointment:{code}:reminder:{start}"),
            format!("Nhắc lịch hẹn {code}"),
            format!("vào lúc {when} tại {place}. Ông/Bà vui lòng đến đúng giờ và mang theo giấy tờ tùy thân."),
            format!("Nhac lich hen {code}: {when}. Vui long den dung gio."),
        ),
    };
    let body = format!(
        "Kính gửi Ông/Bà {},\n\nLịch hẹn mã {code} của Ông/Bà {what}\n\nĐổi hoặc hủy lịch hẹn: {link}\n\nTrân trọng,\nCổng dịch vụ công\n(Thư gửi tự động, vui lòng không trả lời.)\n",
        a.full_name
    );
    let to = Recipient { phone: Some(a.phone.as_str()), email: a.email.as_deref() };
    messages(&topic, &to, email_on, &subject, &body, &sms)
}

/// Queues reminders for the appointments starting within [`REMIND_BEFORE`]; how many.
pub async fn queue_reminders(
    store: &dyn AppointmentStore,
    email_on: bool,
    public_url: &str,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let due = store.reminders_due(now, now + REMIND_BEFORE, 100).await?;
    for b in &due {
        let notes = appointment_messages(AppointmentNews::Reminder, b, email_on, public_url);
        store.queue_reminder(&b.appointment.code, b.slot.starts_at, &notes, now).await?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_where_they_can() {
        let to = Recipient { phone: Some("0912345678"), email: Some("a@b.vn") };
        let m = messages("t", &to, true, "s", "body", "sms");
        assert_eq!(m.iter().map(|n| n.channel.as_str()).collect::<Vec<_>>(), ["email", "sms"]);
        assert_eq!(m[1].body, "sms");
        assert!(m.iter().all(|n| n.topic.as_deref() == Some("t") && n.dossier.is_none()));
        assert_eq!(messages("t", &to, false, "s", "b", "x").len(), 1, "no e-mail when the server sends none");
        assert!(messages("t", &Recipient { phone: None, email: None }, true, "s", "b", "x").is_empty());
    }
}

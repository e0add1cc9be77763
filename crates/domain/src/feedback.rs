//! Citizens' and businesses' feedback and petitions (phản ánh, kiến nghị) about
//! administrative regulations and about how dossiers and officers were handled (Decree
//! 20/2008/NĐ-CP, amended by Decree 92/2017/NĐ-CP): received with a tracking code, classified
//! by the receiving organisation (kept, or sent on to the competent one), answered or refused
//! with the legal reason, published with the sender's consent, rated by the sender.
//!
//! Deadlines are counted in working days by the calendar: classification within
//! [`Deadlines::classify`] days of receipt (3 by the decree), the answer within
//! [`Deadlines::answer`] days of classification (10), and the service-quality index counts
//! feedback answered within [`Deadlines::handled`] days of receipt (15, Decision 766).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::attachment::{Attachment, AttachmentKind};
use crate::calendar::{CalendarError, WorkCalendar as Calendar};
use crate::catalog::TimeLimit;
use crate::rating::Stars;
use crate::{BoundedText, Email, Name, OrgCode, Phone};

/// What the feedback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// An administrative regulation (a rule, a form, a fee) that should change.
    Regulation,
    /// An administrative procedure as published.
    Procedure,
    /// How a dossier was handled.
    Dossier,
    /// How an organisation or its officers behaved.
    Organisation,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regulation => "regulation",
            Self::Procedure => "procedure",
            Self::Dossier => "dossier",
            Self::Organisation => "organisation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Regulation, Self::Procedure, Self::Dossier, Self::Organisation].into_iter().find(|t| t.as_str() == s)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Regulation => "Quy định hành chính",
            Self::Procedure => "Thủ tục hành chính",
            Self::Dossier => "Việc giải quyết hồ sơ",
            Self::Organisation => "Cơ quan, cán bộ",
        }
    }
}

/// Where the feedback is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    /// Received, not classified yet.
    Received,
    /// Classified: with the competent organisation, to be answered.
    Processing,
    Answered,
    /// Not taken up, with the legal reason (anonymous, outside the decree's scope, already
    /// answered, under a complaint or a court case…).
    Refused,
}

impl FeedbackStatus {
    pub fn code(self) -> i32 {
        match self {
            Self::Received => 1,
            Self::Processing => 2,
            Self::Answered => 3,
            Self::Refused => 4,
        }
    }
    pub fn from_code(c: i32) -> Option<Self> {
        [Self::Received, Self::Processing, Self::Answered, Self::Refused].into_iter().find(|s| s.code() == c)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Received => "Đã tiếp nhận",
            Self::Processing => "Đang xử lý",
            Self::Answered => "Đã trả lời",
            Self::Refused => "Không thụ lý",
        }
    }
}

/// Who sent it: the decree asks for a name and a way to answer (an address, a phone number
/// or an e-mail address); a signed-in sender's account too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub account: Option<i64>,
    pub name: Name,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub address: Option<BoundedText<300>>,
}

/// Working days allowed at each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub classify: u16,
    pub answer: u16,
    pub handled: u16,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self { classify: 3, answer: 10, handled: 15 }
    }
}

/// A feedback's tracking code: `PA` and 10 characters of an alphabet without look-alikes,
/// given out at submission (not guessable from another one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "PA7K3M9QX2TD")]
pub struct FeedbackCode(String);

/// The characters of a tracking code: digits and capitals without 0/O, 1/I/L, 5/S, 8/B.
pub const CODE_ALPHABET: &[u8] = b"234679ACDEFGHJKMNPQRTUVWXYZ";

impl FeedbackCode {
    pub fn parse(raw: &str) -> Result<Self, FeedbackError> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = s.len() == 12 && s.starts_with("PA") && s.bytes().skip(2).all(|b| CODE_ALPHABET.contains(&b));
        if ok { Ok(Self(s)) } else { Err(FeedbackError::Code) }
    }
    /// A code from 10 random bytes.
    pub fn from_random(bytes: [u8; 10]) -> Self {
        let tail: String = bytes.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect();
        Self(format!("PA{tail}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FeedbackCode {
    type Error = FeedbackError;
    fn try_from(s: String) -> Result<Self, FeedbackError> {
        Self::parse(&s)
    }
}
impl From<FeedbackCode> for String {
    fn from(c: FeedbackCode) -> String {
        c.0
    }
}
impl std::fmt::Display for FeedbackCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A feedback and everything done with it (kept as JSON by the store, like dossiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub code: FeedbackCode,
    pub topic: Topic,
    /// The procedure's, dossier's or organisation's code, or the regulation's name.
    pub about: Option<BoundedText<200>>,
    pub title: BoundedText<200>,
    pub content: BoundedText<5000>,
    pub sender: Sender,
    /// The sender agrees to the answer being published (without personal data).
    pub publish: bool,
    /// The organisation handling it now: the receiving one, then the competent one.
    pub org: OrgCode,
    pub status: FeedbackStatus,
    pub received_at: Timestamp,
    pub classify_due: Timestamp,
    pub classified_at: Option<Timestamp>,
    pub answer_due: Option<Timestamp>,
    /// When it was answered or refused.
    pub closed_at: Option<Timestamp>,
    /// The answer, or the legal reason it was refused.
    pub answer: Option<BoundedText<10000>>,
    /// The officer who classified, answered or refused it last (`staff:<username>`).
    pub handled_by: Option<String>,
    pub rating: Option<Stars>,
    /// The sender's files (`applicant`), then those sent with the answer or the refusal
    /// (`result`), numbered 1, 2, … in that order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Attachment>,
}

/// Most files sent with a feedback, or with its answer: a photo, a paper (fewer and smaller
/// than a dossier's, which anyone signed out may not send).
pub const MAX_FILES: usize = 5;
/// Largest size of those files together.
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;

/// What a sender gives.
#[derive(Debug, Clone)]
pub struct Submission {
    pub topic: Topic,
    pub about: Option<BoundedText<200>>,
    pub title: BoundedText<200>,
    pub content: BoundedText<5000>,
    pub sender: Sender,
    pub publish: bool,
    /// Where it is sent (the organisation the sender chose, or the province's office).
    pub org: OrgCode,
    /// The files sent with it (their bytes already stored under their SHA-256).
    pub files: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackError {
    #[error("Mã phản ánh, kiến nghị không hợp lệ (PA và 10 ký tự)")]
    Code,
    #[error("Cần một cách để trả lời: số điện thoại hoặc thư điện tử")]
    NoContact,
    #[error("Phản ánh, kiến nghị {status}: không thể {what}")]
    NotNow { status: &'static str, what: &'static str },
    #[error("Đã đánh giá câu trả lời này")]
    AlreadyRated,
    #[error("Phản ánh, kiến nghị hoặc câu trả lời kèm tối đa 5 tệp, tổng dung lượng không quá 20 MB")]
    TooManyFiles,
    #[error("Không tính được hạn xử lý: {0}")]
    Calendar(#[from] CalendarError),
}

/// Files within the limits, numbered from `first`, of the given kind.
fn numbered(files: Vec<Attachment>, kind: AttachmentKind, first: i32) -> Result<Vec<Attachment>, FeedbackError> {
    let total: i64 = files.iter().map(|f| f.size.max(0)).sum();
    if files.len() > MAX_FILES || total > MAX_TOTAL_BYTES as i64 {
        return Err(FeedbackError::TooManyFiles);
    }
    Ok(files
        .into_iter()
        .enumerate()
        .map(|(i, f)| Attachment { index: first + i as i32, component: None, kind, ..f })
        .collect())
}

fn due(cal: &Calendar, from: Timestamp, days: u16) -> Result<Timestamp, FeedbackError> {
    Ok(cal.due(from, TimeLimit::WorkingDays { value: days })?.due_at)
}

impl Feedback {
    /// A new feedback received at `now`, due to be classified `deadlines.classify` working
    /// days later.
    pub fn receive(
        code: FeedbackCode,
        s: Submission,
        cal: &Calendar,
        deadlines: Deadlines,
        now: Timestamp,
    ) -> Result<Self, FeedbackError> {
        if s.sender.phone.is_none() && s.sender.email.is_none() {
            return Err(FeedbackError::NoContact);
        }
        let files = numbered(s.files, AttachmentKind::Applicant, 1)?;
        Ok(Self {
            code,
            topic: s.topic,
            about: s.about,
            title: s.title,
            content: s.content,
            sender: s.sender,
            publish: s.publish,
            org: s.org,
            status: FeedbackStatus::Received,
            received_at: now,
            classify_due: due(cal, now, deadlines.classify)?,
            classified_at: None,
            answer_due: None,
            closed_at: None,
            answer: None,
            handled_by: None,
            rating: None,
            files,
        })
    }

    fn not_now(&self, what: &'static str) -> FeedbackError {
        FeedbackError::NotNow { status: self.status.label_vi(), what }
    }

    /// Classified at `now`: kept, or sent on to the competent organisation `to`; to be
    /// answered `deadlines.answer` working days later.
    pub fn classify(
        &mut self,
        topic: Topic,
        to: Option<OrgCode>,
        by: &str,
        cal: &Calendar,
        deadlines: Deadlines,
        now: Timestamp,
    ) -> Result<(), FeedbackError> {
        if self.status != FeedbackStatus::Received {
            return Err(self.not_now("phân loại lại"));
        }
        self.topic = topic;
        if let Some(org) = to {
            self.org = org;
        }
        self.status = FeedbackStatus::Processing;
        self.classified_at = Some(now);
        self.answer_due = Some(due(cal, now, deadlines.answer)?);
        self.handled_by = Some(by.to_owned());
        Ok(())
    }

    /// Answered at `now` (a feedback not classified yet is classified by its answer).
    pub fn answer(&mut self, text: BoundedText<10000>, by: &str, now: Timestamp) -> Result<(), FeedbackError> {
        if !matches!(self.status, FeedbackStatus::Received | FeedbackStatus::Processing) {
            return Err(self.not_now("trả lời"));
        }
        self.classified_at.get_or_insert(now);
        self.status = FeedbackStatus::Answered;
        self.answer = Some(text);
        self.closed_at = Some(now);
        self.handled_by = Some(by.to_owned());
        Ok(())
    }

    /// Refused at `now`, with the legal reason.
    pub fn refuse(&mut self, reason: BoundedText<10000>, by: &str, now: Timestamp) -> Result<(), FeedbackError> {
        if !matches!(self.status, FeedbackStatus::Received | FeedbackStatus::Processing) {
            return Err(self.not_now("từ chối"));
        }
        self.status = FeedbackStatus::Refused;
        self.answer = Some(reason);
        self.closed_at = Some(now);
        self.handled_by = Some(by.to_owned());
        Ok(())
    }

    /// Files that go with the answer or the refusal (a letter, a decision), numbered after
    /// the sender's: once, right after it was answered or refused.
    pub fn attach_to_answer(&mut self, files: Vec<Attachment>) -> Result<(), FeedbackError> {
        if files.is_empty() {
            return Ok(());
        }
        if !matches!(self.status, FeedbackStatus::Answered | FeedbackStatus::Refused) {
            return Err(self.not_now("gửi tệp trả lời"));
        }
        if self.files.iter().any(|f| f.kind == AttachmentKind::Result) {
            return Err(self.not_now("gửi thêm tệp trả lời"));
        }
        let first = self.files.len() as i32 + 1;
        self.files.extend(numbered(files, AttachmentKind::Result, first)?);
        Ok(())
    }

    /// The sender's files, or the answer's.
    pub fn files_of(&self, kind: AttachmentKind) -> impl Iterator<Item = &Attachment> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// The sender rates the answer, once.
    pub fn rate(&mut self, stars: Stars) -> Result<(), FeedbackError> {
        if self.status != FeedbackStatus::Answered {
            return Err(self.not_now("đánh giá"));
        }
        if self.rating.is_some() {
            return Err(FeedbackError::AlreadyRated);
        }
        self.rating = Some(stars);
        Ok(())
    }

    /// The deadline it is held to now: classification while received, the answer after.
    pub fn due_at(&self) -> Timestamp {
        match (self.status, self.answer_due) {
            (FeedbackStatus::Received, _) | (_, None) => self.classify_due,
            (_, Some(answer)) => answer,
        }
    }

    /// Past its deadline at `now` and still open.
    pub fn overdue(&self, now: Timestamp) -> bool {
        matches!(self.status, FeedbackStatus::Received | FeedbackStatus::Processing) && now > self.due_at()
    }

    /// Closed (answered or refused) within its deadline; None while open.
    pub fn on_time(&self) -> Option<bool> {
        self.closed_at.map(|closed| closed <= self.answer_due.unwrap_or(self.classify_due))
    }

    /// Shown on the public page: answered and the sender agreed.
    pub fn published(&self) -> bool {
        self.publish && self.status == FeedbackStatus::Answered
    }

    /// What the public search matches, folded (no diacritics, lower case): the title, the
    /// content and the answer; never the sender.
    pub fn search_text(&self) -> String {
        let answer = self.answer.as_ref().map_or("", |a| a.as_str());
        crate::text::fold(&format!("{} {} {}", self.title.as_str(), self.content.as_str(), answer))
    }
}

#[cfg(test)]
#[path = "feedback_tests.rs"]
mod tests;

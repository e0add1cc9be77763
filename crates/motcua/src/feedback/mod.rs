//! Citizens' feedback and petitions (phản ánh, kiến nghị; Decree 20/2008/NĐ-CP): sent by
//! anyone (signed in, or with a name and a way to be answered), classified by the receiving
//! organisation and sent on to the competent one, answered or refused with the legal reason,
//! published with the sender's consent, rated by the sender. The rules and deadlines are the
//! domain's (`motcua_domain::feedback`); here, who may do what and where it is kept.

pub mod api;
pub mod figures;
pub mod pages;
mod reminders;

use jiff::Timestamp;
use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::feedback::{
    Deadlines, Feedback, FeedbackCode, FeedbackError, FeedbackStatus, Sender, Submission, Topic,
};
use motcua_domain::rating::Stars;
use motcua_domain::{Account, AccountKind, BoundedText, Email, Name, OrgCode, Phone, Role};
use motcua_store::feedback::{FeedbackFilter, FeedbackStore};
use motcua_store::{CatalogStore, Page, Paged, StoreError};
use serde::{Deserialize, Serialize};

use crate::app::upload::Upload;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::display_vn;

/// The roles of an organisation that handle the feedback it holds.
const HANDLERS: [Role; 3] = [Role::DeskOfficer, Role::Specialist, Role::Leader];

/// What a sender gives.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub topic: Topic,
    /// The procedure's, dossier's or organisation's code, or the regulation's name.
    #[serde(default)]
    pub about: Option<String>,
    pub title: String,
    pub content: String,
    /// The organisation it is sent to.
    pub org: OrgCode,
    /// The sender's name (a signed-in sender's account name when left out).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// The sender agrees to the answer being published, without personal data.
    #[serde(default)]
    pub publish: bool,
}

/// What is done with a feedback.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackAction {
    /// `classify` (staff: with `topic`, and `to_org` to send it to the competent
    /// organisation), `answer` or `refuse` (staff, with `text`: the answer or the legal
    /// reason), `rate` (the sender, with `stars`).
    pub action: String,
    #[serde(default)]
    pub topic: Option<Topic>,
    #[serde(default)]
    pub to_org: Option<OrgCode>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub stars: Option<i64>,
}

/// A file sent with a feedback or with its answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// 1, 2, … within the feedback.
    pub index: i32,
    pub filename: String,
    /// Sniffed from the content, not taken from the sender.
    pub content_type: String,
    pub size: i64,
    /// `12 KB`, `1,5 MB`
    pub size_label: String,
    /// `sender` (sent with the feedback) or `answer` (with the answer or the refusal).
    pub from: &'static str,
    /// Where to download it.
    pub url: String,
}

/// The sender as the handling organisation's officers see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SenderView {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A feedback as the API shows it: the sender's identity only to the officers handling it
/// (and the sender); on the public list, neither the sender nor anything that names them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackView {
    pub code: String,
    pub topic: Topic,
    pub topic_label: &'static str,
    pub about: Option<String>,
    pub title: String,
    pub content: String,
    pub status: FeedbackStatus,
    pub status_label: &'static str,
    /// The organisation handling it now.
    pub org: String,
    pub org_name: String,
    /// `HH:MM dd/mm/yyyy`
    pub received_at: String,
    /// The deadline it is held to now (classification, then the answer).
    pub due_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub due: Timestamp,
    pub overdue: bool,
    pub closed_at: Option<String>,
    /// Answered or refused within the deadline.
    pub on_time: Option<bool>,
    /// The answer, or the legal reason it was refused.
    pub answer: Option<String>,
    pub publish: bool,
    pub rating: Option<u8>,
    pub sender: Option<SenderView>,
    /// The files: all of them to the sender and the officers handling it; to anyone else
    /// holding the code, those of the answer only (the sender's may show personal papers).
    pub files: Vec<FileView>,
}

/// An answer as the public page shows it: what was asked about and the answer, by which
/// organisation — never the sender, what they wrote, nor the tracking code (the code is the
/// sender's key: it follows the feedback and rates the answer).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishedView {
    pub topic: Topic,
    pub topic_label: &'static str,
    pub about: Option<String>,
    pub title: String,
    pub org: String,
    pub org_name: String,
    /// `HH:MM dd/mm/yyyy`
    pub answered_at: Option<String>,
    pub answer: Option<String>,
}

/// Who looks at a feedback.
#[derive(Clone, Copy)]
enum Viewer {
    /// The officers of the organisation handling it, and the sender.
    Party,
    /// Someone with the tracking code, or the public page.
    Other,
}

/// The feedback use cases.
pub struct Feedbacks<'a> {
    store: &'a dyn FeedbackStore,
    catalog: &'a dyn CatalogStore,
    state: &'a AppState,
    deadlines: Deadlines,
}

fn invalid(e: FeedbackError) -> AppError {
    match e {
        FeedbackError::NotNow { .. } => AppError::new(Kind::Conflict, ErrorCode::ActionNotAllowed, e.to_string()),
        FeedbackError::AlreadyRated => AppError::new(Kind::Conflict, ErrorCode::AlreadyRated, e.to_string()),
        FeedbackError::Calendar(_) => AppError::new(Kind::Unprocessable, ErrorCode::YearOutOfRange, e.to_string()),
        FeedbackError::Code | FeedbackError::NoContact => AppError::bad_request(ErrorCode::InvalidValue, e.to_string()),
        FeedbackError::TooManyFiles => AppError::new(Kind::TooLarge, ErrorCode::TooManyFiles, e.to_string()),
    }
}

fn text<const MAX: usize>(field: &'static str, raw: &str) -> AppResult<BoundedText<MAX>> {
    BoundedText::parse(field, raw).map_err(|e| AppError::bad_request(ErrorCode::InvalidText, e.to_string()))
}

fn optional<T>(raw: Option<&str>, parse: impl Fn(&str) -> AppResult<T>) -> AppResult<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse(s).map(Some),
        None => Ok(None),
    }
}

impl<'a> Feedbacks<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self { store, catalog: store, state, deadlines: Deadlines::default() }
    }

    async fn org_exists(&self, org: &OrgCode) -> AppResult<bool> {
        Ok(self.catalog.organisation(org).await?.is_some())
    }

    /// Receives a feedback from `account` (None: signed out), with its files (checked by
    /// content); its tracking code in the view.
    pub(crate) async fn submit(
        &self,
        account: Option<&Account>,
        req: &FeedbackRequest,
        uploads: Vec<Upload>,
    ) -> AppResult<FeedbackView> {
        if !self.org_exists(&req.org).await? {
            return Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::UnknownOrg,
                format!("Không có cơ quan {}", req.org),
            ));
        }
        let name = match (req.name.as_deref().map(str::trim).filter(|s| !s.is_empty()), account) {
            (Some(n), _) => {
                Name::parse("họ tên", n).map_err(|e| AppError::bad_request(ErrorCode::InvalidText, e.to_string()))?
            }
            (None, Some(a)) => a.full_name.clone(),
            (None, None) => return Err(AppError::bad_request(ErrorCode::InvalidText, "Cần họ tên người gửi")),
        };
        let phone = optional(req.phone.as_deref(), |s| {
            Phone::parse(s).map_err(|e| AppError::bad_request(ErrorCode::InvalidValue, e.to_string()))
        })?
        .or_else(|| account.and_then(|a| a.phone.clone()));
        let email = optional(req.email.as_deref(), |s| {
            Email::parse(s).map_err(|e| AppError::bad_request(ErrorCode::InvalidValue, e.to_string()))
        })?
        .or_else(|| account.and_then(|a| a.email.clone()));
        let submission = Submission {
            topic: req.topic,
            about: optional(req.about.as_deref(), |s| text("nội dung liên quan", s))?,
            title: text("tiêu đề", &req.title)?,
            content: text("nội dung", &req.content)?,
            sender: Sender {
                account: account.map(|a| a.id),
                name,
                phone,
                email,
                address: optional(req.address.as_deref(), |s| text("địa chỉ", s))?,
            },
            publish: req.publish,
            org: req.org.clone(),
            files: uploads.iter().map(described).collect(),
        };
        let cal = self.state.work_calendar().await.map_err(|e| {
            tracing::error!(error = %e, "calendar");
            AppError::internal()
        })?;
        // A fresh code until one is free (a clash of 47 random bits is for the record only).
        // The files are written once the feedback holds together, before the record names them.
        let mut uploads = Some(uploads);
        for _ in 0..3 {
            let mut raw = [0u8; 10];
            getrandom::fill(&mut raw).map_err(|_| AppError::internal())?;
            let f = Feedback::receive(
                FeedbackCode::from_random(raw),
                submission.clone(),
                &cal,
                self.deadlines,
                Timestamp::now(),
            )
            .map_err(invalid)?;
            if let Some(files) = uploads.take() {
                self.put_files(files).await?;
            }
            match self.store.add_feedback(&f).await {
                Ok(()) => {
                    tracing::info!(code = %f.code, org = %f.org, "feedback received");
                    return self.view(f, Viewer::Party).await;
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::internal())
    }

    /// Whether `account` handles feedback held by `org` (its desk officers, specialists and
    /// leaders).
    pub fn handles(&self, account: Option<&Account>, org: &str) -> bool {
        let Ok(org) = OrgCode::parse(org) else { return false };
        account.is_some_and(|a| HANDLERS.iter().any(|r| a.can_act(&org, *r)))
    }

    /// Whether `account` (None: signed out, holding the code) may rate the feedback `code`:
    /// its sender's account, or anyone with the code of one sent signed out.
    pub async fn may_rate(&self, account: Option<&Account>, code: &str) -> bool {
        match self.load(code).await.map(|s| s.feedback.sender.account) {
            Ok(Some(id)) => account.is_some_and(|a| a.id == id),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// The officers of the handling organisation, or the sender (by account).
    fn party(f: &Feedback, account: Option<&Account>) -> bool {
        account.is_some_and(|a| {
            HANDLERS.iter().any(|r| a.can_act(&f.org, *r))
                || (a.kind == AccountKind::Citizen && f.sender.account == Some(a.id))
        })
    }

    async fn load(&self, code: &str) -> AppResult<motcua_store::feedback::StoredFeedback> {
        let not_found = || AppError::not_found("Không có phản ánh, kiến nghị mang mã này");
        let code = FeedbackCode::parse(code).map_err(|_| not_found())?;
        self.store.feedback(&code).await?.ok_or_else(not_found)
    }

    /// A feedback by its tracking code: whoever holds the code sees how it stands; the
    /// sender's identity only the sender and the officers handling it.
    pub async fn get(&self, account: Option<&Account>, code: &str) -> AppResult<FeedbackView> {
        let f = self.load(code).await?.feedback;
        let viewer = if Self::party(&f, account) { Viewer::Party } else { Viewer::Other };
        self.view(f, viewer).await
    }

    /// Officers: what their organisations hold (one of them with `org`); citizens: their own.
    pub async fn list(
        &self,
        account: &Account,
        org: Option<OrgCode>,
        status: Option<FeedbackStatus>,
        page: Page,
    ) -> AppResult<Paged<FeedbackView>> {
        let mut filter = FeedbackFilter { status, ..Default::default() };
        if account.kind == AccountKind::Citizen {
            filter.account = Some(account.id);
        } else {
            let mine: Vec<&OrgCode> =
                account.roles.iter().filter(|r| HANDLERS.contains(&r.role)).map(|r| &r.org).collect();
            let chosen = match org {
                Some(o) if mine.contains(&&o) => o,
                Some(o) => {
                    return Err(AppError::new(
                        Kind::Forbidden,
                        ErrorCode::Forbidden,
                        format!("Bạn không xử lý phản ánh, kiến nghị của cơ quan {o}"),
                    ));
                }
                None => match mine.first() {
                    Some(o) => (*o).clone(),
                    None => {
                        return Err(AppError::new(
                            Kind::Forbidden,
                            ErrorCode::Forbidden,
                            "Tài khoản không xử lý phản ánh, kiến nghị",
                        ));
                    }
                },
            };
            filter.org = Some(chosen);
        }
        let found = self.store.list_feedback(&filter, page).await?;
        Ok(Paged { items: self.views(found.items, Viewer::Party).await?, total: found.total })
    }

    /// The organisations whose feedback `account` handles, with their names (none for a
    /// citizen).
    pub async fn handled_orgs(&self, account: &Account) -> AppResult<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = Vec::new();
        for r in account.roles.iter().filter(|r| HANDLERS.contains(&r.role)) {
            if !out.iter().any(|(code, _)| code == r.org.as_str()) {
                out.push((r.org.to_string(), self.org_name(&r.org).await?));
            }
        }
        Ok(out)
    }

    /// The published answers (the public page), newest first, matching `q` if given.
    pub async fn published(&self, q: Option<&str>, page: Page) -> AppResult<Paged<PublishedView>> {
        let filter = FeedbackFilter { published: true, text: q.map(str::to_owned), ..Default::default() };
        let found = self.store.list_feedback(&filter, page).await?;
        let mut items = Vec::with_capacity(found.items.len());
        for v in self.views(found.items, Viewer::Other).await? {
            items.push(PublishedView {
                topic: v.topic,
                topic_label: v.topic_label,
                about: v.about,
                title: v.title,
                org: v.org,
                org_name: v.org_name,
                answered_at: v.closed_at,
                answer: v.answer,
            });
        }
        Ok(Paged { items, total: found.total })
    }

    /// Classifies, answers, refuses (the handling organisation's officers) or rates (the
    /// sender: by account, or by the code for a sender who was not signed in).
    /// Files (`uploads`) go with an answer or a refusal only.
    pub(crate) async fn act(
        &self,
        account: Option<&Account>,
        code: &str,
        req: &FeedbackAction,
        uploads: Vec<Upload>,
    ) -> AppResult<FeedbackView> {
        let stored = self.load(code).await?;
        let mut f = stored.feedback;
        let now = Timestamp::now();
        let staff = |f: &Feedback| -> AppResult<String> {
            match account {
                Some(a) if HANDLERS.iter().any(|r| a.can_act(&f.org, *r)) => Ok(format!("staff:{}", a.username)),
                Some(_) => Err(AppError::new(
                    Kind::Forbidden,
                    ErrorCode::Forbidden,
                    "Chỉ cán bộ của cơ quan đang xử lý phản ánh, kiến nghị này mới được thao tác",
                )),
                None => Err(AppError::unauthenticated()),
            }
        };
        if !uploads.is_empty() && !matches!(req.action.as_str(), "answer" | "refuse") {
            return Err(AppError::bad_request(
                ErrorCode::InvalidMultipart,
                "Chỉ gửi tệp kèm câu trả lời hoặc văn bản từ chối",
            ));
        }
        match req.action.as_str() {
            "classify" => {
                let by = staff(&f)?;
                let topic = req.topic.unwrap_or(f.topic);
                if let Some(to) = &req.to_org
                    && !self.org_exists(to).await?
                {
                    return Err(AppError::new(
                        Kind::Unprocessable,
                        ErrorCode::UnknownOrg,
                        format!("Không có cơ quan {to}"),
                    ));
                }
                let cal = self.state.work_calendar().await.map_err(|_| AppError::internal())?;
                f.classify(topic, req.to_org.clone(), &by, &cal, self.deadlines, now).map_err(invalid)?;
            }
            "answer" | "refuse" => {
                let by = staff(&f)?;
                let field = if req.action == "answer" {
                    "nội dung trả lời"
                } else {
                    "lý do không thụ lý (căn cứ pháp lý)"
                };
                let body = text(field, req.text.as_deref().unwrap_or_default())?;
                if req.action == "answer" { f.answer(body, &by, now) } else { f.refuse(body, &by, now) }
                    .map_err(invalid)?;
                f.attach_to_answer(uploads.iter().map(described).collect()).map_err(invalid)?;
            }
            "rate" => {
                let sender_ok = match (f.sender.account, account) {
                    (Some(id), Some(a)) => a.id == id,
                    (Some(_), None) => return Err(AppError::unauthenticated()),
                    // Sent signed out: the code is the sender's key.
                    (None, _) => true,
                };
                if !sender_ok {
                    return Err(AppError::new(
                        Kind::Forbidden,
                        ErrorCode::Forbidden,
                        "Chỉ người gửi mới được đánh giá",
                    ));
                }
                let stars = Stars::new(req.stars.unwrap_or(0))
                    .map_err(|e| AppError::bad_request(ErrorCode::InvalidValue, e.to_string()))?;
                f.rate(stars).map_err(invalid)?;
            }
            other => {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidAction,
                    format!("Thao tác không hợp lệ: «{other}» (classify, answer, refuse, rate)"),
                ));
            }
        }
        self.put_files(uploads).await?;
        match self.store.save_feedback(&f, stored.version).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::new(
                    Kind::Conflict,
                    ErrorCode::ConcurrentUpdate,
                    "Phản ánh, kiến nghị vừa được người khác cập nhật; vui lòng tải lại rồi thao tác",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(code = %f.code, action = %req.action, "feedback action");
        if matches!(req.action.as_str(), "answer" | "refuse") {
            self.tell_sender(&f).await;
        }
        let viewer = if Self::party(&f, account) { Viewer::Party } else { Viewer::Other };
        self.view(f, viewer).await
    }

    /// Writes the files' bytes (durably, before any record names them).
    async fn put_files(&self, uploads: Vec<Upload>) -> AppResult<()> {
        if !uploads.is_empty() {
            self.state.blobs.store_uploads(uploads, AttachmentKind::Applicant, 1).await?;
        }
        Ok(())
    }

    /// One of a feedback's files and its bytes, if `account` (None: signed out, holding the
    /// code) may see it: as [`FeedbackView::files`] lists them.
    pub async fn file(&self, account: Option<&Account>, code: &str, index: i32) -> AppResult<(Attachment, Vec<u8>)> {
        let f = self.load(code).await?.feedback;
        let viewer = if Self::party(&f, account) { Viewer::Party } else { Viewer::Other };
        let a = visible(&f, viewer)
            .find(|a| a.index == index)
            .cloned()
            .ok_or_else(|| AppError::not_found("Không có tệp này, hoặc bạn không được xem tệp này"))?;
        let bytes = self.state.blobs.get(&a.sha256).await.map_err(|e| {
            tracing::error!(error = %e, sha256 = %a.sha256, "feedback file missing or damaged in the blob store");
            AppError::internal()
        })?;
        Ok((a, bytes))
    }

    async fn org_name(&self, org: &OrgCode) -> AppResult<String> {
        Ok(self.catalog.organisation(org).await?.map_or_else(|| org.to_string(), |o| o.name.to_string()))
    }

    async fn view(&self, f: Feedback, viewer: Viewer) -> AppResult<FeedbackView> {
        let org_name = self.org_name(&f.org).await?;
        Ok(Self::view_named(f, viewer, org_name))
    }

    /// The views of a list, each organisation's name read once.
    async fn views(&self, list: Vec<Feedback>, viewer: Viewer) -> AppResult<Vec<FeedbackView>> {
        let mut names = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(list.len());
        for f in list {
            if !names.contains_key(&f.org) {
                names.insert(f.org.clone(), self.org_name(&f.org).await?);
            }
            let name = names.get(&f.org).cloned().unwrap_or_default();
            out.push(Self::view_named(f, viewer, name));
        }
        Ok(out)
    }

    fn view_named(f: Feedback, viewer: Viewer, org_name: String) -> FeedbackView {
        let now = Timestamp::now();
        let sender = match viewer {
            Viewer::Party => Some(SenderView {
                name: f.sender.name.to_string(),
                phone: f.sender.phone.as_ref().map(|p| p.as_str().to_owned()),
                email: f.sender.email.as_ref().map(|e| e.as_str().to_owned()),
                address: f.sender.address.as_ref().map(|a| a.to_string()),
            }),
            Viewer::Other => None,
        };
        let files = visible(&f, viewer)
            .map(|a| FileView {
                index: a.index,
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.size,
                size_label: crate::app::display::file_size(a.size),
                from: if a.kind == AttachmentKind::Result { "answer" } else { "sender" },
                url: format!("/api/v1/feedback/{}/files/{}", f.code, a.index),
            })
            .collect();
        FeedbackView {
            files,
            code: f.code.to_string(),
            topic: f.topic,
            topic_label: f.topic.label_vi(),
            about: f.about.as_ref().map(|a| a.to_string()),
            title: f.title.to_string(),
            content: f.content.to_string(),
            status: f.status,
            status_label: f.status.label_vi(),
            org: f.org.to_string(),
            org_name,
            received_at: display_vn(f.received_at),
            due_at: display_vn(f.due_at()),
            due: f.due_at(),
            overdue: f.overdue(now),
            closed_at: f.closed_at.map(display_vn),
            on_time: f.on_time(),
            answer: f.answer.as_ref().map(|a| a.to_string()),
            publish: f.publish,
            rating: f.rating.map(Stars::get),
            sender,
        }
    }
}

/// A checked upload as the feedback records it (its bytes stored under its SHA-256).
fn described(u: &Upload) -> Attachment {
    Attachment {
        index: 0,
        component: None,
        filename: u.filename.clone(),
        content_type: u.content_type.to_owned(),
        size: u.bytes.len() as i64,
        sha256: u.sha256(),
        kind: AttachmentKind::Applicant,
    }
}

/// The files `viewer` may see: all to the parties, the answer's to anyone else.
fn visible(f: &Feedback, viewer: Viewer) -> impl Iterator<Item = &Attachment> {
    f.files.iter().filter(move |a| matches!(viewer, Viewer::Party) || a.kind == AttachmentKind::Result)
}

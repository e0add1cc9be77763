//! Paperless meetings (eCabinet): calling a meeting with its agenda and pack (papers from the
//! registers or uploaded), invitations through the notification outbox, answers and
//! delegates, comments on the pack, the chair's item change every screen follows live,
//! opinions per item, the minutes signed and issued through the outgoing register. The rules
//! are the domain's (`motcua_domain::meeting`); here, who is who and where it is kept.

pub mod api;
mod minutes;
pub mod pages;
mod papers;
mod views;

use jiff::Timestamp;
use motcua_domain::meeting::{Act, Actor, Choice, Meeting, MeetingError, Paper, Plan, Remark, Response};
use motcua_domain::{Account, AccountKind, OrgCode, Role, Username};
use motcua_store::documents::DocumentStore;
use motcua_store::meetings::{MeetingStore, StoredMeeting};
use motcua_store::payments::NewNotification;
use motcua_store::{AccountStore, CatalogStore, Page, Paged, StoreError};
use serde::Deserialize;

use crate::app::upload::Upload;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::display_vn;
use crate::documents::exchange::can_view;
use crate::service::{Recipient, messages};
use views::view_at;
pub use views::{LiveView, MeetingView};

/// Most files uploaded with one meeting, and their total size.
pub const MAX_FILES: usize = 20;
pub const MAX_FILES_BYTES: usize = motcua_domain::attachment::MAX_TOTAL_BYTES;

/// What an organiser gives to call a meeting. Send as JSON, or as multipart with the JSON in
/// the part `meeting` and files in parts named `file` (items name them by number, from 1).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequest {
    /// The organising organisation (the organiser works there).
    pub org: String,
    /// The chair's username: an officer of the organisation.
    pub chair: String,
    pub title: String,
    /// `yyyy-mm-ddTHH:MM` (Vietnam time) or an RFC 3339 instant.
    pub starts_at: String,
    /// A room, or a video link.
    pub place: String,
    /// Invitees' usernames: officers of any organisation on this server.
    pub invitees: Vec<String>,
    pub items: Vec<ItemRequest>,
}

/// One agenda item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    pub title: String,
    /// The presenter: the chair, the organiser or an invitee.
    pub presenter: String,
    /// Entries of the organisation's registers to read for it.
    #[serde(default)]
    pub documents: Vec<i64>,
    /// Uploaded files for it, by their order in the request (from 1).
    #[serde(default)]
    pub files: Vec<usize>,
}

/// What is done with a meeting.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingAction {
    /// An invitee: `confirm`, `decline` (with `text`, the reason), `delegate` (with `to`);
    /// anyone involved: `comment` (with `item`, `text`); the chair: `start`, `open`, `ask`,
    /// `close_opinions` (with `item`), `end`; an attendee: `check_in`, `opinion` (with `item`,
    /// `choice`, `text`); the organiser or the chair: `minutes` (with `text`, `conclusion`),
    /// `cancel`; a leader of the organisation: `sign`.
    pub action: String,
    /// The agenda item's number, from 1.
    #[serde(default)]
    pub item: Option<usize>,
    #[serde(default)]
    pub choice: Option<Choice>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    /// A delegate's username (an officer of the invitee's organisation).
    #[serde(default)]
    pub to: Option<String>,
}

/// The meeting use cases.
pub struct Meetings<'a> {
    store: &'a dyn MeetingStore,
    catalog: &'a dyn CatalogStore,
    accounts: &'a dyn AccountStore,
    documents: &'a dyn DocumentStore,
    state: &'a AppState,
}

fn invalid(e: MeetingError) -> AppError {
    match e {
        MeetingError::NotYours { .. } => AppError::new(Kind::Forbidden, ErrorCode::Forbidden, e.to_string()),
        MeetingError::NotNow { .. } => AppError::new(Kind::Conflict, ErrorCode::ActionNotAllowed, e.to_string()),
        MeetingError::Invalid(_) | MeetingError::NoItem(_) => {
            AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, e.to_string())
        }
    }
}

fn text<const N: usize>(field: &'static str, raw: &str) -> AppResult<motcua_domain::BoundedText<N>> {
    motcua_domain::BoundedText::parse(field, raw)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidText, e.to_string()))
}

fn optional_remark(raw: Option<&str>) -> AppResult<Option<Remark>> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(|s| text("ý kiến", s)).transpose()
}

fn username(raw: &str) -> AppResult<Username> {
    Username::parse(raw.trim()).map_err(|_| {
        AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, format!("Tên đăng nhập không hợp lệ: {raw}"))
    })
}

fn not_found() -> AppError {
    AppError::not_found("Không tìm thấy cuộc họp, hoặc bạn không dự cuộc họp này")
}

/// `yyyy-mm-ddTHH:MM` in Vietnam time (a form's datetime-local), or an RFC 3339 instant.
pub(crate) fn parse_start(raw: &str) -> AppResult<Timestamp> {
    let s = raw.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| motcua_domain::calendar::vietnam().to_timestamp(dt).ok())
        .ok_or_else(|| {
            AppError::bad_request(
                ErrorCode::InvalidDate,
                format!("Thời gian không hợp lệ: «{s}» (cần yyyy-mm-ddTHH:MM)"),
            )
        })
}

impl<'a> Meetings<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self { store, catalog: store, accounts: store, documents: store, state }
    }

    fn actor(account: &Account, m: &Meeting) -> Actor {
        Actor { username: account.username.clone(), leader: account.can_act(&m.org, Role::Leader) }
    }

    /// An active officer by username.
    async fn officer(&self, u: &Username) -> AppResult<Account> {
        match self.accounts.account_credentials(u).await? {
            Some((a, _)) if a.kind == AccountKind::Staff && !a.disabled && !a.organisations().is_empty() => Ok(a),
            _ => Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::InvalidValue,
                format!("{u} không phải cán bộ đang làm việc"),
            )),
        }
    }

    /// The stored meeting, if `account` is involved in it (404 for anyone else, so nobody
    /// learns what meetings exist).
    pub(crate) async fn load(&self, account: &Account, id: i64) -> AppResult<StoredMeeting> {
        match self.store.meeting(id).await? {
            Some(s) if s.meeting.involves(&account.username) => Ok(s),
            _ => Err(not_found()),
        }
    }

    /// Calls a meeting: checks the people and papers, stores the files, queues the invitations.
    pub(crate) async fn call(
        &self,
        account: &Account,
        req: &MeetingRequest,
        files: Vec<Upload>,
    ) -> AppResult<MeetingView> {
        let org = OrgCode::parse(&req.org)?;
        if account.kind != AccountKind::Staff || !can_view(account, &org) {
            return Err(AppError::new(
                Kind::Forbidden,
                ErrorCode::Forbidden,
                "Chỉ cán bộ của cơ quan mới được tổ chức cuộc họp",
            ));
        }
        if files.len() > MAX_FILES || files.iter().map(|f| f.bytes.len()).sum::<usize>() > MAX_FILES_BYTES {
            return Err(crate::app::upload::too_large());
        }
        let chair = self.officer(&username(&req.chair)?).await?;
        if !chair.can_act(&org, Role::Leader) {
            return Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::InvalidValue,
                "Người chủ trì phải là lãnh đạo cơ quan tổ chức",
            ));
        }
        let mut names = std::collections::HashMap::new();
        let mut invitees = Vec::new();
        let mut invited = Vec::new();
        for raw in &req.invitees {
            let a = self.officer(&username(raw)?).await?;
            let home = a.organisations().first().map(|o| (*o).clone()).ok_or_else(not_found)?;
            let org_name = self.org_name(&mut names, &home).await?;
            invitees.push((a.username.clone(), home, org_name, a.full_name.to_string()));
            invited.push(a);
        }
        let papers = self.papers(&org, req, files).await?;
        let mut items = Vec::new();
        for (it, papers) in req.items.iter().zip(papers) {
            items.push((text("tên nội dung", &it.title)?, username(&it.presenter)?, papers));
        }
        let plan = Plan {
            org_name: self.org_name(&mut names, &org).await?,
            org,
            chair: chair.username.clone(),
            chair_name: chair.full_name.to_string(),
            title: text::<500>("tên cuộc họp", &req.title)?,
            starts_at: parse_start(&req.starts_at)?,
            place: text::<500>("địa điểm", &req.place)?,
            invitees,
            items,
        };
        let now = Timestamp::now();
        let mut m = Meeting::call(plan, (&account.username, account.full_name.as_str()), now).map_err(invalid)?;
        if !invited.iter().any(|a| a.username == chair.username) && chair.username != account.username {
            invited.push(chair);
        }
        let notes = self.invitations(&m, &invited, None);
        m.id = self.store.add_meeting(&m, &notes).await?;
        self.state.events.meeting_changed(m.id);
        Ok(view_at(account, &m, 1))
    }

    /// An organisation's name, read once per call.
    async fn org_name(
        &self,
        seen: &mut std::collections::HashMap<OrgCode, String>,
        org: &OrgCode,
    ) -> AppResult<String> {
        if let Some(n) = seen.get(org) {
            return Ok(n.clone());
        }
        let name = self.catalog.organisation(org).await?.map_or_else(|| org.to_string(), |o| o.name.to_string());
        seen.insert(org.clone(), name.clone());
        Ok(name)
    }

    /// The items' papers: register entries of the organisation, and the uploaded files
    /// (written to the blob store before the meeting names them).
    async fn papers(&self, org: &OrgCode, req: &MeetingRequest, files: Vec<Upload>) -> AppResult<Vec<Vec<Paper>>> {
        let count = files.len();
        if req.items.iter().flat_map(|i| &i.files).any(|n| *n == 0 || *n > count) {
            return Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::InvalidValue,
                format!("Nội dung họp chỉ ra tệp không có (có {count} tệp)"),
            ));
        }
        let mut stored = Vec::with_capacity(count);
        for f in files {
            let size = f.bytes.len() as u64;
            let (name, content_type, bytes) = f.into_parts();
            let hash = self.state.blobs.put(bytes).await.map_err(|e| {
                tracing::error!(error = %e, "storing a meeting's file");
                AppError::internal()
            })?;
            stored.push(Paper::File { name, content_type: content_type.to_owned(), size, hash });
        }
        let mut out = Vec::new();
        for it in &req.items {
            let mut papers = Vec::new();
            for id in &it.documents {
                match self.documents.document_entry(*id).await? {
                    Some(d) if &d.org == org => papers
                        .push(Paper::Register { document: d.id, label: format!("{} — {}", d.number, d.subject) }),
                    _ => {
                        return Err(AppError::new(
                            Kind::Unprocessable,
                            ErrorCode::InvalidValue,
                            format!("Văn bản {id} không có trong sổ của cơ quan tổ chức"),
                        ));
                    }
                }
            }
            papers.extend(it.files.iter().map(|n| stored[n - 1].clone()));
            out.push(papers);
        }
        Ok(out)
    }

    /// Invitations to `to` (or to a delegate: `delegate_of` says for whom).
    fn invitations(&self, m: &Meeting, to: &[Account], delegate_of: Option<&Username>) -> Vec<NewNotification> {
        let when = display_vn(m.starts_at);
        let subject = format!("Giấy mời họp: {} ({when})", m.title);
        let link = if m.id > 0 { format!("/cuoc-hop/{}", m.id) } else { "/cuoc-hop".to_owned() };
        let instead = delegate_of.map(|u| format!("Dự thay: {u}\n")).unwrap_or_default();
        let body = format!(
            "{subject}\n{instead}Địa điểm: {}\nChủ trì: {}\nĐọc tài liệu, xác nhận dự họp: {}{link}",
            m.place,
            m.chair,
            self.state.public_url()
        );
        let sms = format!(
            "Moi hop {when} tai {}: xem {}{link}",
            motcua_domain::text::fold(m.place.as_str()),
            self.state.public_url()
        );
        let mut notes = Vec::new();
        for a in to {
            let topic = format!("meeting:{}:invite:{}", m.created_at.as_microsecond(), a.id);
            let recipient =
                Recipient { phone: a.phone.as_ref().map(|p| p.as_str()), email: a.email.as_ref().map(|e| e.as_str()) };
            notes.extend(messages(&topic, &recipient, self.state.email_on(), &subject, &body, &sms));
        }
        notes
    }

    /// The meeting, for someone involved.
    pub async fn get(&self, account: &Account, id: i64) -> AppResult<MeetingView> {
        let s = self.load(account, id).await?;
        Ok(view_at(account, &s.meeting, s.version))
    }

    /// What the live screens need, for someone involved.
    pub async fn live(&self, account: &Account, id: i64) -> AppResult<LiveView> {
        let s = self.load(account, id).await?;
        Ok(LiveView::of(&s.meeting, s.version))
    }

    /// Whom `account` may send in their place: the active officers of their organisation not
    /// in the meeting yet (none once they checked in or sent someone).
    pub async fn delegate_choices(&self, account: &Account, id: i64) -> AppResult<Vec<(String, String)>> {
        let s = self.load(account, id).await?;
        let m = &s.meeting;
        let Some(me) = m.invitee(&account.username).filter(|i| !i.present && i.response != Response::Delegated) else {
            return Ok(Vec::new());
        };
        let staff = self.accounts.list_staff(&me.org).await?;
        Ok(staff
            .into_iter()
            .filter(|a| !a.disabled && !m.involves(&a.username))
            .map(|a| (a.username.to_string(), a.full_name.to_string()))
            .collect())
    }

    /// The meetings `account` is involved in, the latest first.
    pub async fn list(&self, account: &Account, page: Page) -> AppResult<Paged<MeetingView>> {
        let found = self.store.list_meetings(&account.username, page).await?;
        let items = found.items.iter().map(|s| view_at(account, &s.meeting, s.version)).collect();
        Ok(Paged { total: found.total, items })
    }

    /// One step, written only if nobody changed the meeting since it was read.
    pub async fn act(&self, account: &Account, id: i64, req: &MeetingAction) -> AppResult<MeetingView> {
        let s = self.load(account, id).await?;
        if req.action == "sign" {
            let version = s.version + 1;
            let m = self.sign(account, s).await?;
            return Ok(view_at(account, &m, version));
        }
        let mut m = s.meeting;
        let actor = Self::actor(account, &m);
        let item = || -> AppResult<usize> {
            req.item.and_then(|n| n.checked_sub(1)).ok_or_else(|| {
                AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, "Cần chỉ ra nội dung họp (item, từ 1)")
            })
        };
        let required = |field: &'static str, v: Option<&String>| -> AppResult<String> {
            v.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| AppError::new(Kind::Unprocessable, ErrorCode::InvalidValue, format!("Cần nhập {field}")))
        };
        let mut notes = Vec::new();
        let act = match req.action.as_str() {
            "confirm" => Act::Confirm,
            "decline" => Act::Decline { reason: optional_remark(req.text.as_deref())? },
            "delegate" => {
                let to = self.officer(&username(&required("người dự thay", req.to.as_ref())?)?).await?;
                let home = m.invitee(&account.username).map(|i| i.org.clone());
                if home.as_ref().is_none_or(|o| !to.organisations().contains(&o)) {
                    return Err(AppError::new(
                        Kind::Unprocessable,
                        ErrorCode::InvalidValue,
                        "Người dự thay phải là cán bộ cùng cơ quan với người được mời",
                    ));
                }
                notes = self.invitations(&m, std::slice::from_ref(&to), Some(&account.username));
                Act::Delegate { to: to.username.clone(), name: to.full_name.to_string() }
            }
            "comment" => {
                Act::Comment { item: item()?, text: text("góp ý", &required("góp ý", req.text.as_ref())?)? }
            }
            "start" => Act::Start,
            "check_in" => Act::CheckIn,
            "open" => Act::Open { item: item()? },
            "ask" => Act::Ask { item: item()? },
            "close_opinions" => Act::CloseOpinions { item: item()? },
            "opinion" => Act::Opinion {
                item: item()?,
                choice: req.choice.ok_or_else(|| {
                    AppError::new(
                        Kind::Unprocessable,
                        ErrorCode::InvalidValue,
                        "Cần chọn ý kiến: agree, disagree hoặc other",
                    )
                })?,
                text: optional_remark(req.text.as_deref())?,
            },
            "end" => Act::End,
            "minutes" => Act::Minutes {
                text: text::<20000>("biên bản", &required("biên bản", req.text.as_ref())?)?,
                conclusion: text::<20000>("kết luận", &required("kết luận", req.conclusion.as_ref())?)?,
            },
            "cancel" => Act::Cancel,
            other => {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    ErrorCode::InvalidAction,
                    format!("Thao tác không hợp lệ: {other}"),
                ));
            }
        };
        m.apply(&actor, act, Timestamp::now()).map_err(invalid)?;
        self.save(&m, s.version, &notes).await?;
        Ok(view_at(account, &m, s.version + 1))
    }

    /// Saves at `version` and tells every live screen, here and on the other servers.
    async fn save(&self, m: &Meeting, version: i64, notes: &[NewNotification]) -> AppResult<()> {
        match self.store.save_meeting(m, version, notes).await {
            Ok(()) => {
                self.state.events.meeting_changed(m.id);
                Ok(())
            }
            Err(StoreError::Conflict(_)) => Err(AppError::new(
                Kind::Conflict,
                ErrorCode::ConcurrentUpdate,
                "Cuộc họp vừa được người khác cập nhật; hãy tải lại và thử lại",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

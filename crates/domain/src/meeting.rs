//! Paperless meetings (eCabinet): an organisation's meeting with a chair, invitees from any
//! organisation, an agenda whose items carry their papers and a presenter. Invitees confirm,
//! decline or send a delegate of their own organisation; before and during the meeting they
//! comment on the items; during it the chair opens the items in turn (every attendee's screen
//! follows) and asks for opinions (agree / disagree / other) where needed; afterwards the
//! minutes and the conclusion are written and a leader of the organisation signs them, which
//! issues them through the outgoing register. Once signed the meeting's record never changes.
//!
//! Who may do what is decided here from who the actor is to the meeting: its organiser, its
//! chair, an invitee (or a delegate), a leader of its organisation.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{BoundedText, OrgCode, Username};

/// A meeting's or an item's title, a place or video link.
pub type Title = BoundedText<500>;
/// A comment, an opinion's words, a reason.
pub type Remark = BoundedText<5000>;
/// The minutes, the conclusion.
pub type MinutesText = BoundedText<20000>;

/// Most invitees (delegates included) of one meeting.
pub const MAX_INVITEES: usize = 100;
/// Most agenda items.
pub const MAX_ITEMS: usize = 30;
/// Most papers on one item.
pub const MAX_PAPERS: usize = 10;
/// Most comments on one item.
pub const MAX_COMMENTS: usize = 200;

/// Where the meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// Invitations out; the pack can be read and commented on.
    Planned,
    /// The chair has opened it.
    InProgress,
    /// Closed by the chair; the minutes are being written.
    Ended,
    /// The minutes are signed and issued: the record is final.
    Signed,
    Cancelled,
}

impl MeetingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Ended => "ended",
            Self::Signed => "signed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Planned => "Đã mời họp",
            Self::InProgress => "Đang họp",
            Self::Ended => "Đã kết thúc, chờ biên bản",
            Self::Signed => "Đã ký biên bản",
            Self::Cancelled => "Đã hủy",
        }
    }
}

/// An invitee's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Pending,
    Confirmed,
    Declined,
    /// Sent a delegate (who is an invitee of their own).
    Delegated,
}

impl Response {
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Pending => "Chưa trả lời",
            Self::Confirmed => "Xác nhận dự",
            Self::Declined => "Vắng",
            Self::Delegated => "Cử người dự thay",
        }
    }
}

/// Someone invited (or sent as a delegate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub username: Username,
    pub org: OrgCode,
    /// The organisation's name as it was when invited.
    #[serde(default)]
    pub org_name: String,
    pub name: String,
    pub response: Response,
    pub reason: Option<Remark>,
    /// Whom they sent in their place.
    pub delegate: Option<Username>,
    /// In whose place they come.
    pub delegate_of: Option<Username>,
    /// Checked in during the meeting.
    pub present: bool,
}

/// A paper on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Paper {
    /// An entry of the organisation's registers: its number and subject as shown.
    Register { document: i64, label: String },
    /// A file uploaded for the meeting (kept in the blob store by its hash).
    File { name: String, content_type: String, size: u64, hash: String },
}

/// An attendee's opinion on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Agree,
    Disagree,
    Other,
}

impl Choice {
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Agree => "Đồng ý",
            Self::Disagree => "Không đồng ý",
            Self::Other => "Ý kiến khác",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinion {
    pub by: Username,
    pub choice: Choice,
    pub text: Option<Remark>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub by: Username,
    pub text: Remark,
    pub at: Timestamp,
}

/// One item of the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub title: Title,
    pub presenter: Username,
    pub papers: Vec<Paper>,
    /// The chair asked for opinions on it.
    pub asked: bool,
    /// Opinions are being taken now.
    pub open: bool,
    pub opinions: Vec<Opinion>,
    pub comments: Vec<Comment>,
}

/// Counts of an item's opinions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub agree: usize,
    pub disagree: usize,
    pub other: usize,
}

impl AgendaItem {
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for o in &self.opinions {
            match o.choice {
                Choice::Agree => t.agree += 1,
                Choice::Disagree => t.disagree += 1,
                Choice::Other => t.other += 1,
            }
        }
        t
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    pub text: MinutesText,
    pub conclusion: MinutesText,
    pub by: Username,
    pub at: Timestamp,
}

/// The signature: who signed, when, and the outgoing register's entry that carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub by: Username,
    pub at: Timestamp,
    pub document: i64,
}

/// A meeting (kept as JSON by the store, like dossiers and work).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// 0 until stored.
    pub id: i64,
    pub org: OrgCode,
    #[serde(default)]
    pub org_name: String,
    pub organiser: Username,
    #[serde(default)]
    pub organiser_name: String,
    pub chair: Username,
    #[serde(default)]
    pub chair_name: String,
    pub title: Title,
    pub starts_at: Timestamp,
    /// A room, or a video link.
    pub place: Title,
    pub status: MeetingStatus,
    pub invitees: Vec<Invitee>,
    pub items: Vec<AgendaItem>,
    /// The item the chair has open (every attendee's screen shows it).
    pub current: Option<usize>,
    pub minutes: Option<Minutes>,
    pub signature: Option<Signature>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
}

/// Who acts, as the meeting sees them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub username: Username,
    /// Holds the leader's role in the meeting's organisation.
    pub leader: bool,
}

/// What is given to call a meeting (people already checked to exist by the caller).
#[derive(Debug, Clone)]
pub struct Plan {
    pub org: OrgCode,
    pub org_name: String,
    pub chair: Username,
    pub chair_name: String,
    pub title: Title,
    pub starts_at: Timestamp,
    pub place: Title,
    /// (username, organisation, its name, the person's name)
    pub invitees: Vec<(Username, OrgCode, String, String)>,
    pub items: Vec<(Title, Username, Vec<Paper>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("Chỉ {who} mới được {what}")]
    NotYours { who: &'static str, what: &'static str },
    #[error("Cuộc họp đang ở trạng thái «{status}»: không thể {what}")]
    NotNow { status: &'static str, what: &'static str },
    #[error("{0}")]
    Invalid(&'static str),
    #[error("Không có nội dung số {0} trong chương trình họp")]
    NoItem(usize),
}

use MeetingError::{Invalid, NotNow, NotYours};

/// What is done to a meeting.
#[derive(Debug, Clone)]
pub enum Act {
    Confirm,
    Decline {
        reason: Option<Remark>,
    },
    /// Send a delegate of the invitee's own organisation (checked by the caller).
    Delegate {
        to: Username,
        name: String,
    },
    Comment {
        item: usize,
        text: Remark,
    },
    Start,
    CheckIn,
    /// The chair opens an item: every screen follows.
    Open {
        item: usize,
    },
    /// The chair asks for opinions on an item (and opens it).
    Ask {
        item: usize,
    },
    /// The chair stops taking opinions on an item.
    CloseOpinions {
        item: usize,
    },
    Opinion {
        item: usize,
        choice: Choice,
        text: Option<Remark>,
    },
    End,
    Minutes {
        text: MinutesText,
        conclusion: MinutesText,
    },
    Cancel,
}

impl Meeting {
    /// Calls a meeting: the organiser is the actor; the chair and presenters must be invited
    /// or be the organiser.
    pub fn call(plan: Plan, organiser: (&Username, &str), now: Timestamp) -> Result<Self, MeetingError> {
        let (organiser, organiser_name) = organiser;
        if plan.invitees.is_empty() || plan.invitees.len() > MAX_INVITEES {
            return Err(Invalid("Cuộc họp cần từ 1 đến 100 người được mời"));
        }
        if plan.items.is_empty() || plan.items.len() > MAX_ITEMS {
            return Err(Invalid("Chương trình họp cần từ 1 đến 30 nội dung"));
        }
        let names: Vec<&Username> = plan.invitees.iter().map(|i| &i.0).collect();
        if names.iter().enumerate().any(|(i, n)| names[..i].contains(n)) {
            return Err(Invalid("Một người chỉ được mời một lần"));
        }
        if plan.starts_at < now {
            return Err(Invalid("Thời gian họp phải ở tương lai"));
        }
        let known = |u: &Username| u == organiser || &plan.chair == u || names.contains(&u);
        if plan.items.iter().any(|(_, p, papers)| !known(p) || papers.len() > MAX_PAPERS) {
            return Err(Invalid(
                "Người trình bày phải là người chủ trì, người tổ chức hoặc người được mời; mỗi nội dung tối đa 10 tài liệu",
            ));
        }
        Ok(Self {
            id: 0,
            org: plan.org,
            org_name: plan.org_name,
            organiser: organiser.clone(),
            organiser_name: organiser_name.to_owned(),
            chair: plan.chair,
            chair_name: plan.chair_name,
            title: plan.title,
            starts_at: plan.starts_at,
            place: plan.place,
            status: MeetingStatus::Planned,
            invitees: plan
                .invitees
                .into_iter()
                .map(|(username, org, org_name, name)| Invitee {
                    username,
                    org,
                    org_name,
                    name,
                    response: Response::Pending,
                    reason: None,
                    delegate: None,
                    delegate_of: None,
                    present: false,
                })
                .collect(),
            items: plan
                .items
                .into_iter()
                .map(|(title, presenter, papers)| AgendaItem {
                    title,
                    presenter,
                    papers,
                    asked: false,
                    open: false,
                    opinions: Vec::new(),
                    comments: Vec::new(),
                })
                .collect(),
            current: None,
            minutes: None,
            signature: None,
            created_at: now,
            started_at: None,
            ended_at: None,
        })
    }

    pub fn invitee(&self, u: &Username) -> Option<&Invitee> {
        self.invitees.iter().find(|i| &i.username == u)
    }

    /// Organiser, chair or invitee (a delegate, and whoever sent one, included): who may see it.
    pub fn involves(&self, u: &Username) -> bool {
        &self.organiser == u || &self.chair == u || self.invitee(u).is_some()
    }

    /// Who takes part: the chair, and invitees who neither declined nor sent a delegate.
    pub fn takes_part(&self, u: &Username) -> bool {
        &self.chair == u
            || self.invitee(u).is_some_and(|i| !matches!(i.response, Response::Declined | Response::Delegated))
    }

    /// Everyone involved, once each (for the store's list of who sees what).
    pub fn people(&self) -> Vec<&Username> {
        let mut out: Vec<&Username> = vec![&self.organiser];
        for u in std::iter::once(&self.chair).chain(self.invitees.iter().map(|i| &i.username)) {
            if !out.contains(&u) {
                out.push(u);
            }
        }
        out
    }

    /// A person's name as the meeting knows it (the username when it does not).
    pub fn name_of<'m>(&'m self, u: &'m Username) -> &'m str {
        if let Some(i) = self.invitee(u).filter(|i| !i.name.is_empty()) {
            return &i.name;
        }
        if u == &self.chair && !self.chair_name.is_empty() {
            return &self.chair_name;
        }
        if u == &self.organiser && !self.organiser_name.is_empty() {
            return &self.organiser_name;
        }
        u.as_str()
    }

    /// Present at the meeting: the chair, and invitees who checked in.
    pub fn present(&self) -> impl Iterator<Item = &Invitee> {
        self.invitees.iter().filter(|i| i.present)
    }

    fn not_now(&self, what: &'static str) -> MeetingError {
        NotNow { status: self.status.label_vi(), what }
    }

    fn item_mut(&mut self, item: usize) -> Result<&mut AgendaItem, MeetingError> {
        self.items.get_mut(item).ok_or(MeetingError::NoItem(item + 1))
    }

    fn only(&self, allowed: &[MeetingStatus], what: &'static str) -> Result<(), MeetingError> {
        if allowed.contains(&self.status) { Ok(()) } else { Err(self.not_now(what)) }
    }

    fn chair_only(&self, by: &Actor, what: &'static str) -> Result<(), MeetingError> {
        if by.username == self.chair { Ok(()) } else { Err(NotYours { who: "người chủ trì", what }) }
    }

    /// Applies `act` by `by` at `now`.
    pub fn apply(&mut self, by: &Actor, act: Act, now: Timestamp) -> Result<(), MeetingError> {
        use MeetingStatus::*;
        match act {
            Act::Confirm | Act::Decline { .. } | Act::Delegate { .. } => self.respond(by, act),
            Act::Comment { item, text } => {
                self.only(&[Planned, InProgress], "góp ý")?;
                if !self.involves(&by.username) {
                    return Err(NotYours { who: "người dự họp", what: "góp ý" });
                }
                let it = self.item_mut(item)?;
                if it.comments.len() >= MAX_COMMENTS {
                    return Err(Invalid("Nội dung này đã có quá nhiều góp ý"));
                }
                it.comments.push(Comment { by: by.username.clone(), text, at: now });
                Ok(())
            }
            Act::Start => {
                self.chair_only(by, "khai mạc cuộc họp")?;
                self.only(&[Planned], "khai mạc")?;
                self.status = InProgress;
                self.started_at = Some(now);
                self.current = Some(0);
                Ok(())
            }
            Act::CheckIn => {
                self.only(&[InProgress], "điểm danh")?;
                let u = by.username.clone();
                let takes_part = self.takes_part(&u);
                let Some(i) = self.invitees.iter_mut().find(|i| i.username == u) else {
                    return Err(NotYours { who: "người được mời", what: "điểm danh" });
                };
                if !takes_part {
                    return Err(Invalid("Bạn đã báo vắng hoặc cử người dự thay"));
                }
                i.present = true;
                if i.response == Response::Pending {
                    i.response = Response::Confirmed;
                }
                Ok(())
            }
            Act::Open { item } | Act::Ask { item } => {
                let asking = matches!(act, Act::Ask { .. });
                self.chair_only(by, "chuyển nội dung họp")?;
                self.only(&[InProgress], "chuyển nội dung")?;
                self.item_mut(item)?;
                for (n, it) in self.items.iter_mut().enumerate() {
                    if n != item {
                        it.open = false;
                    } else if asking {
                        it.asked = true;
                        it.open = true;
                    }
                }
                self.current = Some(item);
                Ok(())
            }
            Act::CloseOpinions { item } => {
                self.chair_only(by, "kết thúc lấy ý kiến")?;
                self.only(&[InProgress], "kết thúc lấy ý kiến")?;
                self.item_mut(item)?.open = false;
                Ok(())
            }
            Act::Opinion { item, choice, text } => {
                self.only(&[InProgress], "cho ý kiến")?;
                let present = self.chair == by.username || self.invitee(&by.username).is_some_and(|i| i.present);
                if !present {
                    return Err(NotYours { who: "người có mặt (đã điểm danh)", what: "cho ý kiến" });
                }
                let it = self.item_mut(item)?;
                if !it.open {
                    return Err(Invalid("Người chủ trì chưa lấy ý kiến về nội dung này"));
                }
                it.opinions.retain(|o| o.by != by.username);
                it.opinions.push(Opinion { by: by.username.clone(), choice, text, at: now });
                Ok(())
            }
            Act::End => {
                self.chair_only(by, "bế mạc cuộc họp")?;
                self.only(&[InProgress], "bế mạc")?;
                self.status = Ended;
                self.ended_at = Some(now);
                self.current = None;
                self.items.iter_mut().for_each(|it| it.open = false);
                Ok(())
            }
            Act::Minutes { text, conclusion } => {
                if by.username != self.organiser && by.username != self.chair {
                    return Err(NotYours {
                        who: "người tổ chức hoặc người chủ trì", what: "ghi biên bản"
                    });
                }
                self.only(&[Ended], "ghi biên bản")?;
                self.minutes = Some(Minutes { text, conclusion, by: by.username.clone(), at: now });
                Ok(())
            }
            Act::Cancel => {
                if by.username != self.organiser && by.username != self.chair {
                    return Err(NotYours {
                        who: "người tổ chức hoặc người chủ trì", what: "hủy cuộc họp"
                    });
                }
                self.only(&[Planned], "hủy")?;
                self.status = Cancelled;
                Ok(())
            }
        }
    }

    fn respond(&mut self, by: &Actor, act: Act) -> Result<(), MeetingError> {
        self.only(&[MeetingStatus::Planned, MeetingStatus::InProgress], "trả lời giấy mời")?;
        if let Act::Delegate { to, .. } = &act {
            if self.invitee(to).is_some() || to == &self.chair || to == &self.organiser {
                return Err(Invalid("Người dự thay đã có tên trong cuộc họp"));
            }
            if self.invitees.len() >= MAX_INVITEES {
                return Err(Invalid("Cuộc họp đã đủ số người tối đa"));
            }
        }
        let Some(i) = self.invitees.iter_mut().find(|i| i.username == by.username) else {
            return Err(NotYours { who: "người được mời", what: "trả lời giấy mời" });
        };
        if i.response == Response::Delegated || i.present {
            return Err(Invalid("Bạn đã cử người dự thay hoặc đã điểm danh: không đổi được trả lời"));
        }
        match act {
            Act::Confirm => {
                i.response = Response::Confirmed;
                i.reason = None;
            }
            Act::Decline { reason } => {
                i.response = Response::Declined;
                i.reason = reason;
            }
            Act::Delegate { to, name } => {
                i.response = Response::Delegated;
                i.delegate = Some(to.clone());
                let delegate = Invitee {
                    username: to,
                    org: i.org.clone(),
                    org_name: i.org_name.clone(),
                    name,
                    response: Response::Confirmed,
                    reason: None,
                    delegate: None,
                    delegate_of: Some(by.username.clone()),
                    present: false,
                };
                self.invitees.push(delegate);
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether `by` may sign the minutes now (a leader of the organisation, once written).
    pub fn check_sign(&self, by: &Actor) -> Result<&Minutes, MeetingError> {
        if !by.leader {
            return Err(NotYours { who: "lãnh đạo cơ quan tổ chức cuộc họp", what: "ký biên bản" });
        }
        self.only(&[MeetingStatus::Ended], "ký biên bản")?;
        self.minutes.as_ref().ok_or(Invalid("Chưa có biên bản để ký"))
    }

    /// The minutes signed and issued as register entry `document`: the record is final.
    pub fn sign(&mut self, by: &Actor, document: i64, now: Timestamp) -> Result<(), MeetingError> {
        self.check_sign(by)?;
        self.status = MeetingStatus::Signed;
        self.signature = Some(Signature { by: by.username.clone(), at: now, document });
        Ok(())
    }

    /// Organisations the signed minutes go to: the attendees' own, other than the organiser's.
    pub fn recipients(&self) -> Vec<OrgCode> {
        let mut out: Vec<OrgCode> = Vec::new();
        for i in self.invitees.iter().filter(|i| i.org != self.org && i.response != Response::Delegated) {
            if !out.contains(&i.org) {
                out.push(i.org.clone());
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "meeting_tests.rs"]
mod tests;

//! A meeting as the API and the pages show it, to whoever is involved; and the small live
//! view every screen follows.

use jiff::Timestamp;
use motcua_domain::meeting::{AgendaItem, Choice, Invitee, Meeting, MeetingStatus, Paper, Response, Tally};
use motcua_domain::{Account, Role};
use serde::Serialize;

use crate::calendar::source::display_vn;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InviteeView {
    pub username: String,
    pub name: String,
    pub org: String,
    pub org_name: String,
    pub response: Response,
    pub response_label: &'static str,
    pub reason: Option<String>,
    pub delegate: Option<String>,
    pub delegate_of: Option<String>,
    pub present: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaperView {
    /// From 1 within the item: `/api/v1/meetings/{id}/items/{item}/papers/{paper}`.
    pub number: usize,
    #[serde(flatten)]
    pub paper: Paper,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpinionView {
    pub by: String,
    pub by_name: String,
    pub choice: Choice,
    pub choice_label: &'static str,
    pub text: Option<String>,
    /// `HH:MM dd/mm/yyyy`
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub by: String,
    pub by_name: String,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// From 1.
    pub number: usize,
    pub title: String,
    pub presenter: String,
    pub presenter_name: String,
    pub papers: Vec<PaperView>,
    /// The chair asked for opinions on it.
    pub asked: bool,
    /// Opinions are being taken now.
    pub open: bool,
    pub tally: Tally,
    pub opinions: Vec<OpinionView>,
    pub comments: Vec<CommentView>,
    /// The viewer's own opinion, if given.
    pub mine: Option<Choice>,
    /// The chair has it open now.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MinutesView {
    pub text: String,
    pub conclusion: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureView {
    pub by: String,
    pub at: String,
    /// The outgoing register's entry that issued the minutes.
    pub document: i64,
}

/// Who the viewer is to the meeting, and what they may do now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YouView {
    pub organiser: bool,
    pub chair: bool,
    /// Invited (or sent as a delegate): their answer.
    pub response: Option<Response>,
    pub present: bool,
    /// Takes part (may check in and give opinions).
    pub attendee: bool,
    /// Leads the organisation (may sign the minutes).
    pub leader: bool,
    /// What the pages offer now.
    pub can_answer: bool,
    pub can_check_in: bool,
    pub can_comment: bool,
    pub can_give_opinion: bool,
    pub can_write_minutes: bool,
    pub can_sign: bool,
}

/// A meeting as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: i64,
    pub org: String,
    pub org_name: String,
    pub organiser: String,
    pub organiser_name: String,
    pub chair: String,
    pub chair_name: String,
    pub title: String,
    /// `HH:MM dd/mm/yyyy`
    pub starts_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub starts: Timestamp,
    pub place: String,
    pub status: MeetingStatus,
    pub status_label: &'static str,
    /// The item the chair has open, from 1.
    pub current_item: Option<usize>,
    pub invitees: Vec<InviteeView>,
    pub items: Vec<ItemView>,
    pub minutes: Option<MinutesView>,
    pub signature: Option<SignatureView>,
    pub you: YouView,
    /// Changes when anything does (what the live screens compare).
    pub version: i64,
}

/// What every screen follows live: sent at once and after every change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LiveView {
    pub id: i64,
    pub status: MeetingStatus,
    pub status_label: &'static str,
    /// From 1.
    pub current_item: Option<usize>,
    pub current_title: Option<String>,
    /// Items taking opinions now, from 1.
    pub open_items: Vec<usize>,
    pub tallies: Vec<Tally>,
    pub present: usize,
    pub version: i64,
}

impl LiveView {
    pub fn of(m: &Meeting, version: i64) -> Self {
        Self {
            id: m.id,
            status: m.status,
            status_label: m.status.label_vi(),
            current_item: m.current.map(|c| c + 1),
            current_title: m.current.and_then(|c| m.items.get(c)).map(|i| i.title.to_string()),
            open_items: m.items.iter().enumerate().filter(|(_, i)| i.open).map(|(n, _)| n + 1).collect(),
            tallies: m.items.iter().map(AgendaItem::tally).collect(),
            present: m.present().count(),
            version,
        }
    }
}

fn invitee_view(i: &Invitee) -> InviteeView {
    InviteeView {
        username: i.username.to_string(),
        name: i.name.clone(),
        org: i.org.to_string(),
        org_name: if i.org_name.is_empty() { i.org.to_string() } else { i.org_name.clone() },
        response: i.response,
        response_label: i.response.label_vi(),
        reason: i.reason.as_ref().map(ToString::to_string),
        delegate: i.delegate.as_ref().map(ToString::to_string),
        delegate_of: i.delegate_of.as_ref().map(ToString::to_string),
        present: i.present,
    }
}

fn item_view(m: &Meeting, n: usize, it: &AgendaItem, viewer: &Account) -> ItemView {
    ItemView {
        number: n + 1,
        title: it.title.to_string(),
        presenter: it.presenter.to_string(),
        presenter_name: m.name_of(&it.presenter).to_owned(),
        papers: it
            .papers
            .iter()
            .enumerate()
            .map(|(k, p)| PaperView {
                number: k + 1,
                label: match p {
                    Paper::Register { label, .. } => label.clone(),
                    Paper::File { name, .. } => name.clone(),
                },
                paper: p.clone(),
            })
            .collect(),
        asked: it.asked,
        open: it.open,
        tally: it.tally(),
        opinions: it
            .opinions
            .iter()
            .map(|o| OpinionView {
                by: o.by.to_string(),
                by_name: m.name_of(&o.by).to_owned(),
                choice: o.choice,
                choice_label: o.choice.label_vi(),
                text: o.text.as_ref().map(ToString::to_string),
                at: display_vn(o.at),
            })
            .collect(),
        comments: it
            .comments
            .iter()
            .map(|c| CommentView {
                by: c.by.to_string(),
                by_name: m.name_of(&c.by).to_owned(),
                text: c.text.to_string(),
                at: display_vn(c.at),
            })
            .collect(),
        mine: it.opinions.iter().find(|o| o.by == viewer.username).map(|o| o.choice),
        current: false,
    }
}

pub(super) fn view_at(viewer: &Account, m: &Meeting, version: i64) -> MeetingView {
    let me = m.invitee(&viewer.username);
    let (planned, running, ended) =
        (m.status == MeetingStatus::Planned, m.status == MeetingStatus::InProgress, m.status == MeetingStatus::Ended);
    let present = me.is_some_and(|i| i.present);
    let chair = m.chair == viewer.username;
    let organiser = m.organiser == viewer.username;
    let leader = viewer.can_act(&m.org, Role::Leader);
    let mut items: Vec<ItemView> = m.items.iter().enumerate().map(|(n, it)| item_view(m, n, it, viewer)).collect();
    if let Some(c) = m.current.and_then(|c| items.get_mut(c)) {
        c.current = true;
    }
    MeetingView {
        id: m.id,
        org: m.org.to_string(),
        org_name: if m.org_name.is_empty() { m.org.to_string() } else { m.org_name.clone() },
        organiser: m.organiser.to_string(),
        organiser_name: m.name_of(&m.organiser).to_owned(),
        chair: m.chair.to_string(),
        chair_name: m.name_of(&m.chair).to_owned(),
        title: m.title.to_string(),
        starts_at: display_vn(m.starts_at),
        starts: m.starts_at,
        place: m.place.to_string(),
        status: m.status,
        status_label: m.status.label_vi(),
        current_item: m.current.map(|c| c + 1),
        invitees: m.invitees.iter().map(invitee_view).collect(),
        items,
        minutes: m.minutes.as_ref().map(|mi| MinutesView {
            text: mi.text.to_string(),
            conclusion: mi.conclusion.to_string(),
            by: m.name_of(&mi.by).to_owned(),
            at: display_vn(mi.at),
        }),
        signature: m.signature.as_ref().map(|s| SignatureView {
            by: m.name_of(&s.by).to_owned(),
            at: display_vn(s.at),
            document: s.document,
        }),
        you: YouView {
            organiser,
            chair,
            response: me.map(|i| i.response),
            present,
            attendee: m.takes_part(&viewer.username),
            leader,
            can_answer: (planned || running) && !present && me.is_some_and(|i| i.response != Response::Delegated),
            can_check_in: running && !present && me.is_some() && m.takes_part(&viewer.username),
            can_comment: planned || running,
            can_give_opinion: running && (present || chair),
            can_write_minutes: ended && (organiser || chair),
            can_sign: ended && leader && m.minutes.is_some(),
        },
        version,
    }
}

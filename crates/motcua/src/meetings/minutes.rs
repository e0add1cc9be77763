//! Signing the minutes: a leader of the organisation signs, which issues them through the
//! outgoing register (numbered, signed with the organisation's key, sent to the attendees'
//! organisations like any official document); then the meeting is final. The register entry
//! is made under an idempotency key of the meeting and the version read, so a retry after a
//! crash between the two writes finds the entry it made instead of issuing a second one.

use jiff::Timestamp;
use motcua_domain::Account;
use motcua_domain::audit::sha256_hex;
use motcua_domain::meeting::{Meeting, Response};
use motcua_exchange::edxml::SignerInfo;
use motcua_store::IdempotencyKey;
use motcua_store::meetings::StoredMeeting;

use super::{Meetings, invalid};
use crate::app::{AppError, AppResult, ErrorCode, Kind};
use crate::calendar::source::display_vn;
use crate::documents::exchange::Outgoing;

/// The minutes as the official document's text: the meeting, who came, every item with its
/// opinions, then the minutes and the conclusion.
pub(crate) fn document_text(m: &Meeting) -> String {
    let mut out = format!(
        "BIÊN BẢN CUỘC HỌP\n{}\nThời gian: {}\nĐịa điểm: {}\nChủ trì: {}\n\nThành phần:\n",
        m.title,
        display_vn(m.started_at.unwrap_or(m.starts_at)),
        m.place,
        m.name_of(&m.chair)
    );
    for i in &m.invitees {
        let how = if i.present {
            "có mặt"
        } else if i.response == Response::Delegated {
            "cử người dự thay"
        } else {
            "vắng mặt"
        };
        let org = if i.org_name.is_empty() { i.org.as_str() } else { i.org_name.as_str() };
        out.push_str(&format!("- {} ({}, {org}): {how}\n", i.name, i.username));
    }
    out.push_str("\nNội dung:\n");
    for (n, it) in m.items.iter().enumerate() {
        out.push_str(&format!("{}. {} — trình bày: {}\n", n + 1, it.title, m.name_of(&it.presenter)));
        if it.asked {
            let t = it.tally();
            out.push_str(&format!(
                "   Ý kiến: {} đồng ý, {} không đồng ý, {} ý kiến khác\n",
                t.agree, t.disagree, t.other
            ));
            for o in it.opinions.iter().filter(|o| o.text.is_some()) {
                out.push_str(&format!(
                    "   - {} ({}): {}\n",
                    m.name_of(&o.by),
                    o.choice.label_vi(),
                    o.text.as_ref().map(|t| t.as_str()).unwrap_or_default()
                ));
            }
        }
    }
    if let Some(mi) = &m.minutes {
        out.push_str(&format!("\nDiễn biến:\n{}\n\nKết luận:\n{}\n", mi.text, mi.conclusion));
    }
    out
}

impl Meetings<'_> {
    /// Signs and issues the minutes (see the module's documentation).
    pub(super) async fn sign(&self, account: &Account, s: StoredMeeting) -> AppResult<Meeting> {
        let mut m = s.meeting;
        let actor = Self::actor(account, &m);
        m.check_sign(&actor).map_err(invalid)?;
        let to = m.recipients();
        if to.is_empty() {
            return Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::InvalidValue,
                "Biên bản được phát hành qua sổ văn bản đi tới cơ quan của người dự họp; cuộc họp không có người của cơ quan khác",
            ));
        }
        let content = document_text(&m);
        let subject: String = format!("Biên bản cuộc họp: {}", m.title).chars().take(500).collect();
        let out = Outgoing {
            from: m.org.clone(),
            to,
            notation: "BB".into(),
            document_type: "Biên bản".into(),
            subject,
            content: content.chars().take(20_000).collect(),
            signer: SignerInfo {
                competence: String::new(),
                position: "Chủ trì cuộc họp".into(),
                full_name: account.full_name.to_string(),
            },
            place: String::new(),
            due_date: None,
            priority: 0,
            to_places: Vec::new(),
            attachments: Vec::new(),
        };
        let key = IdempotencyKey {
            account_id: account.id,
            key: format!("meeting-{}-minutes-v{}", m.id, s.version),
            request_hash: sha256_hex(content.as_bytes()),
        };
        let (document, _) = self.state.exchange.send(account, out, Some(&key)).await?;
        m.sign(&actor, document.id, Timestamp::now()).map_err(invalid)?;
        self.save(&m, s.version, &[]).await?;
        Ok(m)
    }
}

//! The pack: an agenda item's papers as files for whoever is involved in the meeting, an
//! invitee of another organisation included (who could not open the organiser's registers).

use motcua_domain::Account;
use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::meeting::Paper;

use super::Meetings;
use crate::app::{AppError, AppResult};

fn missing() -> AppError {
    AppError::not_found("Không có tài liệu này trong chương trình họp")
}

fn attachment(index: usize, filename: String, content_type: String, size: usize) -> Attachment {
    Attachment {
        index: i32::try_from(index).unwrap_or(i32::MAX),
        component: None,
        filename,
        content_type,
        size: i64::try_from(size).unwrap_or(i64::MAX),
        sha256: String::new(),
        kind: AttachmentKind::Applicant,
    }
}

impl Meetings<'_> {
    /// Paper `paper` (from 1) of item `item` (from 1): an uploaded file; a register document's
    /// text, or with `part` (from 1) one of its files.
    pub async fn paper(
        &self,
        account: &Account,
        id: i64,
        item: usize,
        paper: usize,
        part: Option<usize>,
    ) -> AppResult<(Attachment, Vec<u8>)> {
        let s = self.load(account, id).await?;
        let p = item
            .checked_sub(1)
            .and_then(|i| s.meeting.items.get(i))
            .and_then(|it| paper.checked_sub(1).and_then(|k| it.papers.get(k)))
            .cloned()
            .ok_or_else(missing)?;
        match p {
            Paper::File { name, content_type, hash, .. } => {
                let bytes = self.state.blobs.get(&hash).await.map_err(|e| {
                    tracing::error!(error = %e, sha256 = %hash, "a meeting's file missing or damaged in the blob store");
                    AppError::internal()
                })?;
                Ok((attachment(paper, name, content_type, bytes.len()), bytes))
            }
            Paper::Register { document, .. } => {
                let d = self.documents.document(document).await?.ok_or_else(missing)?;
                let pkg = crate::documents::package_of(&d)?;
                match part {
                    None => {
                        let h = &pkg.header;
                        let text = format!(
                            "{}\n{} số {}/{}, ngày {}\nTrích yếu: {}\nNgười ký: {}\n\n{}\n",
                            h.from.name,
                            h.document_type,
                            h.code_number,
                            h.code_notation,
                            h.promulgation_date.strftime("%d/%m/%Y"),
                            h.subject,
                            h.signer.full_name,
                            h.content
                        );
                        let bytes = text.into_bytes();
                        let name = format!("van-ban-{document}.txt");
                        Ok((attachment(paper, name, "text/plain; charset=utf-8".into(), bytes.len()), bytes))
                    }
                    Some(n) => {
                        let a = n.checked_sub(1).and_then(|i| pkg.attachments.get(i)).ok_or_else(missing)?;
                        let meta = attachment(paper, a.name.clone(), a.content_type.clone(), a.data.len());
                        Ok((meta, a.data.clone()))
                    }
                }
            }
        }
    }
}

//! Files that come with a submission or an action: checked by content, written durably
//! before the dossier that refers to them commits; and which of a dossier's files a viewer
//! may see.

pub(crate) use crate::app::upload::{Upload, attachment_error};
use crate::dossiers::*;

impl Dossiers<'_> {
    /// Writes checked uploads to the blob store (durably, before any record refers to them):
    /// their attachment records, numbered from 1 in the order given.
    pub(crate) async fn store_files(
        &self,
        uploads: Vec<Upload>,
        kind: files::AttachmentKind,
    ) -> AppResult<Vec<Attachment>> {
        self.blobs.store_uploads(uploads, kind, 1).await
    }

    /// The attachments the viewer may see: staff see all; the applicant sees the result only
    /// once it has been returned to them.
    pub(crate) async fn visible_attachments(&self, d: &Dossier, viewer: &Account) -> AppResult<Vec<Attachment>> {
        let mut list = self.dossiers.attachments(&d.code).await?;
        if viewer.kind == AccountKind::Citizen && d.status != Status::Returned {
            list.retain(|a| a.kind != files::AttachmentKind::Result);
        }
        Ok(list)
    }
}

pub(crate) struct Submission {
    pub(crate) req: SubmitRequest,
    pub(crate) files: Vec<Upload>,
    /// Stable across retries: the JSON part and each file's hash, not the multipart framing.
    pub(crate) request_hash: String,
    /// The hash of the session's token it comes through (how surely the citizen was
    /// identified: see [`crate::dossiers::Dossiers::assured`]).
    pub(crate) session: Option<String>,
}
